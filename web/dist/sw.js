// fal-studio's service worker (SPEC §16.1). It keeps the app shell's static files (hashed
// assets, icons, the manifest and the offline page) for a fast start, and never stores or
// answers from a cache anything private: /api/, /media/, /s/ and /share-target always go to
// the network, so nothing of a person outlives a sign-out on a shared device. It shows the
// push notifications of SPEC §16.3.
const SHELL = 'fal-studio-shell-v1';
const PRECACHE = ['/offline.html', '/manifest.webmanifest', '/icons/icon-192.png', '/favicon.svg'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function isPrivate(path) {
  return (
    path.startsWith('/api/') ||
    path.startsWith('/media/') ||
    path.startsWith('/s/') ||
    path === '/share-target' ||
    path.startsWith('/share-target/')
  );
}

function isShell(path) {
  return (
    path.startsWith('/assets/') ||
    path.startsWith('/icons/') ||
    path === '/manifest.webmanifest' ||
    path === '/favicon.svg'
  );
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  // Not ours to answer: the browser goes to the network as if there were no worker.
  if (req.method !== 'GET' || url.origin !== self.location.origin || isPrivate(url.pathname)) return;
  if (req.mode === 'navigate') {
    // The page itself always comes from the server (a new release shows at once); offline, a
    // friendly page says so.
    event.respondWith(fetch(req).catch(() => caches.match('/offline.html')));
    return;
  }
  if (!isShell(url.pathname)) return;
  // Hashed assets never change under one name: the cache answers first.
  event.respondWith(
    caches.open(SHELL).then(async (cache) => {
      const hit = await cache.match(req);
      if (hit) return hit;
      const res = await fetch(req);
      if (res.ok && res.type === 'basic') await cache.put(req, res.clone());
      return res;
    }),
  );
});

self.addEventListener('push', (event) => {
  let msg = {};
  try {
    msg = event.data ? event.data.json() : {};
  } catch {
    msg = {};
  }
  const title = typeof msg.title === 'string' && msg.title ? msg.title : 'fal-studio';
  const url = typeof msg.url === 'string' && msg.url.startsWith('/') ? msg.url : '/';
  event.waitUntil(
    self.registration.showNotification(title, {
      body: typeof msg.body === 'string' ? msg.body : '',
      tag: typeof msg.id === 'string' ? msg.id : undefined,
      data: { url },
      icon: '/icons/icon-192.png',
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const path = (event.notification.data && event.notification.data.url) || '/';
  const target = new URL(path.startsWith('/') ? path : '/', self.location.origin).href;
  event.waitUntil(
    (async () => {
      const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      for (const win of wins) {
        if (new URL(win.url).origin !== self.location.origin) continue;
        await win.focus();
        // The open studio routes there itself (no reload); navigate() is the fallback.
        win.postMessage({ type: 'navigate', url: path });
        return;
      }
      await self.clients.openWindow(target);
    })(),
  );
});
