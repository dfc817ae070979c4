import { useCallback, useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { api, type AdminUser, type Policy, type Role, type User } from '../lib/api';
import { messageOf } from '../lib/useAction';
import { Banner } from '../components/Banner';
import { CopyField } from './CopyField';
import { BudgetCell } from '../account/BudgetCell';
import { dateTime, formatBytes, relativeTime } from './format';
import { UserShares } from './UserShares';

type Open = { kind: 'reset'; id: number; url: string; expiresAt: string } | { kind: 'delete'; id: number } | { kind: 'shares'; id: number } | null;

export function UsersPanel({ me, onMeChanged }: { me: User; onMeChanged: () => void }) {
  const [users, setUsers] = useState<AdminUser[] | null>(null);
  const [q, setQ] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const [open, setOpen] = useState<Open>(null);
  const [policies, setPolicies] = useState<Policy[]>([]);
  useEffect(() => {
    api.admin
      .policies()
      .then((r) => setPolicies(r.policies))
      .catch(() => setPolicies([]));
  }, []);

  const load = useCallback(async () => {
    try {
      const r = await api.admin.users();
      setUsers(r.users);
    } catch (err) {
      setError(messageOf(err, 'The accounts could not be loaded.'));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const shown = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return (users ?? []).filter((u) => !needle || u.email.includes(needle));
  }, [users, q]);

  const replace = (u: AdminUser) => setUsers((cur) => (cur ?? []).map((x) => (x.id === u.id ? u : x)));

  const act = async (u: AdminUser, what: () => Promise<void>, done: string) => {
    setBusy(u.id);
    setError(null);
    setNotice(null);
    try {
      await what();
      setNotice(done);
    } catch (err) {
      setError(messageOf(err, 'That did not work. Try again.'));
    } finally {
      setBusy(null);
    }
  };

  const setRole = (u: AdminUser, role: Role) =>
    act(
      u,
      async () => {
        const r = await api.admin.updateUser(u.id, { role });
        replace(r.user);
        if (u.id === me.id) onMeChanged();
      },
      `${u.email} is now ${role === 'admin' ? 'an admin' : 'a member'}.`,
    );
  const setDisabled = (u: AdminUser, disabled: boolean) =>
    act(
      u,
      async () => {
        const r = await api.admin.updateUser(u.id, { disabled });
        replace(r.user);
      },
      disabled ? `${u.email} is disabled and was logged out everywhere.` : `${u.email} can log in again.`,
    );
  const resetLink = (u: AdminUser) =>
    act(
      u,
      async () => {
        const r = await api.admin.resetLink(u.id);
        setOpen({ kind: 'reset', id: u.id, url: r.url, expiresAt: r.expiresAt });
      },
      `A reset link for ${u.email} is ready. Send it to them yourself; it works once, for one hour.`,
    );
  const remove = (u: AdminUser) =>
    act(
      u,
      async () => {
        await api.admin.deleteUser(u.id);
        setUsers((cur) => (cur ?? []).filter((x) => x.id !== u.id));
        setOpen(null);
      },
      `${u.email} and everything it stored were deleted.`,
    );

  if (users === null && !error) {
    return (
      <div className="card" aria-busy="true">
        <div className="skeleton line" />
      </div>
    );
  }
  return (
    <div className="card admin-card">
      <div className="row spread">
        <h2>People</h2>
        <span className="muted">{users ? `${users.length} ${users.length === 1 ? 'account' : 'accounts'}` : ''}</span>
      </div>
      <div className="field search">
        <label htmlFor="user-search" className="visually-hidden">
          Search accounts
        </label>
        <input id="user-search" type="search" placeholder="Search by email" value={q} onChange={(e) => setQ(e.target.value)} />
      </div>
      <Banner kind="error">{error}</Banner>
      <Banner kind="success">{notice}</Banner>
      {shown.length === 0 ? (
        <p className="muted">{q ? 'No account matches.' : 'No accounts.'}</p>
      ) : (
        <table className="admin-table users-table">
          <thead>
            <tr>
              <th scope="col">Account</th>
              <th scope="col">Role</th>
              <th scope="col">Policy</th>
              <th scope="col">Usage</th>
              <th scope="col">Spent this month</th>
              <th scope="col">Last seen</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((u) => (
              <UserRow
                key={u.id}
                u={u}
                isMe={u.id === me.id}
                busy={busy === u.id}
                open={open && open.id === u.id ? open : null}
                policies={policies}
                onPolicy={(policyId) =>
                  void act(
                    u,
                    async () => {
                      replace((await api.admin.updateUser(u.id, { policyId })).user);
                    },
                    policyId ? `Policy assigned to ${u.email}.` : `${u.email} has no policy now.`,
                  )
                }
                onRole={(r) => void setRole(u, r)}
                onUser={replace}
                onDisabled={(d) => void setDisabled(u, d)}
                onReset={() => void resetLink(u)}
                onAskDelete={() => setOpen({ kind: 'delete', id: u.id })}
                onShares={() => setOpen({ kind: 'shares', id: u.id })}
                onDelete={() => void remove(u)}
                onClose={() => setOpen(null)}
              />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function UserRow({
  u,
  isMe,
  busy,
  open,
  policies,
  onPolicy,
  onRole,
  onUser,
  onDisabled,
  onReset,
  onAskDelete,
  onShares,
  onDelete,
  onClose,
}: {
  u: AdminUser;
  isMe: boolean;
  busy: boolean;
  open: Open;
  policies: Policy[];
  onPolicy: (id: string | null) => void;
  onRole: (r: Role) => void;
  onUser: (u: AdminUser) => void;
  onDisabled: (d: boolean) => void;
  onReset: () => void;
  onAskDelete: () => void;
  onShares: () => void;
  onDelete: () => void;
  onClose: () => void;
}) {
  const roleId = useId();
  const policyId = useId();
  return (
    <>
      <tr className={u.disabled ? 'disabled-row' : undefined} data-testid="user-row" data-email={u.email}>
        <td data-label="Account">
          <div className="user-email">{u.email}</div>
          <div className="row tight">
            {isMe && <span className="pill">you</span>}
            {u.disabled && <span className="pill pill-failed">disabled</span>}
            <span className="hint">{u.hasFalKey ? 'fal key saved' : 'no fal key'}</span>
          </div>
        </td>
        <td data-label="Role">
          <label htmlFor={roleId} className="visually-hidden">
            Role of {u.email}
          </label>
          <select id={roleId} value={u.role} disabled={busy} onChange={(e) => onRole(e.target.value as Role)}>
            <option value="member">Member</option>
            <option value="admin">Admin</option>
          </select>
        </td>
        <td data-label="Policy">
          <label htmlFor={policyId} className="visually-hidden">
            Policy of {u.email}
          </label>
          <select id={policyId} value={u.policyId ?? ''} disabled={busy} onChange={(e) => onPolicy(e.target.value || null)}>
            <option value="">None</option>
            {policies.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
          {u.ssoLinked && <span className="pill">SSO</span>}
        </td>
        <td data-label="Usage">
          <span title={`${u.generations} generations, ${u.assets} files`}>
            {u.generations} gen · {u.assets} files · {formatBytes(u.bytes)}
          </span>
        </td>
        <td data-label="Spent this month">
          <BudgetCell u={u} disabled={busy} onSaved={onUser} />
        </td>
        <td data-label="Last seen">
          <span title={u.lastSeenAt ? dateTime(u.lastSeenAt) : undefined}>{relativeTime(u.lastSeenAt)}</span>
        </td>
        <td data-label="Actions">
          <div className="actions">
            {!isMe && (
              <button type="button" className="btn small" disabled={busy} onClick={() => onDisabled(!u.disabled)}>
                {u.disabled ? 'Enable' : 'Disable'}
              </button>
            )}
            <button type="button" className="btn small" disabled={busy} onClick={onReset} aria-label={`Reset link for ${u.email}`}>
              Reset link
            </button>
            <button type="button" className="btn small" disabled={busy} onClick={onShares} aria-label={`Share links of ${u.email}`}>
              Links
            </button>
            {!isMe && (
              <button type="button" className="btn small danger-ghost" disabled={busy} onClick={onAskDelete} aria-label={`Delete ${u.email}`}>
                Delete
              </button>
            )}
          </div>
        </td>
      </tr>
      {open && (
        <tr className="detail-row">
          <td colSpan={7}>
            {open.kind === 'reset' ? (
              <div className="inline-panel">
                <CopyField
                  label={`One-time reset link for ${u.email}`}
                  value={open.url}
                  hint={`Works once, until ${dateTime(open.expiresAt)}. Setting a password logs ${u.email} out everywhere.`}
                />
                <button type="button" className="btn small" onClick={onClose}>
                  Done
                </button>
              </div>
            ) : open.kind === 'shares' ? (
              <UserShares u={u} onClose={onClose} />
            ) : (
              <DeleteConfirm u={u} busy={busy} onDelete={onDelete} onCancel={onClose} />
            )}
          </td>
        </tr>
      )}
    </>
  );
}

function DeleteConfirm({ u, busy, onDelete, onCancel }: { u: AdminUser; busy: boolean; onDelete: () => void; onCancel: () => void }) {
  const [typed, setTyped] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const id = useId();
  const matches = typed.trim().toLowerCase() === u.email;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (matches) onDelete();
  };
  return (
    <form className="inline-panel danger-panel" onSubmit={submit} aria-label={`Delete ${u.email}`}>
      <p>
        <strong>Delete {u.email}?</strong> This removes the account, its {u.generations} generations and {u.assets} stored files (
        {formatBytes(u.bytes)}) from the studio and its storage; jobs still running are canceled at fal. It cannot be undone.
      </p>
      <div className="field">
        <label htmlFor={id}>Type the email address to confirm</label>
        <input id={id} ref={input} type="text" autoComplete="off" spellCheck={false} value={typed} onChange={(e) => setTyped(e.target.value)} />
      </div>
      <div className="row">
        <button type="submit" className="btn danger" disabled={!matches || busy}>
          {busy ? 'Deleting…' : 'Delete account'}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
