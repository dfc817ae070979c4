import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { api, type Policy, type PolicyInput } from '../lib/api';
import { messageOf } from '../lib/useAction';
import { Banner } from '../components/Banner';

type Row = { name: string; value: string };

/** A forced value as typed: JSON when it parses (true, 1, "x", {…}), else the text itself. */
export function parseValue(v: string): unknown {
  const t = v.trim();
  try {
    return JSON.parse(t);
  } catch {
    return t;
  }
}

function showValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

const lines = (s: string) =>
  s
    .split('\n')
    .map((x) => x.trim())
    .filter(Boolean);

/** Admin → Policies (SPEC §12.2): what a member may generate. */
export function PoliciesPanel() {
  const [policies, setPolicies] = useState<Policy[] | null>(null);
  const [editing, setEditing] = useState<Policy | 'new' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setPolicies((await api.admin.policies()).policies);
    } catch (err) {
      setError(messageOf(err, 'The policies could not be loaded.'));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const remove = async (p: Policy) => {
    if (!window.confirm(`Delete the policy “${p.name}”?`)) return;
    setError(null);
    try {
      await api.admin.deletePolicy(p.id);
      setNotice(`Policy “${p.name}” deleted.`);
      await load();
    } catch (err) {
      setError(messageOf(err, 'The policy could not be deleted.'));
    }
  };

  return (
    <div className="policies" data-testid="policies-panel">
      <p className="muted">
        A policy protects the members it is assigned to (in People): parameters they cannot change, the models they may use, words their prompts
        may not contain, and outputs fal flags as unsafe kept blurred and out of shares. Admins are never bound.
      </p>
      <Banner kind="error">{error}</Banner>
      <Banner kind="success">{notice}</Banner>
      {editing ? (
        <PolicyForm
          policy={editing === 'new' ? null : editing}
          onCancel={() => setEditing(null)}
          onSaved={async (p) => {
            setEditing(null);
            setNotice(`Policy “${p.name}” saved.`);
            await load();
          }}
        />
      ) : (
        <button type="button" className="btn primary" onClick={() => setEditing('new')}>
          New policy
        </button>
      )}
      {policies && policies.length === 0 && !editing && <p className="muted">No policies yet.</p>}
      {policies && policies.length > 0 && (
        <ul className="policy-list">
          {policies.map((p) => (
            <li key={p.id} className="card policy-item" data-testid="policy-item">
              <div className="row spread">
                <h3>{p.name}</h3>
                <span className="hint">
                  {p.userCount} {p.userCount === 1 ? 'person' : 'people'}
                </span>
              </div>
              <p className="hint">
                {Object.keys(p.forcedParams).length} forced · {p.allowedModels ? `${p.allowedModels.length} models allowed` : 'every model'} ·{' '}
                {p.blockedTerms.length} blocked terms · {p.hideFlagged ? 'flagged outputs hidden' : 'flagged outputs shown'}
              </p>
              <div className="row">
                <button type="button" className="btn small" onClick={() => setEditing(p)} aria-label={`Edit ${p.name}`}>
                  Edit
                </button>
                <button type="button" className="btn small danger-ghost" onClick={() => void remove(p)} aria-label={`Delete ${p.name}`}>
                  Delete
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function PolicyForm({ policy, onCancel, onSaved }: { policy: Policy | null; onCancel: () => void; onSaved: (p: Policy) => void }) {
  const id = useId();
  const [name, setName] = useState(policy?.name ?? '');
  const [rows, setRows] = useState<Row[]>(() =>
    Object.entries(policy?.forcedParams ?? { enable_safety_checker: true }).map(([k, v]) => ({ name: k, value: showValue(v) })),
  );
  const [restrict, setRestrict] = useState(policy?.allowedModels != null);
  const [models, setModels] = useState((policy?.allowedModels ?? []).join('\n'));
  const [catalogue, setCatalogue] = useState<{ id: string; name: string }[]>([]);
  const [terms, setTerms] = useState((policy?.blockedTerms ?? []).join('\n'));
  const [hide, setHide] = useState(policy?.hideFlagged ?? false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api
      .models()
      .then((r) => setCatalogue(r.models))
      .catch(() => setCatalogue([]));
  }, []);

  const chosen = lines(models);
  const toggleModel = (m: string, on: boolean) => setModels((on ? [...chosen, m] : chosen.filter((x) => x !== m)).join('\n'));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!name.trim()) return setError('Give the policy a name.');
    const forced: Record<string, unknown> = {};
    for (const r of rows) {
      if (!r.name.trim()) continue;
      if (!/^[A-Za-z0-9_]{1,64}$/.test(r.name.trim())) return setError(`“${r.name}” is not a parameter name (letters, digits and _).`);
      forced[r.name.trim()] = parseValue(r.value);
    }
    if (restrict && chosen.length === 0) return setError('Pick at least one model, or allow every model.');
    const body: PolicyInput = { name: name.trim(), forcedParams: forced, allowedModels: restrict ? [...new Set(chosen)] : null, blockedTerms: lines(terms), hideFlagged: hide };
    setBusy(true);
    try {
      const r = policy ? await api.admin.updatePolicy(policy.id, body) : await api.admin.createPolicy(body);
      onSaved(r.policy);
    } catch (err) {
      setError(messageOf(err, 'The policy could not be saved.'));
      setBusy(false);
    }
  };

  return (
    <form className="card policy-form" onSubmit={submit} aria-busy={busy} aria-label={policy ? `Edit ${policy.name}` : 'New policy'}>
      <h3>{policy ? `Edit “${policy.name}”` : 'New policy'}</h3>
      <Banner kind="error">{error}</Banner>
      <div className="field">
        <label htmlFor={`${id}-name`}>Name</label>
        <input id={`${id}-name`} value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
      </div>
      <fieldset className="field">
        <legend>Forced parameters</legend>
        <p className="hint">Set for every generation of the people bound; they see them locked. Values are JSON (true, 1, "text") or plain text.</p>
        {rows.map((r, i) => (
          <div className="row forced-row" key={i}>
            <label className="visually-hidden" htmlFor={`${id}-k${i}`}>
              Parameter name {i + 1}
            </label>
            <input id={`${id}-k${i}`} placeholder="safety_tolerance" value={r.name} onChange={(e) => setRows(rows.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))} />
            <label className="visually-hidden" htmlFor={`${id}-v${i}`}>
              Value {i + 1}
            </label>
            <input id={`${id}-v${i}`} placeholder='"1"' value={r.value} onChange={(e) => setRows(rows.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))} />
            <button type="button" className="btn small danger-ghost" onClick={() => setRows(rows.filter((_, j) => j !== i))} aria-label={`Remove parameter ${r.name || i + 1}`}>
              Remove
            </button>
          </div>
        ))}
        <button type="button" className="btn small" onClick={() => setRows([...rows, { name: '', value: '' }])} disabled={rows.length >= 32}>
          Add parameter
        </button>
      </fieldset>
      <fieldset className="field">
        <legend>Models</legend>
        <label className="check">
          <input type="checkbox" checked={restrict} onChange={(e) => setRestrict(e.target.checked)} /> Only these models
        </label>
        {restrict && (
          <>
            <div className="model-checks">
              {catalogue.map((m) => (
                <label className="check" key={m.id}>
                  <input type="checkbox" checked={chosen.includes(m.id)} onChange={(e) => toggleModel(m.id, e.target.checked)} /> {m.name}
                </label>
              ))}
            </div>
            <label htmlFor={`${id}-models`}>Model ids, one per line (custom ones too)</label>
            <textarea id={`${id}-models`} rows={3} value={models} onChange={(e) => setModels(e.target.value)} spellCheck={false} />
          </>
        )}
      </fieldset>
      <div className="field">
        <label htmlFor={`${id}-terms`}>Blocked terms, one per line</label>
        <textarea id={`${id}-terms`} rows={4} value={terms} onChange={(e) => setTerms(e.target.value)} aria-describedby={`${id}-terms-hint`} />
        <small id={`${id}-terms-hint`} className="hint">
          Matched as whole words, in any case. A prompt holding one is refused before it reaches fal.
        </small>
      </div>
      <label className="check">
        <input type="checkbox" checked={hide} onChange={(e) => setHide(e.target.checked)} /> Hide outputs fal flags as unsafe (blurred; never shared,
        downloaded or exported)
      </label>
      <div className="row">
        <button className="btn primary" type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save policy'}
        </button>
        <button className="btn" type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
