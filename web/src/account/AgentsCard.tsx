import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api, SCOPES, type Scope, type Token } from '../lib/api';
import { Banner } from '../components/Banner';
import { CopyField } from '../admin/CopyField';
import { messageOf } from '../lib/useAction';
import { formatUsd } from '../lib/money';
import { relativeTime } from '../admin/format';

/** The MCP configuration an agent client (Claude Code, Cursor, …) takes: the studio's /mcp with the bearer header. */
export function mcpConfig(origin: string, secret: string): string {
  return JSON.stringify(
    { mcpServers: { 'fal-studio': { type: 'http', url: `${origin}/mcp`, headers: { Authorization: `Bearer ${secret}` } } } },
    null,
    2,
  );
}

/** A multi-line read-only text (a configuration) with a Copy button. */
function CopyBlock({ label, value, hint }: { label: string; value: string; hint?: string }) {
  const id = useId();
  const area = useRef<HTMLTextAreaElement>(null);
  const [copied, setCopied] = useState<'ok' | 'failed' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('ok');
    } catch {
      area.current?.select();
      setCopied('failed');
    }
  };
  return (
    <div className="field copy-field">
      <label htmlFor={id}>{label}</label>
      <textarea id={id} ref={area} className="code-block" readOnly rows={value.split('\n').length} value={value} spellCheck={false} onFocus={(e) => e.currentTarget.select()} />
      <div className="row">
        <button type="button" className="btn" onClick={() => void copy()}>
          {copied === 'ok' ? 'Copied' : 'Copy configuration'}
        </button>
      </div>
      <small className="hint" aria-live="polite">
        {copied === 'ok' ? 'Copied to the clipboard.' : copied === 'failed' ? 'Press Ctrl+C (⌘C) to copy the selected text.' : hint}
      </small>
    </div>
  );
}

function scopeLabel(s: Scope): string {
  return s === 'generate' ? 'generate' : s;
}

