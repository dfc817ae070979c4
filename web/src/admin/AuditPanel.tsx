import { useCallback, useEffect, useState } from 'react';
import { api, type AuditEvent } from '../lib/api';
import { usePagedList } from '../lib/usePagedList';
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
  const [emails, setEmails] = useState<Record<string, string>>({});
  const page = useCallback((cursor: string | null) => api.admin.audit(cursor, PAGE).then((r) => ({ items: r.events, nextCursor: r.nextCursor })), []);
  const { items: events, cursor, loading, error, reload, more, sentinel } = usePagedList(page, 'The audit log could not be loaded.');

  // Targets are ids: name the accounts that still exist (a deleted one keeps its email in the detail).
  useEffect(() => {
    api.admin
      .users()
      .then((r) => setEmails(Object.fromEntries(r.users.map((u) => [String(u.id), u.email]))))
      .catch(() => {});
  }, []);

  return (
    <div className="card admin-card">
      <div className="row spread">
        <h2>Audit log</h2>
        <button type="button" className="btn small" onClick={reload} disabled={loading}>
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
      {cursor && (
        <>
          <div ref={sentinel} className="sentinel" />
          <button type="button" className="btn small" onClick={more} disabled={loading}>
            Load older events
          </button>
        </>
      )}
    </div>
  );
}
