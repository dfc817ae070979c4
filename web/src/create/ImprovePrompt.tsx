import { useState } from 'react';
import { power } from '../lib/api';
import { formatUsd } from '../lib/money';
import { messageOf } from '../lib/useAction';

/**
 * "Improve" beside the prompt (SPEC §14): fal's LLM rewrites the prompt for the chosen model.
 * The rewrite is a suggestion with its cost; the original stays until the person accepts it
 * (they may edit it first) or discards it.
 */
export function ImprovePrompt({ prompt, model, disabled, onAccept }: { prompt: string; model: string; disabled?: boolean; onAccept: (p: string) => void }) {
  const [busy, setBusy] = useState(false);
  const [suggestion, setSuggestion] = useState<{ prompt: string; costUsd: number | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const improve = async () => {
    setBusy(true);
    setError(null);
    try {
      setSuggestion(await power.enhance(prompt, model));
    } catch (err) {
      setError(messageOf(err, 'The prompt could not be improved.'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="improve">
      <button type="button" className="btn small" onClick={() => void improve()} disabled={disabled || busy || !prompt.trim() || !model}>
        {busy ? 'Improving…' : 'Improve'}
      </button>
      {error && (
        <p className="hint" role="alert">
          {error}
        </p>
      )}
      {suggestion && (
        <div className="suggestion" data-testid="prompt-suggestion">
          <label htmlFor="prompt-suggestion">
            Suggested prompt{suggestion.costUsd !== null ? ` · ${formatUsd(suggestion.costUsd)}` : ''}
          </label>
          <textarea id="prompt-suggestion" rows={4} value={suggestion.prompt} onChange={(e) => setSuggestion({ ...suggestion, prompt: e.target.value })} />
          <div className="row">
            <button
              type="button"
              className="btn small primary"
              onClick={() => {
                onAccept(suggestion.prompt);
                setSuggestion(null);
              }}
            >
              Use suggestion
            </button>
            <button type="button" className="btn small" onClick={() => setSuggestion(null)}>
              Discard
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