/** Account → Apps & agents: personal access tokens for scripts and AI agents (REST API and MCP). */
export function AgentsCard() {
  const [tokens, setTokens] = useState<Token[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['generate', 'library:read']);
  const [cap, setCap] = useState('');
  const [models, setModels] = useState('');
  const [expires, setExpires] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [created, setCreated] = useState<{ token: Token; secret: string } | null>(null);

  const load = useCallback(async () => {
    try {
      const r = await api.tokens();
      if (!Array.isArray(r?.tokens)) throw new Error('unexpected answer');
      setTokens(r.tokens);
      setLoadError(null);
    } catch {
      // One plain sentence: the card sits beside others that report their own failures.
      setLoadError('Your tokens could not be loaded. Reload the page to try again.');
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const toggle = (s: Scope) => setScopes((cur) => (cur.includes(s) ? cur.filter((x) => x !== s) : [...cur, s]));

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setNotice(null);
    if (!name.trim()) return setError('Give the token a name, for example “Claude Code”.');
    if (scopes.length === 0) return setError('Choose at least one permission.');
    const capValue = cap.trim() === '' ? null : Number(cap);
    if (capValue !== null && (!Number.isFinite(capValue) || capValue < 0)) return setError('Enter a monthly cap in USD, for example 5, or leave it empty.');
    const modelList = models
      .split(/[\s,]+/)
      .map((m) => m.trim())
      .filter(Boolean);
    let expiresAt: string | null = null;
    if (expires) {
      const d = new Date(`${expires}T23:59:59`);
      if (Number.isNaN(d.getTime())) return setError('Choose an expiry date, or leave it empty.');
      expiresAt = d.toISOString();
    }
    setBusy(true);
    try {
      const r = await api.createToken({ name: name.trim(), scopes, monthlyCapUsd: capValue, expiresAt, models: modelList.length ? modelList : null });
      setCreated(r);
      setName('');
      setCap('');
      setModels('');
      setExpires('');
      await load();
    } catch (err) {
      setError(messageOf(err, 'The token could not be created.'));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (t: Token) => {
    if (!window.confirm(`Revoke “${t.name}”? Anything using it stops working at once.`)) return;
    setError(null);
    try {
      await api.revokeToken(t.id);
      if (created?.token.id === t.id) setCreated(null);
      setNotice(`“${t.name}” is revoked.`);
      await load();
    } catch (err) {
      setError(messageOf(err, 'The token could not be revoked.'));
    }
  };

  const origin = window.location.origin;
  return (
    <section className="card agents-card" aria-labelledby="agents-title">
      <h2 id="agents-title">Apps &amp; agents</h2>
      <p className="muted">
        Personal access tokens let scripts and AI agents (Claude Code, Cursor, a cron job) use the studio as you: through the
        REST API (<a href="/api/openapi.json">API document</a>) or the MCP server at <code>{origin}/mcp</code>. What they make is
        paid with your fal key, counts against your budget and lands in your gallery.
      </p>
      <Banner kind="error">{loadError}</Banner>
      <Banner kind="success">{notice}</Banner>

      {created && (
        <div className="token-secret" role="region" aria-label="Your new token">
          <Banner kind="success">
            Token “{created.token.name}” created. Copy its secret now: it is shown only once.
          </Banner>
          <CopyField label="Secret" value={created.secret} hint="Send it as Authorization: Bearer <secret>." />
          <CopyBlock
            label="MCP configuration (Claude Code, Cursor, VS Code and other clients)"
            value={mcpConfig(origin, created.secret)}
            hint="Claude Code: save as .mcp.json in your project, or run claude mcp add --transport http fal-studio with this URL and header."
          />
          <button type="button" className="btn" onClick={() => setCreated(null)}>
            I have saved it
          </button>
        </div>
      )}

      {tokens === null && !loadError ? (
        <div className="skeleton line" aria-label="Loading your tokens" />
      ) : tokens && tokens.length === 0 ? (
        <p className="muted" data-testid="no-tokens">
          No tokens yet.
        </p>
      ) : tokens ? (
        <ul className="token-list" aria-label="Your tokens">
          {tokens.map((t) => {
            const expired = t.expiresAt !== null && new Date(t.expiresAt).getTime() <= Date.now();
            return (
              <li key={t.id} className="token-item" data-testid="token-item">
                <div className="token-head">
                  <strong>{t.name}</strong> <code>{t.prefix}…</code>
                  {expired && <span className="pill pill-failed">expired</span>}
                </div>
                <div className="token-meta muted">
                  <span>{t.scopes.map(scopeLabel).join(', ')}</span>
                  <span>
                    {formatUsd(t.spentThisMonthUsd)} this month{t.monthlyCapUsd !== null ? ` of ${formatUsd(t.monthlyCapUsd)} cap` : ''}
                  </span>
                  <span>{t.models ? `models: ${t.models.join(', ')}` : 'any model'}</span>
                  <span>{t.expiresAt ? `${expired ? 'expired' : 'expires'} ${relativeTime(t.expiresAt)}` : 'never expires'}</span>
                  <span>{t.lastUsedAt ? `last used ${relativeTime(t.lastUsedAt)}` : 'never used'}</span>
                </div>
                <button type="button" className="btn danger-ghost" onClick={() => void revoke(t)} aria-label={`Revoke ${t.name}`}>
                  Revoke
                </button>
              </li>
            );
          })}
        </ul>
      ) : null}

      <form className="token-form" onSubmit={create} aria-busy={busy}>
        <h3>New token</h3>
        <Banner kind="error">{error}</Banner>
        <div className="field">
          <label htmlFor="token-name">Name</label>
          <input id="token-name" maxLength={100} value={name} onChange={(e) => setName(e.target.value)} placeholder="Claude Code" autoComplete="off" />
        </div>
        <fieldset className="scopes">
          <legend>Permissions</legend>
          {SCOPES.map(({ scope, label }) => (
            <label key={scope} className="check">
              <input type="checkbox" checked={scopes.includes(scope)} onChange={() => toggle(scope)} /> {label}
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor="token-cap">Monthly cap (USD, optional)</label>
          <input id="token-cap" type="number" inputMode="decimal" min={0} step="0.01" placeholder="No cap" value={cap} onChange={(e) => setCap(e.target.value)} aria-describedby="token-cap-hint" />
          <small id="token-cap-hint" className="hint">
            Never above your own monthly budget; both apply.
          </small>
        </div>
        <div className="field">
          <label htmlFor="token-models">Models (optional)</label>
          <input id="token-models" value={models} onChange={(e) => setModels(e.target.value)} placeholder="Any model — or e.g. fal-ai/flux/schnell" aria-describedby="token-models-hint" spellCheck={false} />
          <small id="token-models-hint" className="hint">
            Model ids separated by commas or spaces.
          </small>
        </div>
        <div className="field">
          <label htmlFor="token-expires">Expires (optional)</label>
          <input id="token-expires" type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </div>
        <button className="btn primary" type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create token'}
        </button>
      </form>
    </section>
  );
}
