import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, type Asset } from '../lib/api';
import { getAssetUrl } from '../lib/assets';
import { Banner } from '../components/Banner';
import { AssetDetail } from './AssetDetail';

const PAGE = 30;

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
  const [kind, setKind] = useState('');
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  const [items, setItems] = useState<Asset[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  const generation = useRef(0);

  // Debounce the search box.
  useEffect(() => {
    const t = window.setTimeout(() => setQuery(q.trim()), 300);
    return () => window.clearTimeout(t);
  }, [q]);

  const load = useCallback(
    async (reset: boolean, from: string | null) => {
      const my = reset ? ++generation.current : generation.current;
      setLoading(true);
      setError(null);
      try {
        const r = await api.assets({ kind, q: query, cursor: reset ? null : from, limit: PAGE });
        if (my !== generation.current) return;
        setItems((cur) => (reset ? r.assets : [...cur, ...r.assets]));
        setCursor(r.nextCursor);
      } catch (err) {
        if (my === generation.current) setError(err instanceof ApiError ? err.message : 'The gallery could not be loaded.');
      } finally {
        if (my === generation.current) setLoading(false);
      }
    },
    [kind, query],
  );

  useEffect(() => {
    void load(true, null);
  }, [load]);

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

  const remove = async (a: Asset) => {
    await api.deleteAsset(a.id);
    setItems((cur) => cur.filter((x) => x.id !== a.id));
    setOpen(null);
  };

  const filtered = kind !== '' || query !== '';
  return (
    <div>
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
        <div className="grid" data-testid="gallery-grid">
          {items.map((a, i) => (
            <button
              type="button"
              key={a.id}
              className="tile"
              data-testid="asset-card"
              data-asset-id={a.id}
              data-kind={a.kind}
              onClick={() => setOpen(i)}
              aria-label={`Open ${a.kind}: ${a.prompt || a.model}`}
            >
              {a.kind === 'video' ? (
                <video
                  src={`${getAssetUrl(a)}#t=0.1`}
                  muted
                  playsInline
                  loop
                  preload="metadata"
                  onMouseEnter={(e) => void e.currentTarget.play().catch(() => {})}
                  onMouseLeave={(e) => e.currentTarget.pause()}
                />
              ) : a.kind === 'audio' ? (
                <span className="tile-audio" aria-hidden="true">
                  ♪
                </span>
              ) : (
                <img src={getAssetUrl(a)} alt={a.prompt || 'Generated image'} loading="lazy" />
              )}
              {a.kind !== 'image' && (
                <span className="badge" aria-hidden="true">
                  {a.kind === 'video' ? '▶' : '♪'}
                </span>
              )}
            </button>
          ))}
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
          onDelete={remove}
        />
      )}
    </div>
  );
}
