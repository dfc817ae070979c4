import { useEffect, useId, useRef, useState } from 'react';
import { formatUsd } from '../lib/money';

export interface DayBucket {
  key: string; // YYYY-MM-DD
  usd: number;
  count: number;
}

const H = 180;
const PAD = { top: 12, right: 8, bottom: 24, left: 44 };

/** A round top of the axis: 1, 2 or 5 × a power of ten, at least the largest day. */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * Spend per day as hand-drawn SVG bars (no chart library): an image with a title and a
 * description that states the total and the highest day, and the same numbers as a table for
 * screen readers and anyone who prefers one.
 */
export function SpendChart({ days, title }: { days: DayBucket[]; title: string }) {
  const id = useId();
  // Drawn at the figure's real width, so bars stretch and text keeps its shape.
  const box = useRef<HTMLElement>(null);
  const [W, setW] = useState(640);
  useEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(([e]) => setW(Math.max(240, Math.round(e.contentRect.width))));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const max = niceMax(Math.max(0, ...days.map((d) => d.usd)));
  const total = days.reduce((s, d) => s + d.usd, 0);
  const top = days.reduce<DayBucket | null>((best, d) => (d.usd > (best?.usd ?? 0) ? d : best), null);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = days.length > 0 ? plotW / days.length : plotW;
  const barW = Math.max(1, step * 0.7);
  const desc =
    days.length === 0
      ? 'No days in this range.'
      : `${formatUsd(total)} in total from ${days[0].key} to ${days[days.length - 1].key}.` +
        (top ? ` The highest day is ${top.key} with ${formatUsd(top.usd)}.` : ' Nothing was spent.');
  const labelEvery = Math.max(1, Math.ceil(days.length / Math.max(2, Math.floor(W / 70))));
  return (
    <figure className="spend-chart" ref={box}>
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-labelledby={`${id}-t ${id}-d`} data-testid="spend-chart">
        <title id={`${id}-t`}>{title}</title>
        <desc id={`${id}-d`}>{desc}</desc>
        {[0, 0.5, 1].map((f) => {
          const y = PAD.top + plotH * (1 - f);
          return (
            <g key={f} className="chart-grid">
              <line x1={PAD.left} x2={W - PAD.right} y1={y} y2={y} />
              <text x={PAD.left - 6} y={y + 4} textAnchor="end">
                {formatUsd(max * f)}
              </text>
            </g>
          );
        })}
        {days.map((d, i) => {
          const h = (d.usd / max) * plotH;
          const x = PAD.left + i * step + (step - barW) / 2;
          return (
            <g key={d.key}>
              <rect className="chart-bar" x={x} y={PAD.top + plotH - h} width={barW} height={Math.max(h, d.usd > 0 ? 1 : 0)}>
                <title>{`${d.key}: ${formatUsd(d.usd)} (${d.count} ${d.count === 1 ? 'generation' : 'generations'})`}</title>
              </rect>
              {i % labelEvery === 0 && (
                <text className="chart-label" x={PAD.left + i * step + step / 2} y={H - 6} textAnchor="middle">
                  {d.key.slice(8)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <details className="chart-table">
        <summary>Show as a table</summary>
        <table>
          <caption>{title}</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Spent</th>
              <th scope="col">Generations</th>
            </tr>
          </thead>
          <tbody>
            {days
              .filter((d) => d.count > 0 || d.usd > 0)
              .map((d) => (
                <tr key={d.key}>
                  <th scope="row">{d.key}</th>
                  <td>{formatUsd(d.usd)}</td>
                  <td>{d.count}</td>
                </tr>
              ))}
            {days.every((d) => d.count === 0 && d.usd === 0) && (
              <tr>
                <td colSpan={3}>Nothing spent in this range.</td>
              </tr>
            )}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
