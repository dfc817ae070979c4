import { useEffect, useRef, useState } from 'react';
import { useHidesFlagged } from '../lib/policy';
import { api, power, type Asset, type Collection, type Model } from '../lib/api';
import { formatUsd } from '../lib/money';
import { messageOf } from '../lib/useAction';
import { formatBytes, getAssetUrl, getDownloadUrl, getThumbUrl } from '../lib/assets';
import { Banner } from '../components/Banner';
import { Dialog } from './Dialog';
import { useModels } from '../create/useModels';
import { FRAME_STEP, VideoTools } from './VideoTools';

export function AssetDetail({
  asset,
  hasPrev,
  hasNext,
  onPrev,
  onNext,
  onClose,
  onReuse,
  onUseAsReference,
  onAnimate,
  onDelete,
  collections = [],
  shareCount = 0,
  onToggleFavorite,
  onShare,
  onSetCover,
  trashOn = false,
  onUseFrame,
}: {
  /** Delete moves to the trash at once (the gallery offers Undo); off: confirm first. */
  trashOn?: boolean;
  asset: Asset;
  hasPrev: boolean;
  hasNext: boolean;
  onPrev: () => void;
  onNext: () => void;
  onClose: () => void;
  onReuse: (a: Asset) => void;
  onUseAsReference: (a: Asset, url: string) => void;
  /** Opens Create with an image-to-video model and this image as its reference. */
  onAnimate?: (a: Asset, url: string) => void;
  onDelete: (a: Asset) => Promise<void>;
  collections?: Collection[];
  shareCount?: number;
  onToggleFavorite?: (a: Asset) => void;
  onShare?: (a: Asset) => void;
  onSetCover?: (a: Asset) => Promise<void>; // set when the gallery shows one collection
  /** Opens Create with a frame (uploaded to fal as url) in the model's start or end frame field. */
  onUseFrame?: (frame: Asset, url: string, model: Model, field: string) => void;
}) {
  const hidden = useHidesFlagged() && !!asset.flagged;
  const dialog = useRef<HTMLDivElement>(null);
  const video = useRef<HTMLVideoElement>(null);
  const { models } = useModels();
  const starters = (models ?? []).filter((m) => m.frames);
  const ender = starters.find((m) => m.frames?.end);
  const [msg, setMsg] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [lineage, setLineage] = useState<{ parent: Asset | null; children: Asset[] }>({ parent: null, children: [] });
  const prices = useDerivePrices(asset.kind === 'image');

  useEffect(() => {
    setMsg(null);
    setError(null);
    setConfirming(false);
  }, [asset.id]);
  // "Made from" and "Made from this" (SPEC §13.2): the lineage is read per asset; a failure
  // only leaves the strips out.
  useEffect(() => {
    let live = true;
    setLineage({ parent: null, children: [] });
    api
      .lineage(asset.id)
      .then((r) => live && setLineage({ parent: r.ancestors[0] ?? null, children: r.children }))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [asset.id]);
  // The personal access token that made it, if any ("via Claude Code"), from its generation.
  const [via, setVia] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setVia(null);
    if (!asset.generationId) return; // a frame or an import: no job made it
    api
      .generation(asset.generationId)
      .then((r) => {
        if (live) setVia(r?.generation?.via?.name ?? null);
      })
      .catch(() => {
        // the detail shows without it
      });
    return () => {
      live = false;
    };
  }, [asset.generationId]);
  // The confirm buttons replace the Delete button (and back): keep focus in the dialog so its
  // keys (Escape, arrows) still work.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (!dialog.current?.contains(document.activeElement) || document.activeElement === document.body) dialog.current?.focus();
  }, [confirming]);

  // Escape and Tab are the dialog's; these keys are the detail's own.
  const onKey = (e: React.KeyboardEvent) => {
    // Arrow keys belong to a focused player or field (seeking, caret), not to navigation.
    const t = e.target as HTMLElement;
    const own = t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLMediaElement;
    if (e.key === 'ArrowLeft' && !own) {
      e.preventDefault();
      onPrev();
    } else if (e.key === 'ArrowRight' && !own) {
      e.preventDefault();
      onNext();
    } else if ((e.key === 'f' || e.key === 'F') && !own && !e.ctrlKey && !e.metaKey && !e.altKey && onToggleFavorite) {
      e.preventDefault();
      onToggleFavorite(asset);
    } else if ((e.key === ',' || e.key === '.') && asset.kind === 'video' && video.current && !(t instanceof HTMLInputElement && t.type !== 'range') && !(t instanceof HTMLTextAreaElement)) {
      // Frame steps: the player pauses and moves one frame back or forward.
      e.preventDefault();
      const v = video.current;
      v.pause();
      v.currentTime = Math.max(0, Math.min(v.duration || 0, v.currentTime + (e.key === ',' ? -FRAME_STEP : FRAME_STEP)));
    } else if (e.key === 'Delete' && !own) {
      e.preventDefault();
      if (trashOn) void del();
      else setConfirming(true); // never deletes for good without the second step
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
  const useRef_ = async (then: (a: Asset, url: string) => void = onUseAsReference) => {
    setBusy(true);
    setError(null);
    try {
      const r = await api.uploadAsset(asset.id);
      then(asset, r.url);
    } catch (err) {
      setError(messageOf(err, 'Could not prepare the reference.'));
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
      setError(messageOf(err, 'Delete failed.'));
      setBusy(false);
    }
  };

  const memberOf = collections.filter((c) => asset.collectionIds?.includes(c.id));
  const params = Object.entries(asset.params ?? {}).filter(([k]) => !k.endsWith('_url') && !k.endsWith('_urls'));
  return (
    <Dialog className="modal" labelledBy="detail-title" onClose={onClose} onKey={onKey} dialogRef={dialog}>
      <div className="modal-media">
        {asset.kind === 'video' ? (
          <video key={asset.id} ref={video} src={getAssetUrl(asset)} controls autoPlay muted playsInline loop preload="auto" data-testid="detail-media" />
        ) : asset.kind === 'audio' ? (
          <audio key={asset.id} src={getAssetUrl(asset)} controls data-testid="detail-media" />
        ) : (
          <img
            src={getAssetUrl(asset)}
            alt={asset.prompt || 'Generated image'}
            data-testid="detail-media"
            className={hidden ? 'flagged-blur' : undefined}
          />
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
          <h2 id="detail-title">Details</h2>
          <button type="button" className="btn small" onClick={onClose} aria-label="Close">
            ✕
          </button>
        </div>
        <p className="prompt">{asset.prompt || <em className="muted">No prompt</em>}</p>
        <dl>
          <dt>Model</dt>
          <dd data-testid="detail-model">{asset.model}</dd>
          {via && (
            <>
              <dt>Made by</dt>
              <dd data-testid="detail-via">via {via}</dd>
            </>
          )}
          <dt>Created</dt>
          <dd>
            <time dateTime={asset.createdAt}>{new Date(asset.createdAt).toLocaleString()}</time>
          </dd>
          <dt>Size</dt>
          <dd>
            <span data-testid="detail-size">
              {asset.width && asset.height ? `${asset.width}×${asset.height} · ` : ''}
              {formatBytes(asset.bytes)}
              {asset.bytes >= 1024 ? ` (${asset.bytes.toLocaleString()} bytes)` : ''} · {asset.contentType}
            </span>
          </dd>
          <dt>Collections</dt>
          <dd data-testid="detail-collections">{memberOf.length ? memberOf.map((c) => c.name).join(', ') : <span className="muted">none</span>}</dd>
          <dt>Sharing</dt>
          <dd data-testid="detail-shares">{shareCount === 0 ? <span className="muted">not shared</span> : shareCount === 1 ? 'shared by 1 link' : `shared by ${shareCount} links`}</dd>
          {asset.parent && (
            <>
              <dt>Made from</dt>
              <dd data-testid="detail-parent">
                {asset.parent.missing || !lineage.parent ? (
                  <span className="muted">{asset.parent.missing ? 'source deleted' : asset.parent.relation}</span>
                ) : (
                  <span className="lineage-strip">
                    <img src={getThumbUrl(lineage.parent) ?? getAssetUrl(lineage.parent)} alt={`Source: ${lineage.parent.prompt || 'image'}`} />
                    <span className="muted">{asset.parent.relation}</span>
                  </span>
                )}
              </dd>
            </>
          )}
          {lineage.children.length > 0 && (
            <>
              <dt>Made from this</dt>
              <dd className="lineage-strip" data-testid="detail-children">
                {lineage.children.slice(0, 12).map((c) =>
                  c.kind === 'image' ? (
                    <img key={c.id} src={getThumbUrl(c) ?? getAssetUrl(c)} alt={`${c.parent?.relation ?? 'made'}: ${c.prompt || 'image'}`} />
                  ) : (
                    <span key={c.id} className="muted">
                      {c.kind}
                    </span>
                  ),
                )}
              </dd>
            </>
          )}
          {asset.contentCredentials?.present && (
            <>
              <dt>Content Credentials</dt>
              <dd data-testid="detail-c2pa">
                This file carries a C2PA manifest.{' '}
                <a href="https://contentcredentials.org/verify" target="_blank" rel="noopener noreferrer">
                  Verify it
                </a>
              </dd>
            </>
          )}
          {params.map(([k, v]) => (
            <div key={k} className="param-row">
              <dt>{k.replace(/_/g, ' ')}</dt>
              <dd>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
            </div>
          ))}
        </dl>
        {asset.kind === 'video' && onUseFrame && <VideoTools asset={asset} video={video} models={models ?? []} onUseFrame={onUseFrame} />}
        <Banner kind="success">{msg}</Banner>
        <Banner kind="error">{error}</Banner>
        <div className="actions">
          {onToggleFavorite && (
            <button
              type="button"
              className={asset.favorite ? 'btn fav-on' : 'btn'}
              aria-pressed={!!asset.favorite}
              onClick={() => onToggleFavorite(asset)}
              title="Favourite (f)"
            >
              {asset.favorite ? '★ Favourite' : '☆ Favourite'}
            </button>
          )}
          {hidden && <p className="hint">fal flagged this output as unsafe; your policy keeps it blurred and private.</p>}
          {onShare && !hidden && (
            <button type="button" className="btn" onClick={() => onShare(asset)}>
              Share…
            </button>
          )}
          {onSetCover && (
            <button
              type="button"
              className="btn"
              onClick={() =>
                void onSetCover(asset)
                  .then(() => setMsg('This is now the collection’s cover.'))
                  .catch((err) => setError(messageOf(err, 'The cover could not be set.')))
              }
            >
              Use as cover
            </button>
          )}
          {!hidden && (
            <>
          <a className="btn" href={getDownloadUrl(asset)} download title="With a note that it was made by AI (XMP)">
            Download
          </a>
          <a className="btn" href={`${getDownloadUrl(asset)}&original=1`} download title="Exactly the file fal returned">
            Download original
          </a>
            </>
          )}
          <button type="button" className="btn" onClick={copy} disabled={!asset.prompt}>
            Copy prompt
          </button>
          <button type="button" className="btn" onClick={() => onReuse(asset)}>
            Reuse settings
          </button>
          {asset.kind === 'image' && (
            <button type="button" className="btn" onClick={() => void useRef_()} disabled={busy}>
              Use as reference
            </button>
          )}
          {asset.kind === 'image' && onUseFrame && starters.length > 0 && (
            <button type="button" className="btn" onClick={() => void useRef_((a, url) => onUseFrame(a, url, starters[0], starters[0].frames!.start))} disabled={busy}>
              Use as start frame
            </button>
          )}
          {asset.kind === 'image' && onUseFrame && ender && (
            <button type="button" className="btn" onClick={() => void useRef_((a, url) => onUseFrame(a, url, ender, ender.frames!.end!))} disabled={busy}>
              Use as end frame
            </button>
          )}
          {asset.kind === 'image' && onAnimate && (
            <button type="button" className="btn" onClick={() => void useRef_(onAnimate)} disabled={busy}>
              Animate
            </button>
          )}
          {asset.kind === 'image' &&
            DERIVE_ACTIONS.map((d) => (
              <button
                key={d.action}
                type="button"
                className="btn"
                disabled={busy}
                onClick={async () => {
                  setBusy(true);
                  setError(null);
                  try {
                    await power.derive(asset.id, d.action);
                    setMsg(`${d.label} started: the result will appear in the gallery.`);
                  } catch (err) {
                    setError(messageOf(err, `${d.label} could not be started.`));
                  } finally {
                    setBusy(false);
                  }
                }}
              >
                {d.label}
                {prices[d.action] !== undefined ? ` · ${formatUsd(prices[d.action] as number)}` : ''}
              </button>
            ))}
          {trashOn ? (
            <button type="button" className="btn danger-ghost" onClick={() => void del()} disabled={busy}>
              Move to trash
            </button>
          ) : !confirming ? (
            <button type="button" className="btn danger-ghost" onClick={() => setConfirming(true)}>
              Delete
            </button>
          ) : (
            <div className="confirm" role="group" aria-label="Confirm delete">
              <span>Delete forever?</span>
              <button type="button" className="btn danger" onClick={del} disabled={busy}>
                Yes, delete
              </button>
              <button type="button" autoFocus className="btn" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </div>
          )}
        </div>
      </aside>
    </Dialog>
  );
}

/** The one-click derive actions (SPEC §14) and their default models. */
const DERIVE_ACTIONS = [
  { action: 'upscale', label: 'Upscale', model: 'fal-ai/recraft/upscale/crisp' },
  { action: 'remove-background', label: 'Remove background', model: 'fal-ai/bria/background/remove' },
] as const;

/** The price of each derive action for one output, from the studio's estimate. */
function useDerivePrices(enabled: boolean): Partial<Record<string, number>> {
  const [prices, setPrices] = useState<Partial<Record<string, number>>>({});
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    for (const d of DERIVE_ACTIONS) {
      api
        .estimate(d.model, '', {})
        .then((r) => live && r.estimate && setPrices((p) => ({ ...p, [d.action]: r.estimate!.usd })))
        .catch(() => undefined);
    }
    return () => {
      live = false;
    };
  }, [enabled]);
  return prices;
}
