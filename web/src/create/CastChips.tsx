import { useEffect, useState } from 'react';
import { power, type CastMember, type ModelReference } from '../lib/api';

/** The cast members the person may use, loaded once per Create visit. */
export function useCast(): CastMember[] {
  const [cast, setCast] = useState<CastMember[]>([]);
  useEffect(() => {
    let live = true;
    power
      .cast()
      .then((r) => live && setCast(r?.cast ?? []))
      .catch(() => live && setCast([]));
    return () => {
      live = false;
    };
  }, []);
  return cast;
}

/**
 * Cast chips (SPEC §14): picking a member fills the model's reference field with its pictures
 * (as typing @name does). On a model without a reference field the chips are disabled with the
 * reason; a member with more pictures than the model takes says how many are used.
 */
export function CastChips({
  cast,
  selected,
  reference,
  useDescription,
  onChange,
  onUseDescription,
}: {
  cast: CastMember[];
  selected: string[];
  reference: ModelReference | null;
  useDescription: boolean;
  onChange: (ids: string[]) => void;
  onUseDescription: (on: boolean) => void;
}) {
  if (cast.length === 0) return null;
  const max = reference ? (reference.multiple ? reference.max : 1) : 0;
  return (
    <fieldset className="cast-chips">
      <legend>Cast</legend>
      {!reference && <p className="hint">This model takes no reference images, so cast members cannot be used with it.</p>}
      <div className="chips">
        {cast.map((m) => {
          const on = selected.includes(m.id);
          const used = Math.min(m.images.length, max);
          return (
            <button
              key={m.id}
              type="button"
              className={`chip${on ? ' on' : ''}`}
              aria-pressed={on}
              disabled={!reference}
              title={reference ? `@${m.name}` : 'This model takes no reference images'}
              onClick={() => onChange(on ? selected.filter((id) => id !== m.id) : [...selected, m.id])}
            >
              @{m.name}
              {reference && m.images.length > max ? ` (${used} of ${m.images.length} pictures)` : ''}
            </button>
          );
        })}
      </div>
      <label className="check">
        <input type="checkbox" checked={useDescription} onChange={(e) => onUseDescription(e.target.checked)} disabled={!reference} /> Use description
      </label>
    </fieldset>
  );
}

/**
 * Typing "@" at the end of the prompt offers the cast members whose name starts with what
 * follows it; picking one completes the mention (the studio then fills the reference field).
 */
export function MentionSuggestions({ prompt, cast, onPick }: { prompt: string; cast: CastMember[]; onPick: (prompt: string) => void }) {
  const m = /(^|[^\p{L}\p{N}_])@([\p{L}\p{N}_-]*)$/u.exec(prompt);
  if (!m || cast.length === 0) return null;
  const typed = m[2].toLowerCase();
  const matches = cast.filter((c) => c.name.toLowerCase().startsWith(typed) && c.name.toLowerCase() !== typed).slice(0, 6);
  if (matches.length === 0) return null;
  return (
    <div className="chips mention-suggestions" role="group" aria-label="Cast members">
      {matches.map((c) => (
        <button key={c.id} type="button" className="chip" onClick={() => onPick(prompt.slice(0, prompt.length - m[2].length) + c.name + ' ')}>
          @{c.name} <span className="muted">{c.kind}</span>
        </button>
      ))}
    </div>
  );
}
