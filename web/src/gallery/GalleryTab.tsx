import { useCallback, useEffect, useState } from 'react';
import { api, type Asset, type Model } from '../lib/api';
import { AssetsView, noQuery, type AssetQuery } from './AssetsView';
import { CollectionsView } from './CollectionsView';
import { HistoryView } from './HistoryView';
import { CastView } from './CastView';
import { ShareDialog } from './ShareDialog';
import { shareCollection, useLibrary, type ShareRequest } from './useLibrary';
import { Toast, TrashView, type ToastState } from './TrashView';

type View = 'assets' | 'collections' | 'cast' | 'history' | 'trash';
const views: [View, string][] = [
  ['assets', 'Assets'],
  ['collections', 'Collections'],
  ['cast', 'Cast'],
  ['history', 'History'],
  ['trash', 'Trash'],
];

/** How long a toast stays (its Undo with it). */
const TOAST_MS = 8000;

/**
 * The Gallery tab: the switch between its three views (the assets, the collections, the
 * history), over what they share: the collections and share links, the asset query (it outlives
 * a visit to another view; opening a collection sets it) and the share dialog.
 */
export function GalleryTab({
  onReuse,
  onUseAsReference,
  onAnimate,
  onUseFrame,
  onGoCreate,
}: {
  onReuse: (a: Asset) => void;
  onUseAsReference: (a: Asset, url: string) => void;
  onAnimate?: (a: Asset, url: string) => void;
  onUseFrame?: (frame: Asset, url: string, model: Model, field: string) => void;
  onGoCreate: () => void;
}) {
  const [view, setView] = useState<View>('assets');
  const [query, setQuery] = useState<AssetQuery>(noQuery);
  const [sharing, setSharing] = useState<ShareRequest | null>(null);
  const library = useLibrary();
  // How long the trash keeps a deleted asset (SPEC §13.1); 0: the trash is off and a delete
  // asks first. Unknown until the studio answers: deletes ask first meanwhile.
  const [retention, setRetention] = useState(0);
  const [toast, setToast] = useState<ToastState | null>(null);
  useEffect(() => {
    let live = true;
    api
      .trash(null, 1)
      .then((r) => live && setRetention(r.retentionSeconds ?? 0))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, []);
  useEffect(() => {
    if (!toast) return;
    const t = window.setTimeout(() => setToast(null), TOAST_MS);
    return () => window.clearTimeout(t);
  }, [toast]);
  // The assets view loads afresh when it is shown again, restored assets included.
  const onRestored = useCallback(() => void library.loadCollections(), [library]);

  return (
    <div>
      <div className="segmented view-switch" role="group" aria-label="Library view">
        {views.map(([v, l]) => (
          <button key={v} type="button" className={view === v ? 'active' : ''} aria-pressed={view === v} onClick={() => setView(v)}>
            {l}
          </button>
        ))}
      </div>

      {view === 'assets' && (
        <AssetsView
          trashOn={retention > 0}
          onToast={setToast}
          query={query}
          onQuery={setQuery}
          library={library}
          onShare={setSharing}
          onReuse={onReuse}
          onUseAsReference={onUseAsReference}
          onAnimate={onAnimate}
          onUseFrame={onUseFrame}
          onGoCreate={onGoCreate}
        />
      )}
      {view === 'collections' && (
        <CollectionsView
          collections={library.collections}
          onChanged={library.loadCollections}
          onOpen={(c) => {
            setQuery((q) => ({ ...q, filters: { collection: c.id } }));
            setView('assets');
          }}
          onShare={(c) => setSharing(shareCollection(c))}
        />
      )}
      {view === 'cast' && (
        <CastView
          onShowAssets={(m) => {
            setQuery((q) => ({ ...q, filters: { cast: m.id } }));
            setView('assets');
          }}
        />
      )}
      {view === 'history' && <HistoryView />}
      {view === 'trash' && <TrashView retention={retention} onRestored={onRestored} />}
      {toast && <Toast toast={toast} onDone={() => setToast(null)} />}

      {sharing && <ShareDialog target={sharing.target} label={sharing.label} onClose={() => setSharing(null)} onChanged={library.setShares} />}
    </div>
  );
}
