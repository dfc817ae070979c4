import { useState } from 'react';
import type { Asset } from '../lib/api';
import { AssetsView, noQuery, type AssetQuery } from './AssetsView';
import { CollectionsView } from './CollectionsView';
import { HistoryView } from './HistoryView';
import { CastView } from './CastView';
import { ShareDialog } from './ShareDialog';
import { shareCollection, useLibrary, type ShareRequest } from './useLibrary';

type View = 'assets' | 'collections' | 'cast' | 'history';
const views: [View, string][] = [
  ['assets', 'Assets'],
  ['collections', 'Collections'],
  ['cast', 'Cast'],
  ['history', 'History'],
];

/**
 * The Gallery tab: the switch between its three views (the assets, the collections, the
 * history), over what they share: the collections and share links, the asset query (it outlives
 * a visit to another view; opening a collection sets it) and the share dialog.
 */
export function GalleryTab({
  onReuse,
  onUseAsReference,
  onAnimate,
  onGoCreate,
}: {
  onReuse: (a: Asset) => void;
  onUseAsReference: (a: Asset, url: string) => void;
  onAnimate?: (a: Asset, url: string) => void;
  onGoCreate: () => void;
}) {
  const [view, setView] = useState<View>('assets');
  const [query, setQuery] = useState<AssetQuery>(noQuery);
  const [sharing, setSharing] = useState<ShareRequest | null>(null);
  const library = useLibrary();

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
          query={query}
          onQuery={setQuery}
          library={library}
          onShare={setSharing}
          onReuse={onReuse}
          onUseAsReference={onUseAsReference}
          onAnimate={onAnimate}
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

      {sharing && <ShareDialog target={sharing.target} label={sharing.label} onClose={() => setSharing(null)} onChanged={library.setShares} />}
    </div>
  );
}
