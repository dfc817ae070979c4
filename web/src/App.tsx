import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState, type ComponentType, type KeyboardEvent, type MouseEvent, type ReactNode } from 'react';
import { api, setUnauthorizedHandler, type Asset, type OIDCStatus, type SignupMode, type User } from './lib/api';
import { takeSSOResult } from './lib/sso';
import { getAssetUrl } from './lib/assets';
import { useRoute } from './lib/router';
import { TabBoundary } from './components/TabBoundary';
import { AuthScreen } from './auth/AuthScreen';
import { ResetScreen } from './auth/ResetScreen';
import type { CreatePreset } from './create/CreateTab';
import { CreateSkeleton } from './create/CreateSkeleton';
import { JobsProvider } from './lib/jobs';
import { resolveHandover, sharedApi, takeGenerationLink, takeShareHandover, type SharedUpload } from './share/shared';
import { SharedBanner } from './share/SharedBanner';
import { messageOf } from './lib/useAction';

// Shell is what the app frame offers every tab.
export interface Shell {
  user: User;
  setUser: (u: User | null) => void;
  go: (tab: string) => void;
  preset: CreatePreset | null;
  reuse: (a: Asset, asReference: string | null, animate?: boolean) => void;
  /** Re-reads the session (a role change shows at once). */
  refreshMe: () => void;
}

interface TabDef {
  id: string;
  path: string;
  label: string;
  icon: string;
  /** Loads the tab's code on first visit (its own bundle chunk) and adapts it to the shell. */
  load: () => Promise<ComponentType<{ shell: Shell }>>;
  /** Stays mounted, hidden, after the first visit, so a half-written prompt survives a tab switch. */
  keep?: boolean;
  /** Whether this user sees the tab at all (e.g. admins only). */
  show?: (u: User) => boolean;
  /** What holds the tab's place while its code arrives (a spinner by default). */
  fallback?: ReactNode;
}

// The tabs, in order: adding one is one entry here (its path is served by the SPA fallback).
const tabDefs: TabDef[] = [
  { id: 'create', path: '/', label: 'Create', icon: '✦', keep: true, fallback: <CreateSkeleton />, load: () => import('./create/CreateTab').then((m) => ({ shell }) => <m.CreateTab user={shell.user} preset={shell.preset} onGoAccount={() => shell.go('account')} />) },
  { id: 'gallery', path: '/gallery', label: 'Gallery', icon: '▦', load: () => import('./gallery/GalleryTab').then((m) => ({ shell }) => <m.GalleryTab onReuse={(a) => shell.reuse(a, null)} onUseAsReference={(a, url) => shell.reuse(a, url)} onAnimate={(a, url) => shell.reuse(a, url, true)} onUseFrame={(a, url, m, field) => shell.reuse({ ...a, model: m.id, prompt: '', params: { [field]: url } }, null)} onGoCreate={() => shell.go('create')} />) },
  { id: 'account', path: '/account', label: 'Account', icon: '◉', load: () => import('./account/AccountTab').then((m) => ({ shell }) => <m.AccountTab user={shell.user} onUser={shell.setUser} onLoggedOut={() => shell.setUser(null)} />) },
  { id: 'admin', path: '/admin', label: 'Admin', icon: '⚙', show: (u) => u.role === 'admin', load: () => import('./admin/AdminTab').then((m) => ({ shell }) => <m.AdminTab me={shell.user} onMeChanged={shell.refreshMe} />) },
];

// Screens outside the tabs, reached by a link; the router leaves their address as it is.
const RESET_PATH = '/reset';

