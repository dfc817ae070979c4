import { useEffect, useRef, useState } from 'react';
import { api, ApiError, type Asset } from '../lib/api';
import { formatBytes, getAssetUrl, getDownloadUrl } from '../lib/assets';
import { Banner } from '../components/Banner';

export function AssetDetail({
  asset,
  hasPrev,
  hasNext,
  onPrev,
  onNext,
  onClose,
  onReuse,
  onUseAsReference,
  onDelete,
}: {
  asset: Asset;
  hasPrev: boolean;
  hasNext: boolean;
  onPrev: () => void;
  onNext: () => void;
  onClose: () => void;
  onReuse: (a: Asset) => void;
  onUseAsReference: (a: Asset, url: string) => void;
  onDelete: (a: Asset) => Promise<void>;
}) {
  const dialog = useRef<HTMLDivElement>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const prev = document.activeElement as HTMLElement | null;
    dialog.current?.focus();
    return () => prev?.focus();
  }, []);
  useEffect(() => {
    setMsg(null);
    setError(null);
    setConfirming(false);
  }, [asset.id]);

  const onKey = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') onClose();
    else if (e.key === 'ArrowLeft' && !(e.target instanceof HTMLInputElement)) onPrev();
    else if (e.key === 'ArrowRight' && !(e.target instanceof HTMLInputElement)) onNext();
    else if (e.key === 'Tab') {
      // Keep focus inside the dialog.
      const f = dialog.current?.querySelectorAll<HTMLElement>('button, a[href], video, [tabindex]:not([tabindex="-1"])');
      if (!f || f.length === 0) return;
      const first = f[0];
      const last = f[f.length - 1];
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    }
  };

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(asset.prompt);
      setMsg('Prompt copied.');
    } catch {
      setMsg('Copy is not available here; select the prompt text instead.');
    }
  };
  const useRef_ = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await api.uploadAsset(asset.id);
      onUseAsReference(asset, r.url);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Could not prepare the reference.');
    } finally {
      setBusy(false);
    }
  };
  const del = async () => {
    setBusy(true);
    setError(null);
    try {
      await onDelete(asset);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Delete failed.');
      setBusy(false);
    }
  };

  const params = Object.entries(asset.params ?? {}).filter(([k]) => !k.endsWith('_url') && !k.endsWith('_urls'));
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-label="Asset details"
        tabIndex={-1}
        ref={dialog}
        onKeyDown={onKey}
        onClick={(e) => e.stopPropagation()}
      >
        <div className="modal-media">
          {asset.kind === 'video' ? (
            <video src={getAssetUrl(asset)} controls autoPlay playsInline loop data-testid="detail-media" />
          ) : (
            <img src={getAssetUrl(asset)} alt={asset.prompt || 'Generated image'} data-testid="detail-media" />
          )}
          <button type="button" className="nav prev" onClick={onPrev} disabled={!hasPrev} aria-label="Previous">
            ←
          </button>
          <button type="button" className="nav next" onClick={onNext} disabled={!hasNext} aria-label="Next">
            →
          </button>
        </div>
        <aside className="modal-info">
          <div className="row spread">
            <h2>Details</h2>
            <button type="button" className="btn small" onClick={onClose} aria-label="Close">
              ✕
            </button>
          </div>
          <p className="prompt">{asset.prompt || <em className="muted">No prompt</em>}</p>
          <dl>
            <dt>Model</dt>
            <dd>{asset.model}</dd>
            <dt>Created</dt>
            <dd>{new Date(asset.createdAt).toLocaleString()}</dd>
            <dt>Size</dt>
            <dd>
              {asset.width && asset.height ? `${asset.width}×${asset.height} · ` : ''}
              {formatBytes(asset.bytes)} · {asset.contentType}
            </dd>
            {params.map(([k, v]) => (
              <div key={k} className="param-row">
                <dt>{k.replace(/_/g, ' ')}</dt>
                <dd>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
              </div>
            ))}
          </dl>
          <Banner kind="success">{msg}</Banner>
          <Banner kind="error">{error}</Banner>
          <div className="actions">
            <a className="btn" href={getDownloadUrl(asset)} download>
              Download
            </a>
            <button type="button" className="btn" onClick={copy}>
              Copy prompt
            </button>
            <button type="button" className="btn" onClick={() => onReuse(asset)}>
              Reuse settings
            </button>
            {asset.kind === 'image' && (
              <button type="button" className="btn" onClick={useRef_} disabled={busy}>
                Use as reference
              </button>
            )}
            {!confirming ? (
              <button type="button" className="btn danger-ghost" onClick={() => setConfirming(true)}>
                Delete
              </button>
            ) : (
              <div className="confirm" role="group" aria-label="Confirm delete">
                <span>Delete forever?</span>
                <button type="button" className="btn danger" onClick={del} disabled={busy}>
                  Yes, delete
                </button>
                <button type="button" className="btn" onClick={() => setConfirming(false)}>
                  Keep
                </button>
              </div>
            )}
          </div>
        </aside>
      </div>
    </div>
  );
}
