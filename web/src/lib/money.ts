/**
 * Formats USD for prices and spending: cents from $0.10 up, and two significant digits below
 * ($0.012, $0.003), so a small price never reads as $0.00.
 */
export function formatUsd(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const sign = v < 0 ? '-' : '';
  const a = Math.abs(v);
  if (a === 0) return '$0.00';
  if (a >= 0.1) return `${sign}$${a.toFixed(2)}`;
  let s = a.toPrecision(2);
  if (s.includes('e')) s = a.toFixed(6);
  s = s.replace(/0+$/, '');
  const decimals = s.split('.')[1]?.length ?? 0;
  if (decimals < 2) s = a.toFixed(2);
  return `${sign}$${s}`;
}
