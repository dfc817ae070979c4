// Web Push for this browser (SPEC §16.3): subscribe with the studio's public key, post the
// subscription, and remove it again (also before signing out, so the next person on a shared
// device never receives this one's notifications).
import { request } from './api';

export interface PushDevice {
  id: string;
  createdAt: string;
  userAgent: string | null;
}

export interface NotificationPrefs {
  push: boolean;
  onlyWhenAway: boolean;
}

export const pushApi = {
  key: () => request<{ publicKey: string }>('GET', '/api/push/key'),
  devices: () => request<{ subscriptions: PushDevice[] }>('GET', '/api/push/subscriptions'),
  subscribe: (sub: PushSubscriptionJSON) => request<{ subscription: PushDevice }>('POST', '/api/push/subscriptions', sub),
  remove: (id: string) => request<void>('DELETE', `/api/push/subscriptions/${encodeURIComponent(id)}`),
  prefs: () => request<{ notifications: NotificationPrefs }>('GET', '/api/me/notifications'),
  setPrefs: (p: Partial<NotificationPrefs>) => request<{ notifications: NotificationPrefs }>('PUT', '/api/me/notifications', p),
};

const DEVICE_KEY = 'falstudio.pushDevice';

export function pushSupported(): boolean {
  return typeof window !== 'undefined' && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

// iPhone and iPad deliver Web Push only to a studio added to the home screen (iOS 16.4+).
export function needsHomeScreen(): boolean {
  const ios = /iPad|iPhone|iPod/.test(navigator.userAgent) || (navigator.userAgent.includes('Macintosh') && navigator.maxTouchPoints > 1);
  const standalone = window.matchMedia?.('(display-mode: standalone)').matches || (navigator as { standalone?: boolean }).standalone === true;
  return ios && !standalone;
}

export function thisDeviceId(): string | null {
  try {
    return localStorage.getItem(DEVICE_KEY);
  } catch {
    return null;
  }
}

function keyBytes(b64url: string): Uint8Array<ArrayBuffer> {
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64url.length % 4)) % 4);
  const raw = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

async function registration(): Promise<ServiceWorkerRegistration> {
  return navigator.serviceWorker.register('/sw.js', { scope: '/' }).then(() => navigator.serviceWorker.ready);
}

export async function currentSubscription(): Promise<PushSubscription | null> {
  if (!pushSupported()) return null;
  const reg = await navigator.serviceWorker.getRegistration('/');
  return reg ? reg.pushManager.getSubscription() : null;
}

// enablePush asks the browser's permission, subscribes and registers this device.
export async function enablePush(): Promise<PushDevice> {
  if (!pushSupported()) throw new Error('This browser cannot receive push notifications.');
  const perm = await Notification.requestPermission();
  if (perm !== 'granted') throw new Error('Notifications are blocked for this site; allow them in the browser settings first.');
  const [{ publicKey }, reg] = await Promise.all([pushApi.key(), registration()]);
  let sub = await reg.pushManager.getSubscription();
  if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) });
  const { subscription } = await pushApi.subscribe(sub.toJSON());
  try {
    localStorage.setItem(DEVICE_KEY, subscription.id);
  } catch {
    // private mode: the device is still registered
  }
  return subscription;
}

// disablePush removes this device's subscription from the studio and the browser. Errors are
// swallowed where the result is the same (already gone).
export async function disablePush(): Promise<void> {
  const id = thisDeviceId();
  if (id) {
    try {
      await pushApi.remove(id);
    } catch {
      // already removed (another person took the endpoint, or a 410 from the push service)
    }
    try {
      localStorage.removeItem(DEVICE_KEY);
    } catch {
      // nothing stored
    }
  }
  const sub = await currentSubscription().catch(() => null);
  if (sub) await sub.unsubscribe().catch(() => false);
}
