// The service worker (public/sw.js, SPEC §16.1) makes the studio installable and shows push
// notifications. Registered after the page has loaded, so it never competes with the first paint.
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  const register = () => {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {
      // No worker (private mode, an old browser): the studio works the same, without install or push.
    });
  };
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, { once: true });
  // A notification clicked while a studio window is open: the worker asks it to go there.
  navigator.serviceWorker.addEventListener('message', (e: MessageEvent) => {
    const d = e.data as { type?: string; url?: string } | null;
    if (d?.type === 'navigate' && typeof d.url === 'string' && d.url.startsWith('/') && !d.url.startsWith('//')) {
      window.location.assign(d.url);
    }
  });
}
