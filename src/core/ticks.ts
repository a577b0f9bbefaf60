/**
 * Axis ticks shared by the SVG plots the pipeline writes (src/common/plot-svg.ts) and the
 * dashboard's charts (bundled into src/dashboard/static/bandit-math.js).
 */

/** About `count` round tick values covering [lo, hi] (1, 2, 2.5 or 5 × 10^k steps). */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  const ticks: number[] = [];
  // k·step rounded to 12 significant digits: no accumulated drift (0.060000000000000005)
  for (let k = first; k <= last; k++) ticks.push(k === 0 ? 0 : Number((k * step).toPrecision(12)));
  return ticks;
}
