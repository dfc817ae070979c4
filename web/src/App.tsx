import { useCallback, useEffect, useRef, useState } from 'react';
import { api, setUnauthorizedHandler, type Asset, type User } from './lib/api';
import { getAssetUrl } from './lib/assets';
import { AuthScreen } from './auth/AuthScreen';
import { CreateTab, type CreatePreset } from './create/CreateTab';
import { GalleryTab } from './gallery/GalleryTab';
import { AccountTab } from './account/AccountTab';

export type Tab = 'create' | 'gallery' | 'account';
const tabs: { id: Tab; label: string; icon: string }[] = [
  { id: 'create', label: 'Create', icon: '✦' },
  { id: 'gallery', label: 'Gallery', icon: '▦' },
  { id: 'account', label: 'Account', icon: '◉' },
];

function tabFromHash(): Tab {
  const h = window.location.hash.replace('#', '');
  return h === 'gallery' || h === 'account' ? h : 'create';
}

export function App() {
  const [user, setUser] = useState<User | null>(null);
  const [checking, setChecking] = useState(true);
  const [tab, setTabState] = useState<Tab>(tabFromHash);
  const [preset, setPreset] = useState<CreatePreset | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
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
        onAuthenticated={(u) => {
          setNotice(null);
          setUser(u);
        }}
      />
    );
  }

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
              aria-selected={tab === t.id}
              aria-controls={`panel-${t.id}`}
              className={tab === t.id ? 'tab active' : 'tab'}
              tabIndex={tab === t.id ? 0 : -1}
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
        <section id="panel-create" role="tabpanel" aria-labelledby="tab-create" hidden={tab !== 'create'}>
          <CreateTab user={user} preset={preset} onGoAccount={() => setTab('account')} />
        </section>
        {tab === 'gallery' && (
          <section id="panel-gallery" role="tabpanel" aria-labelledby="tab-gallery">
            <GalleryTab onReuse={(a) => reuse(a, null)} onUseAsReference={(a, url) => reuse(a, url)} onAnimate={(a, url) => reuse(a, url, true)} onGoCreate={() => setTab('create')} />
          </section>
        )}
        {tab === 'account' && (
          <section id="panel-account" role="tabpanel" aria-labelledby="tab-account">
            <AccountTab user={user} onUser={setUser} onLoggedOut={() => setUser(null)} />
          </section>
        )}
      </main>
    </div>
  );
}
