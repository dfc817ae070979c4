import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError, type Asset, type AssetFilters, type Collection, type Share } from '../lib/api';
import { getAssetUrl, getThumbUrl } from '../lib/assets';
import { Banner } from '../components/Banner';
import { AssetDetail } from './AssetDetail';
import { BulkBar } from './BulkBar';
import { CollectionsView } from './CollectionsView';
import { FiltersBar } from './FiltersBar';
import { HistoryView } from './HistoryView';
import { ShareDialog } from './ShareDialog';
import { useSelection } from './useSelection';

const PAGE = 30;

type View = 'assets' | 'collections' | 'history';
const views: [View, string][] = [
  ['assets', 'Assets'],
  ['collections', 'Collections'],
  ['history', 'History'],
];

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
  const [kind, setKind] = useState('');
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  const [filters, setFilters] = useState<AssetFilters>({});
  const [items, setItems] = useState<Asset[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [collections, setCollections] = useState<Collection[]>([]);
  const [shares, setShares] = useState<Share[]>([]);
  const [sharing, setSharing] = useState<{ target: { assetId?: string; collectionId?: string }; label: string } | null>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  const generation = useRef(0);

  const ids = useMemo(() => items.map((a) => a.id), [items]);
  const sel = useSelection(ids);

  // Debounce the search box.
  useEffect(() => {
    const t = window.setTimeout(() => setQuery(q.trim()), 300);
    return () => window.clearTimeout(t);
  }, [q]);

  const loadCollections = useCallback(async () => {
    try {
      const r = await api.collections();
      setCollections(r.collections ?? []);
    } catch {
      /* the gallery works without them */
    }
  }, []);
  const loadShares = useCallback(async () => {
    try {
      const r = await api.shares();
      setShares(r.shares ?? []);
    } catch {
      /* share state is a hint only */
    }
  }, []);
  useEffect(() => {
    void loadCollections();
    void loadShares();
  }, [loadCollections, loadShares]);

  const load = useCallback(
    async (reset: boolean, from: string | null) => {
      const my = reset ? ++generation.current : generation.current;
      setLoading(true);
      setError(null);
      try {
        const r = await api.assets({ kind, q: query, ...filters, cursor: reset ? null : from, limit: PAGE });
        if (my !== generation.current) return;
        setItems((cur) => (reset ? r.assets : [...cur, ...r.assets]));
        setCursor(r.nextCursor);
      } catch (err) {
        if (my === generation.current) setError(err instanceof ApiError ? err.message : 'The gallery could not be loaded.');
      } finally {
        if (my === generation.current) setLoading(false);
      }
    },
    [kind, query, filters],
  );

  useEffect(() => {
    if (view === 'assets') void load(true, null);
  }, [load, view]);

  // Infinite scroll.
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !cursor || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !loading) void load(false, cursor);
    });
    io.observe(el);
    return () => io.disconnect();
  }, [cursor, loading, load]);

  const patch = (changed: Asset[]) => {
    const byId = new Map(changed.map((a) => [a.id, a]));
    setItems((cur) => cur.map((a) => byId.get(a.id) ?? a));
  };
  const remove = async (a: Asset) => {
    await api.deleteAsset(a.id);
    setItems((cur) => cur.filter((x) => x.id !== a.id));
    setOpen(null);
    void loadCollections();
    void loadShares();
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
      setError(err instanceof ApiError ? err.message : 'The favourite could not be saved.');
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

  const shareCount = (id: string) => shares.filter((s) => s.targetId === id && !s.expired).length;
  const filtered = kind !== '' || query !== '' || Object.values(filters).some(Boolean);
  const activeCollection = collections.find((c) => c.id === filters.collection);

  return (
    <div>
      <div className="segmented view-switch" role="group" aria-label="Library view">
        {views.map(([v, l]) => (
          <button key={v} type="button" className={view === v ? 'active' : ''} aria-pressed={view === v} onClick={() => setView(v)}>
            {l}
          </button>
        ))}
      </div>

      {view === 'collections' && (
        <CollectionsView
          collections={collections}
          onChanged={loadCollections}
          onOpen={(c) => {
            setFilters({ collection: c.id });
            setView('assets');
          }}
          onShare={(c) => setSharing({ target: { collectionId: c.id }, label: `the collection “${c.name}”` })}
        />
      )}

      {view === 'history' && <HistoryView />}

      {view === 'assets' && (
        <>
          <div className="toolbar">
            <div className="segmented" role="group" aria-label="Filter by kind">
              {[
                ['', 'All'],
                ['image', 'Images'],
                ['video', 'Videos'],
              ].map(([k, label]) => (
                <button key={k} type="button" className={kind === k ? 'active' : ''} aria-pressed={kind === k} onClick={() => setKind(k)}>
                  {label}
                </button>
              ))}
            </div>
            <input className="search" type="search" placeholder="Search prompts…" aria-label="Search prompts" value={q} onChange={(e) => setQ(e.target.value)} />
          </div>
          <FiltersBar filters={filters} collections={collections} onChange={setFilters} />
          {activeCollection && (
            <div className="row collection-head">
              <h2>{activeCollection.name}</h2>
              <button type="button" className="btn small" onClick={() => setSharing({ target: { collectionId: activeCollection.id }, label: `the collection “${activeCollection.name}”` })}>
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
                      className="tile"
                      data-testid="asset-card"
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
              <button className="btn" type="button" onClick={() => void load(false, cursor)}>
                Load more
              </button>
            </div>
          )}
          {sel.selected.size > 0 && (
            <BulkBar
              ids={[...sel.selected]}
              total={items.length}
              collections={collections}
              onSelectAll={sel.selectAll}
              onClear={sel.clear}
              onFavorited={(done) => patch(items.filter((a) => done.includes(a.id)).map((a) => ({ ...a, favorite: true })))}
              onAdded={async (collectionId, done) => {
                patch(items.filter((a) => done.includes(a.id)).map((a) => ({ ...a, collectionIds: [...new Set([...(a.collectionIds ?? []), collectionId])] })));
                await loadCollections();
              }}
              onDeleted={(done) => {
                setItems((cur) => cur.filter((a) => !done.includes(a.id)));
                sel.clear();
                void loadCollections();
                void loadShares();
              }}
              onCollectionCreated={loadCollections}
            />
          )}
        </>
      )}
      {open !== null && items[open] && view === 'assets' && (
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
          onDelete={remove}
          collections={collections}
          shareCount={shareCount(items[open].id)}
          onToggleFavorite={(a) => void toggleFavorite(a)}
          onShare={(a) => setSharing({ target: { assetId: a.id }, label: 'this ' + a.kind })}
          onSetCover={
            activeCollection
              ? async (a) => {
                  await api.updateCollection(activeCollection.id, { coverAssetId: a.id });
                  await loadCollections();
                }
              : undefined
          }
        />
      )}
      {sharing && <ShareDialog target={sharing.target} label={sharing.label} onClose={() => setSharing(null)} onChanged={setShares} />}
    </div>
  );
}
