import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, type AuditEvent } from '../lib/api';
import { Banner } from '../components/Banner';
import { dateTime, relativeTime } from './format';

const PAGE = 50;

const ACTIONS: Record<string, string> = {
  'user.signup': 'Signed up',
  'auth.login': 'Logged in',
  'auth.login_failed': 'Failed login',
  'auth.logout': 'Logged out',
  'password.change': 'Changed password',
  'password.reset_link': 'Made a password reset link',
  'password.reset': 'Reset password',
  'fal_key.save': 'Saved fal key',
  'fal_key.remove': 'Removed fal key',
  'user.role': 'Changed role',
  'user.disable': 'Disabled account',
  'user.enable': 'Enabled account',
  'user.delete': 'Deleted account',
  'invite.create': 'Created invite',
  'invite.use': 'Used invite',
  'invite.revoke': 'Revoked invite',
  'budget.change': 'Changed budget',
  'share.create': 'Created share link',
  'share.revoke': 'Revoked share link',
};

function describeDetail(e: AuditEvent): string {
  const d = e.detail ?? {};
  const parts: string[] = [];
  if (e.action === 'user.role' && d.from && d.to) parts.push(`${d.from} → ${d.to}`);
  for (const [k, v] of Object.entries(d)) {
    if (e.action === 'user.role' && (k === 'from' || k === 'to')) continue;
    if (v === null || v === undefined || v === '') continue;
    parts.push(`${k}: ${String(v)}`);
  }
  return parts.join(' · ');
}

export function AuditPanel() {
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [emails, setEmails] = useState<Record<string, string>>({});
  const sentinel = useRef<HTMLDivElement>(null);
  const inFlight = useRef(false);

  // Targets are ids: name the accounts that still exist (a deleted one keeps its email in the detail).
  useEffect(() => {
    api.admin
      .users()
      .then((r) => setEmails(Object.fromEntries(r.users.map((u) => [String(u.id), u.email]))))
      .catch(() => {});
  }, []);

  const more = useCallback(async (from: string | null) => {
    if (inFlight.current) return;
    inFlight.current = true;
    setLoading(true);
    setError(null);
    try {
      const r = await api.admin.audit(from, PAGE);
      setEvents((cur) => (from ? [...cur, ...r.events] : r.events));
      setCursor(r.nextCursor);
      setDone(r.nextCursor === null);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'The audit log could not be loaded.');
    } finally {
      inFlight.current = false;
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void more(null);
  }, [more]);

  // Infinite scroll: the next page loads as the end of the list comes into view.
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !cursor || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) void more(cursor);
    });
    io.observe(el);
    return () => io.disconnect();
  }, [cursor, more]);

  return (
    <div className="card admin-card">
      <div className="row spread">
        <h2>Audit log</h2>
        <button type="button" className="btn small" onClick={() => void more(null)} disabled={loading}>
          Refresh
        </button>
      </div>
      <p className="muted">Sign-ins, password and key changes, and every admin action, newest first. Passwords, keys and links are never recorded.</p>
      <Banner kind="error">{error}</Banner>
      {events.length === 0 && !loading && !error ? <p className="muted">Nothing recorded yet.</p> : null}
      <ol className="audit-list" aria-label="Audit events" aria-busy={loading}>
        {events.map((e) => (
          <li key={e.id} className="audit-item" data-testid="audit-event" data-action={e.action}>
            <div className="audit-main">
              <strong className={e.action === 'auth.login_failed' ? 'audit-warn' : undefined}>{ACTIONS[e.action] ?? e.action}</strong>
              {e.target?.type === 'user' && <span className="muted"> · {emails[e.target.id] ?? `account #${e.target.id}`}</span>}
              {e.target?.type === 'invite' && <span className="muted"> · invite #{e.target.id}</span>}
              {describeDetail(e) && <span className="audit-detail"> · {describeDetail(e)}</span>}
            </div>
            <div className="audit-meta hint">
              <span>{e.actor ? e.actor.email : 'anonymous'}</span>
              {e.ip && <span> · {e.ip}</span>}
              <span>
                {' '}
                · <time dateTime={e.time} title={dateTime(e.time)}>{relativeTime(e.time)}</time>
              </span>
            </div>
          </li>
        ))}
      </ol>
      {loading && <div className="skeleton line" />}
      {!done && cursor && (
        <>
          <div ref={sentinel} className="sentinel" />
          <button type="button" className="btn small" onClick={() => void more(cursor)} disabled={loading}>
            Load older events
          </button>
        </>
      )}
    </div>
  );
}
