// A small History API router for the tabs: each tab has its own path (/gallery, /account …), the
// back and forward buttons move between them, old #hash links are rewritten to paths, and an
// unknown path shows the first tab under its own URL. The server answers every such path with
// index.html (internal/httpapi/spa.go).
import { useCallback, useEffect, useState } from 'react';

export interface RouteDef {
  id: string;
  path: string; // "/" or "/name", no trailing slash
}

// normalise drops a trailing slash and lower-cases, so /Gallery/ is /gallery.
export function normalise(pathname: string): string {
  const p = pathname.replace(/\/+$/, '').toLowerCase();
  return p === '' ? '/' : p;
}

// matchRoute is the route a path names: exactly, or as the prefix of a deeper path
// (/gallery/abc belongs to the gallery), or null.
export function matchRoute<R extends RouteDef>(routes: readonly R[], pathname: string): R | null {
  const p = normalise(pathname);
  return routes.find((r) => r.path === p) ?? routes.find((r) => r.path !== '/' && p.startsWith(r.path + '/')) ?? null;
}

// initialRoute reads the address bar once at start and tidies it: #gallery becomes /gallery,
// an unknown path becomes the first route's (not one of `others`, screens outside the tabs such
// as /reset). Replaces, so the back button skips the old form.
export function initialRoute<R extends RouteDef>(routes: readonly R[], others: readonly string[] = []): R {
  const hash = window.location.hash.replace(/^#\/?/, '');
  const fromHash = hash ? routes.find((r) => r.id === hash) : undefined;
  const route = fromHash ?? matchRoute(routes, window.location.pathname) ?? routes[0];
  const other = others.includes(normalise(window.location.pathname));
  const wanted = fromHash || (!other && !matchRoute(routes, window.location.pathname)) ? route.path : window.location.pathname;
  if (wanted !== window.location.pathname || fromHash) {
    window.history.replaceState(window.history.state, '', wanted + window.location.search);
  }
  return route;
}

/**
 * useRoute follows the address bar. navigate(id) pushes the tab's path (a new history entry,
 * so Back returns); navigate(id, {replace: true}) does not add one.
 */
export function useRoute<R extends RouteDef>(
  routes: readonly R[],
  others: readonly string[] = [],
): [R, (id: string, opts?: { replace?: boolean }) => void] {
  const [route, setRoute] = useState<R>(() => initialRoute(routes, others));

  useEffect(() => {
    const onPop = () => setRoute(matchRoute(routes, window.location.pathname) ?? routes[0]);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, [routes]);

  const navigate = useCallback(
    (id: string, opts?: { replace?: boolean }) => {
      const next = routes.find((r) => r.id === id);
      if (!next) return;
      if (normalise(window.location.pathname) !== next.path) {
        if (opts?.replace) window.history.replaceState(null, '', next.path);
        else window.history.pushState(null, '', next.path);
      }
      setRoute(next);
    },
    [routes],
  );

  return [route, navigate];
}
