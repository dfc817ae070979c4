import { useCallback, useEffect, useMemo, useState } from 'react';
import { useHidesFlagged } from '../lib/policy';
import { api, type Asset, type AssetFilters, type Model } from '../lib/api';
import { getAssetUrl, getThumbUrl } from '../lib/assets';
import { messageOf } from '../lib/useAction';
import { usePagedList } from '../lib/usePagedList';
import { Banner } from '../components/Banner';
import { AssetDetail } from './AssetDetail';
import { BulkBar } from './BulkBar';
import { FiltersBar } from './FiltersBar';
import { shareAsset, shareCollection, type Library, type ShareRequest } from './useLibrary';
import { useSelection } from './useSelection';
import type { ToastState } from './TrashView';

const PAGE = 30;

/** What the asset page shows: a kind, the search box as typed, the filters. */
export interface AssetQuery {
  kind: string;
  q: string;
  filters: AssetFilters;
}
export const noQuery: AssetQuery = { kind: '', q: '', filters: {} };

/**
 * The asset page: the kind, the search and the filters, the grid paged by scrolling, selection
 * and bulk actions, favourites, and the detail dialog. The query belongs to the gallery (it
 * outlives a visit to the other views, and opening a collection sets it).
 */
export function AssetsView({
  trashOn = false,
  onToast,
  query,
  onQuery,
  library,
  onShare,
  onReuse,
  onUseAsReference,
  onAnimate,
  onUseFrame,
  onGoCreate,
}: {
  /** Deletes go to the trash (no confirmation; a toast offers Undo). */
  trashOn?: boolean;
  onToast?: (t: ToastState) => void;
  query: AssetQuery;
  onQuery: (q: AssetQuery) => void;
  library: Library;
  onShare: (r: ShareRequest) => void;
  onReuse: (a: Asset) => void;
  onUseAsReference: (a: Asset, url: string) => void;
  onAnimate?: (a: Asset, url: string) => void;
  onUseFrame?: (frame: Asset, url: string, model: Model, field: string) => void;
  onGoCreate: () => void;
}) {
  const hideFlagged = useHidesFlagged();
  const { kind, filters } = query;
  const [search, setSearch] = useState(query.q.trim());
  const [open, setOpen] = useState<number | null>(null);

  // Debounce the search box.
  useEffect(() => {
    const t = window.setTimeout(() => setSearch(query.q.trim()), 300);
    return () => window.clearTimeout(t);
  }, [query.q]);

  const page = useCallback(
    (cursor: string | null) => api.assets({ kind, q: search, ...filters, cursor, limit: PAGE }).then((r) => ({ items: r.assets, nextCursor: r.nextCursor })),
    [kind, search, filters],
  );
  const { items, setItems, cursor, loading, error, setError, more, sentinel } = usePagedList(page, 'The gallery could not be loaded.');

  const ids = useMemo(() => items.map((a) => a.id), [items]);
  const sel = useSelection(ids);

  const patch = (changed: Asset[]) => {
    const byId = new Map(changed.map((a) => [a.id, a]));
    setItems((cur) => cur.map((a) => byId.get(a.id) ?? a));
  };
  // Restored assets go back to their place (the gallery's order: newest first).
  const putBack = (back: Asset[]) =>
    setItems((cur) =>
      [...cur.filter((a) => !back.some((b) => b.id === a.id)), ...back].sort(
        (x, y) => Date.parse(y.createdAt) - Date.parse(x.createdAt) || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0),
      ),
    );
  const trashed = (gone: Asset[]) => {
    if (!trashOn || gone.length === 0) return;
    onToast?.({
      text: gone.length === 1 ? 'Moved to trash' : `${gone.length} items moved to trash`,
      undo: async () => {
        await api.restore(gone.map((a) => a.id));
        putBack(gone.map((a) => ({ ...a, trashedAt: null, purgeAt: null })));
        void library.loadCollections();
      },
    });
  };
  const remove = async (a: Asset) => {
    await api.deleteAsset(a.id);
    setItems((cur) => cur.filter((x) => x.id !== a.id));
    setOpen(null);
    trashed([a]);
    void library.loadCollections();
    void library.loadShares();
  };
  const toggleFavorite = async (a: Asset) => {
    const on = !a.favorite;
    patch([{ ...a, favorite: on }]); // at once; put back if the studio refuses
    try {
      const r = await api.setFavorite(a.id, on);
      if (r?.asset) patch([r.asset]);
      if (filters.favorite && !on) setItems((cur) => cur.filter((x) => x.id !== a.id));
    } catch (err) {
      patch([a]);
      setError(messageOf(err, 'The favourite could not be saved.'));
    }
  };

  const onTile = (e: React.MouseEvent, i: number) => {
    if (e.shiftKey || e.metaKey || e.ctrlKey || sel.selected.size > 0) {
      e.preventDefault();
      sel.toggle(i, e.shiftKey);
      return;
    }
    setOpen(i);
  };

  const filtered = kind !== '' || search !== '' || Object.values(filters).some(Boolean);
  const activeCollection = library.collections.find((c) => c.id === filters.collection);

  return (
    <>
      <div className="toolbar">
        <div className="segmented" role="group" aria-label="Filter by kind">
          {[
            ['', 'All'],
            ['image', 'Images'],
            ['video', 'Videos'],
          ].map(([k, label]) => (
            <button key={k} type="button" className={query.kind === k ? 'active' : ''} aria-pressed={query.kind === k} onClick={() => onQuery({ ...query, kind: k })}>
              {label}
            </button>
          ))}
        </div>
        <input className="search" type="search" placeholder="Search prompts…" aria-label="Search prompts" value={query.q} onChange={(e) => onQuery({ ...query, q: e.target.value })} />
      </div>
      <FiltersBar filters={query.filters} collections={library.collections} onChange={(filters) => onQuery({ ...query, filters })} />
      {activeCollection && (
        <div className="row collection-head">
          <h2>{activeCollection.name}</h2>
          <button type="button" className="btn small" onClick={() => onShare(shareCollection(activeCollection))}>
            Share collection…
          </button>
        </div>
      )}
      <Banner kind="error">{error}</Banner>
      {!loading && items.length === 0 && !error ? (
        <div className="card empty">
          <div className="empty-art" aria-hidden="true">
            ▦
          </div>
          {filtered ? <p>Nothing matches. Try another word or filter.</p> : <p>Your gallery is empty. Everything you generate is saved here.</p>}
          {!filtered && (
            <button className="btn primary" type="button" onClick={onGoCreate}>
              Create your first image
            </button>
          )}
        </div>
      ) : (
        <div className={sel.selected.size > 0 ? 'grid selecting' : 'grid'} data-testid="gallery-grid">
          {items.map((a, i) => {
            const chosen = sel.selected.has(a.id);
            const what = `${a.kind}: ${a.prompt || a.model}`;
            return (
              <div key={a.id} className={chosen ? 'tile-wrap selected' : 'tile-wrap'}>
                <button
                  type="button"
                  className={hideFlagged && a.flagged ? 'tile flagged-blur' : 'tile'}
                  data-testid="asset-card"
                  data-flagged={a.flagged ? 'true' : undefined}
                  data-asset-id={a.id}
                  data-kind={a.kind}
                  data-selected={chosen ? 'true' : 'false'}
                  onClick={(e) => onTile(e, i)}
                  aria-label={sel.selected.size > 0 ? `${chosen ? 'Deselect' : 'Select'} ${what}` : `Open ${what}`}
                >
                  {/* Tiles show the ≤512 px preview, never the full file; a video with a poster
                      loads nothing until hovered, one without loads only its metadata. */}
                  {a.kind === 'video' ? (
                    <video
                      src={`${getAssetUrl(a)}#t=0.1`}
                      poster={getThumbUrl(a) ?? undefined}
                      muted
                      playsInline
                      loop
                      preload={getThumbUrl(a) ? 'none' : 'metadata'}
                      onMouseEnter={(e) => void e.currentTarget.play().catch(() => {})}
                      onMouseLeave={(e) => e.currentTarget.pause()}
                    />
                  ) : a.kind === 'audio' ? (
                    <span className="tile-audio" aria-hidden="true">
                      ♪
                    </span>
                  ) : (
                    <img src={getThumbUrl(a) ?? getAssetUrl(a)} alt={a.prompt || 'Generated image'} loading="lazy" decoding="async" />
                  )}
                  {a.kind !== 'image' && (
                    <span className="badge" aria-hidden="true">
                      {a.kind === 'video' ? '▶' : '♪'}
                    </span>
                  )}
                </button>
                <button
                  type="button"
                  className="tile-check"
                  role="checkbox"
                  aria-checked={chosen}
                  aria-label={`Select ${what}`}
                  data-testid="select-asset"
                  onClick={(e) => sel.toggle(i, e.shiftKey)}
                >
                  {chosen ? '✓' : ''}
                </button>
                <button
                  type="button"
                  className={a.favorite ? 'tile-fav on' : 'tile-fav'}
                  aria-pressed={!!a.favorite}
                  aria-label={`Favourite ${what}`}
                  data-testid="favorite-asset"
                  onClick={() => void toggleFavorite(a)}
                >
                  {a.favorite ? '★' : '☆'}
                </button>
              </div>
            );
          })}
          {loading && Array.from({ length: items.length === 0 ? 8 : 4 }, (_, i) => <div key={`s${i}`} className="tile skeleton" aria-hidden="true" />)}
        </div>
      )}
      <div ref={sentinel} className="sentinel" />
      {cursor && !loading && (
        <div className="center">
          <button className="btn" type="button" onClick={more}>
            Load more
          </button>
        </div>
      )}
      {sel.selected.size > 0 && (
        <BulkBar
          ids={[...sel.selected]}
          selectedAssets={[...sel.selected].map((id) => items.find((a) => a.id === id)).filter((a): a is Asset => Boolean(a))}
          total={items.length}
          collections={library.collections}
          onSelectAll={sel.selectAll}
          onClear={sel.clear}
          onFavorited={(done) => patch(items.filter((a) => done.includes(a.id)).map((a) => ({ ...a, favorite: true })))}
          onAdded={async (collectionId, done) => {
            patch(items.filter((a) => done.includes(a.id)).map((a) => ({ ...a, collectionIds: [...new Set([...(a.collectionIds ?? []), collectionId])] })));
            await library.loadCollections();
          }}
          trashOn={trashOn}
          onDeleted={(done) => {
            trashed(items.filter((a) => done.includes(a.id)));
            setItems((cur) => cur.filter((a) => !done.includes(a.id)));
            sel.clear();
            void library.loadCollections();
            void library.loadShares();
          }}
          onCollectionCreated={library.loadCollections}
        />
      )}
      {open !== null && items[open] && (
        <AssetDetail
          asset={items[open]}
          hasPrev={open > 0}
          hasNext={open < items.length - 1}
          onPrev={() => setOpen((o) => (o !== null && o > 0 ? o - 1 : o))}
          onNext={() => setOpen((o) => (o !== null && o < items.length - 1 ? o + 1 : o))}
          onClose={() => setOpen(null)}
          onReuse={onReuse}
          onUseAsReference={onUseAsReference}
          onAnimate={onAnimate}
          onUseFrame={onUseFrame}
          onDelete={remove}
          trashOn={trashOn}
          collections={library.collections}
          shareCount={library.shareCount(items[open].id)}
          onToggleFavorite={(a) => void toggleFavorite(a)}
          onShare={(a) => onShare(shareAsset(a))}
          onSetCover={
            activeCollection
              ? async (a) => {
                  await api.updateCollection(activeCollection.id, { coverAssetId: a.id });
                  await library.loadCollections();
                }
              : undefined
          }
        />
      )}
    </>
  );
}