// One-time tokens arrive in the address's fragment (an invite in /#invite=, a reset link's
// /reset#token=), which browsers never send to the server; an invite link made before the
// fragment (/?invite=) still works. They are read once and taken out of the address bar and
// history at once. Memoised: React's strict mode runs state initialisers twice, and the second
// run would find the address already cleaned.
let linkTokens: { invite: string | null; reset: string | null } | null = null;
function takeLinkTokens(): { invite: string | null; reset: string | null } {
  if (linkTokens) return linkTokens;
  const url = new URL(window.location.href);
  const fragment = new URLSearchParams(url.hash.replace(/^#/, ''));
  const invite = fragment.get('invite') ?? url.searchParams.get('invite');
  let reset: string | null = null;
  if (url.pathname === RESET_PATH) {
    reset = fragment.get('token') ?? '';
    window.history.replaceState(null, '', RESET_PATH);
  } else if (invite !== null) {
    url.searchParams.delete('invite');
    window.history.replaceState(null, '', url.pathname + url.search);
  }
  linkTokens = { invite, reset };
  return linkTokens;
}

// Each tab's loader runs once; React.lazy renders its component when it has arrived.
const tabs = tabDefs.map((t) => {
  let loading: Promise<{ default: ComponentType<{ shell: Shell }> }> | null = null;
  const preload = () =>
    (loading ??= t.load().then(
      (c) => ({ default: c }),
      (err: unknown) => {
        loading = null; // not kept: the next preload asks the server again
        throw err;
      },
    ));
  return { ...t, preload, View: lazy(preload) };
});

/** preloadRoute starts fetching the tab the address bar names, in parallel with the session check. */
export function preloadRoute(pathname: string, hash = '') {
  const p = pathname.replace(/\/+$/, '').toLowerCase() || '/';
  const id = hash.replace(/^#\/?/, '');
  // A failure shows when the tab renders (TabBoundary); nothing to report here.
  (tabs.find((t) => t.id === id) ?? tabs.find((t) => t.path === p))?.preload().catch(() => {});
}

export function App() {
  const [user, setUser] = useState<User | null>(null);
  const [checking, setChecking] = useState(true);
  const [preset, setPreset] = useState<CreatePreset | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // Before the router: it reads (and cleans) the address first.
  const [link, setLink] = useState(takeLinkTokens);
  const [signupMode, setSignupMode] = useState<SignupMode | null>(null);
  const [oidc, setOidc] = useState<OIDCStatus | null>(null);
  const [sso] = useState(takeSSOResult);
  // A share from the device's share sheet (SPEC §16.2), read before the router tidies the address;
  // it waits for the sign-in when the person was not signed in yet.
  const [handover, setHandover] = useState(takeShareHandover);
  // /create?generation={id}: a notification's link shows that generation.
  const [openGeneration, setOpenGeneration] = useState(takeGenerationLink);
  const [shared, setShared] = useState<{ uploads: SharedUpload[]; message: string | null } | null>(null);
  const visibleTabs = useMemo(() => tabs.filter((t) => !user || !t.show || t.show(user)), [user]);
  const [route, navigate] = useRoute(tabs, [RESET_PATH]);
  const [visited, setVisited] = useState<Set<string>>(() => new Set());
  const signedIn = useRef(false);
  signedIn.current = user !== null;

  const tab = visibleTabs.find((t) => t.id === route.id) ?? visibleTabs[0];
  useEffect(() => {
    document.title = user ? `${tab.label} · fal-studio` : 'fal-studio';
    if (user && !visited.has(tab.id)) setVisited((v) => new Set(v).add(tab.id));
    // A tab this user may not see (/admin for a member) shows the first one, under its own path.
    if (user && route.id !== tab.id) navigate(tab.id, { replace: true });
  }, [tab, user, visited, route, navigate]);

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
      .then((s) => {
        setSignupMode(s.signupMode);
        setOidc(s.oidc ?? null);
      })
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

  useEffect(() => {
    if (!user || !handover) return;
    setHandover(null);
    void (async () => {
      let got: Awaited<ReturnType<typeof resolveHandover>>;
      try {
        got = await resolveHandover(handover);
      } catch (err) {
        setShared({ uploads: [], message: messageOf(err, 'The shared files were not found: a share waits 15 minutes for the sign-in. Share them again.') });
        navigate('create', { replace: true });
        return;
      }
      navigate('create', { replace: true });
      const image = got.uploads.find((u) => u.kind === 'image');
      let rest = got.uploads.filter((u) => u !== image);
      let message: string | null = null;
      if (image) {
        try {
          const { url } = await sharedApi.asReference(image.id);
          setPreset({ model: '', prompt: '', params: {}, reference: url, referencePreview: image.url, key: Date.now() });
        } catch (err) {
          rest = got.uploads;
          message = messageOf(err, 'The shared image could not be used as a reference.');
        }
      } else if (got.text) {
        setPreset({ model: '', prompt: got.text, params: {}, reference: null, key: Date.now() });
      }
      if (rest.length || message) setShared({ uploads: rest, message });
    })();
  }, [user, handover, navigate]);

  useEffect(() => {
    if (!user || !openGeneration) return;
    setOpenGeneration(null);
    navigate('create', { replace: true });
    setPreset({ model: '', prompt: '', params: {}, reference: null, generationId: openGeneration, key: Date.now() });
  }, [user, openGeneration, navigate]);

  const go = useCallback((id: string) => navigate(id), [navigate]);
  const reuse = useCallback(
    (a: Asset, asReference: string | null, animate = false) => {
      setPreset({ model: a.model, prompt: a.prompt, params: a.params, reference: asReference, referencePreview: getAssetUrl(a), animate, key: Date.now() });
      navigate('create');
    },
    [navigate],
  );

  if (link.reset !== null) {
    return (
      <main>
        <ResetScreen
          token={link.reset}
          onDone={() => {
            setLink({ invite: null, reset: null });
            setUser(null);
            navigate('create', { replace: true });
          }}
        />
      </main>
    );
  }
  if (checking) {
    return (
      <div className="center-screen" aria-busy="true">
        <div className="spinner" role="status" aria-label="Loading" />
      </div>
    );
  }
  if (!user) {
    return (
      <main>
        <AuthScreen
          notice={notice}
          invite={link.invite}
          signupMode={signupMode}
          oidc={oidc}
          ssoError={sso.error}
          onAuthenticated={(u) => {
            setNotice(null);
            setLink({ invite: null, reset: null }); // an invite is spent once it signed someone up
            setUser(u);
          }}
        />
      </main>
    );
  }

  const shell: Shell = { user, setUser, go, preset, reuse, refreshMe };
  const onTabKey = (e: KeyboardEvent, id: string) => {
    // Arrow keys move between tabs (the WAI-ARIA tabs pattern); Space selects, like a button.
    const i = visibleTabs.findIndex((x) => x.id === id);
    if (e.key === ' ') {
      e.preventDefault();
      navigate(id);
      return;
    }
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    e.preventDefault();
    const next = visibleTabs[(i + step + visibleTabs.length) % visibleTabs.length];
    navigate(next.id);
    document.getElementById(`tab-${next.id}`)?.focus();
  };
  const onTabClick = (e: MouseEvent, id: string) => {
    // A plain click switches in place; a modified one opens the tab's URL elsewhere.
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(id);
  };

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden="true">◆</span> fal-studio
        </div>
        <nav className="tabs" role="tablist" aria-label="Sections">
          {visibleTabs.map((t) => (
            <a
              key={t.id}
              href={t.path}
              role="tab"
              id={`tab-${t.id}`}
              aria-selected={tab.id === t.id}
              aria-controls={`panel-${t.id}`}
              className={tab.id === t.id ? 'tab active' : 'tab'}
              tabIndex={tab.id === t.id ? 0 : -1}
              onClick={(e) => onTabClick(e, t.id)}
              onKeyDown={(e) => onTabKey(e, t.id)}
              onPointerEnter={() => void t.preload().catch(() => {})}
              onFocus={() => void t.preload().catch(() => {})}
            >
              <span className="tab-icon" aria-hidden="true">
                {t.icon}
              </span>
              <span className="tab-label">{t.label}</span>
            </a>
          ))}
        </nav>
        <div className="whoami" title={user.email}>
          {user.email}
        </div>
      </header>
      {/* One person's jobs, shared by Create and the gallery's History (one event stream). */}
      <JobsProvider key={user.id}>
        <main className="content">
          {shared && tab.id === 'create' && <SharedBanner uploads={shared.uploads} message={shared.message} onDone={() => setShared(null)} />}
          {visibleTabs.map((t) =>
            t.id === tab.id || (t.keep && visited.has(t.id)) ? (
              <section key={t.id} id={`panel-${t.id}`} role="tabpanel" aria-labelledby={`tab-${t.id}`} hidden={t.id !== tab.id}>
                <h1 className="sr-only">{t.label}</h1>
                <TabBoundary>
                  <Suspense fallback={t.fallback ?? <TabLoading />}>
                    <t.View shell={shell} />
                  </Suspense>
                </TabBoundary>
              </section>
            ) : null,
          )}
        </main>
      </JobsProvider>
    </div>
  );
}

function TabLoading() {
  return (
    <div className="tab-loading" role="status" aria-label="Loading">
      <div className="spinner" />
    </div>
  );
}
