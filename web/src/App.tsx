import { useCallback, useEffect, useRef, useState } from 'react';
import { api, setUnauthorizedHandler, type Asset, type SignupMode, type User } from './lib/api';
import { getAssetUrl } from './lib/assets';
import { AuthScreen } from './auth/AuthScreen';
import { CreateTab, type CreatePreset } from './create/CreateTab';
import { GalleryTab } from './gallery/GalleryTab';
import { AccountTab } from './account/AccountTab';
import { AdminTab } from './admin/AdminTab';
import { ResetScreen } from './auth/ResetScreen';

export type Tab = 'create' | 'gallery' | 'account' | 'admin';
const allTabs: { id: Tab; label: string; icon: string; adminOnly?: boolean }[] = [
  { id: 'create', label: 'Create', icon: '✦' },
  { id: 'gallery', label: 'Gallery', icon: '▦' },
  { id: 'account', label: 'Account', icon: '◉' },
  { id: 'admin', label: 'Admin', icon: '⚙', adminOnly: true },
];

function tabFromHash(): Tab {
  const h = window.location.hash.replace('#', '');
  return h === 'gallery' || h === 'account' || h === 'admin' ? h : 'create';
}

// One-time tokens arrive in the address (an invite in ?invite=, a reset link's #token=); they are
// read once and taken out of the address bar and history at once. Memoised: React's strict mode
// runs state initialisers twice, and the second run would find the address already cleaned.
let linkTokens: { invite: string | null; reset: string | null } | null = null;
function takeLinkTokens(): { invite: string | null; reset: string | null } {
  if (linkTokens) return linkTokens;
  const url = new URL(window.location.href);
  const invite = url.searchParams.get('invite');
  let reset: string | null = null;
  if (url.pathname === '/reset') {
    reset = new URLSearchParams(url.hash.replace(/^#/, '')).get('token') ?? '';
    window.history.replaceState(null, '', '/reset');
  } else if (invite !== null) {
    url.searchParams.delete('invite');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  linkTokens = { invite, reset };
  return linkTokens;
}

export function App() {
  const [user, setUser] = useState<User | null>(null);
  const [checking, setChecking] = useState(true);
  const [tab, setTabState] = useState<Tab>(tabFromHash);
  const [preset, setPreset] = useState<CreatePreset | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [link, setLink] = useState(takeLinkTokens);
  const [signupMode, setSignupMode] = useState<SignupMode | null>(null);
  const signedIn = useRef(false);
  signedIn.current = user !== null;

  const setTab = useCallback((t: Tab) => {
    setTabState(t);
    window.history.replaceState(null, '', `#${t}`);
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      // Only a session that ended while in use deserves a notice, not a first visit.
      if (signedIn.current) setNotice('Your session ended. Log in again.');
      setUser(null);
    });
    api
      .me()
      .then((r) => setUser(r.user))
      .catch(() => setUser(null))
      .finally(() => setChecking(false));
  }, []);

  // The sign-up screen says how sign-up works here (open, by invite, closed).
  useEffect(() => {
    if (checking || user) return;
    api
      .status()
      .then((s) => setSignupMode(s.signupMode))
      .catch(() => setSignupMode(null));
  }, [checking, user]);

  // Back in the tab: re-read the session, so a role change shows and a disabled account's other
  // windows return to the login screen without waiting for their next click.
  const refreshMe = useCallback(() => {
    api
      .me()
      .then((r) => setUser(r.user))
      .catch(() => {});
  }, []);
  useEffect(() => {
    if (!user) return;
    const onVisible = () => {
      if (document.visibilityState === 'visible') refreshMe();
    };
    window.addEventListener('focus', refreshMe);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.removeEventListener('focus', refreshMe);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [user, refreshMe]);

  if (link.reset !== null) {
    return (
      <ResetScreen
        token={link.reset}
        onDone={() => {
          window.history.replaceState(null, '', '/');
          setLink({ invite: null, reset: null });
          setUser(null);
        }}
      />
    );
  }
  if (checking) {
    return (
      <div className="center-screen" aria-busy="true">
        <div className="spinner" aria-label="Loading" />
      </div>
    );
  }
  if (!user) {
    return (
      <AuthScreen
        notice={notice}
        invite={link.invite}
        signupMode={signupMode}
        onAuthenticated={(u) => {
          setNotice(null);
          setLink({ invite: null, reset: null }); // an invite is spent once it signed someone up
          setUser(u);
        }}
      />
    );
  }

  const tabs = allTabs.filter((t) => !t.adminOnly || user.role === 'admin');
  const current = tabs.some((t) => t.id === tab) ? tab : 'create';

  const reuse = (a: Asset, asReference: string | null, animate = false) => {
    setPreset({ model: a.model, prompt: a.prompt, params: a.params, reference: asReference, referencePreview: getAssetUrl(a), animate, key: Date.now() });
    setTab('create');
  };

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden="true">◆</span> fal-studio
        </div>
        <nav className="tabs" role="tablist" aria-label="Sections">
          {tabs.map((t) => (
            <button
              key={t.id}
              role="tab"
              id={`tab-${t.id}`}
              aria-selected={current === t.id}
              aria-controls={`panel-${t.id}`}
              className={current === t.id ? 'tab active' : 'tab'}
              tabIndex={current === t.id ? 0 : -1}
              onClick={() => setTab(t.id)}
              onKeyDown={(e) => {
                // Arrow keys move between tabs (the WAI-ARIA tabs pattern).
                const i = tabs.findIndex((x) => x.id === t.id);
                const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
                if (!step) return;
                e.preventDefault();
                const next = tabs[(i + step + tabs.length) % tabs.length].id;
                setTab(next);
                document.getElementById(`tab-${next}`)?.focus();
              }}
            >
              <span className="tab-icon" aria-hidden="true">
                {t.icon}
              </span>
              <span className="tab-label">{t.label}</span>
            </button>
          ))}
        </nav>
        <div className="whoami" title={user.email}>
          {user.email}
        </div>
      </header>
      <main className="content">
        <section id="panel-create" role="tabpanel" aria-labelledby="tab-create" hidden={current !== 'create'}>
          <CreateTab user={user} preset={preset} onGoAccount={() => setTab('account')} />
        </section>
        {current === 'gallery' && (
          <section id="panel-gallery" role="tabpanel" aria-labelledby="tab-gallery">
            <GalleryTab onReuse={(a) => reuse(a, null)} onUseAsReference={(a, url) => reuse(a, url)} onAnimate={(a, url) => reuse(a, url, true)} onGoCreate={() => setTab('create')} />
          </section>
        )}
        {current === 'account' && (
          <section id="panel-account" role="tabpanel" aria-labelledby="tab-account">
            <AccountTab user={user} onUser={setUser} onLoggedOut={() => setUser(null)} />
          </section>
        )}
        {current === 'admin' && (
          <section id="panel-admin" role="tabpanel" aria-labelledby="tab-admin">
            <AdminTab me={user} onMeChanged={refreshMe} />
          </section>
        )}
      </main>
    </div>
  );
}
