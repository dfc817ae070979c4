import { useCallback, useEffect, useState } from 'react';
import { Banner } from '../components/Banner';
import { messageOf } from '../lib/useAction';
import {
  currentSubscription,
  disablePush,
  enablePush,
  needsHomeScreen,
  pushApi,
  pushSupported,
  thisDeviceId,
  type NotificationPrefs,
  type PushDevice,
} from '../lib/push';

function deviceName(d: PushDevice): string {
  const ua = d.userAgent ?? '';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrome\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? `${browser} on ${os}` : browser;
}

// NotificationsCard: push for this device on or off, "only when I'm away", and the devices
// that receive them (SPEC §16.3).
export function NotificationsCard() {
  const [prefs, setPrefs] = useState<NotificationPrefs | null>(null);
  const [devices, setDevices] = useState<PushDevice[]>([]);
  const [here, setHere] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [success, setSuccess] = useState<string | null>(null);
  const supported = pushSupported();

  const load = useCallback(async () => {
    try {
      const [p, d, sub] = await Promise.all([pushApi.prefs(), pushApi.devices(), currentSubscription().catch(() => null)]);
      const list = d?.subscriptions ?? [];
      if (p?.notifications) setPrefs(p.notifications);
      setDevices(list);
      const id = thisDeviceId();
      setHere(!!sub && !!id && list.some((x) => x.id === id));
    } catch (err) {
      setError(messageOf(err, 'The notification settings could not be loaded.'));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const act = async (fn: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    setSuccess(null);
    try {
      setSuccess(await fn());
    } catch (err) {
      setError(messageOf(err, 'That did not work.'));
    } finally {
      setBusy(false);
      await load();
    }
  };

  const toggleHere = (on: boolean) =>
    act(async () => {
      if (!on) {
        await disablePush();
        return 'Notifications are off for this device.';
      }
      await enablePush();
      if (prefs && !prefs.push) await pushApi.setPrefs({ push: true });
      return 'This device will be notified when a generation ends.';
    });
  const toggleAway = (on: boolean) => {
    setPrefs((p) => (p ? { ...p, onlyWhenAway: on } : p)); // shown at once; load() corrects a failure
    return act(async () => {
      await pushApi.setPrefs({ onlyWhenAway: on });
      return on ? 'Only when no studio tab is open.' : 'Every time a generation ends.';
    });
  };
  const remove = (id: string) =>
    act(async () => {
      if (id === thisDeviceId()) await disablePush();
      else await pushApi.remove(id);
      return 'Device removed.';
    });

  return (
    <section className="card" aria-labelledby="notifications-title" aria-busy={busy}>
      <h2 id="notifications-title">Notifications</h2>
      <p className="muted">Get a notification on your phone or computer when a generation has finished or failed.</p>
      <Banner kind="error">{error}</Banner>
      <Banner kind="success">{success}</Banner>
      {needsHomeScreen() ? (
        <p className="muted" data-testid="push-ios-hint">
          On iPhone and iPad, notifications need the studio on your home screen first (iOS or iPadOS 16.4 or later): tap Share, then
          “Add to Home Screen”, and open the studio from there.
        </p>
      ) : !supported ? (
        <p className="muted">This browser cannot receive push notifications.</p>
      ) : (
        <div className="field">
          <label className="check">
            <input type="checkbox" checked={here} disabled={busy || !prefs} onChange={(e) => void toggleHere(e.target.checked)} data-testid="push-here" />{' '}
            Notify this device
          </label>
        </div>
      )}
      <div className="field">
        <label className="check">
          <input
            type="checkbox"
            checked={prefs?.onlyWhenAway ?? true}
            disabled={busy || !prefs}
            onChange={(e) => void toggleAway(e.target.checked)}
            data-testid="push-away"
          />{' '}
          Only when I’m away (no studio tab open)
        </label>
      </div>
      {devices.length > 0 && (
        <>
          <h3>Devices</h3>
          <ul className="plain-list" data-testid="push-devices">
            {devices.map((d) => (
              <li key={d.id} className="row">
                <span>
                  {deviceName(d)}
                  {d.id === thisDeviceId() ? ' (this device)' : ''} · since {new Date(d.createdAt).toLocaleDateString()}
                </span>
                <button className="btn small" type="button" disabled={busy} onClick={() => void remove(d.id)} aria-label={`Remove ${deviceName(d)}`}>
                  Remove
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
