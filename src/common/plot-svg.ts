/**
 * A small, dependency-free SVG line-plot writer: axes with "nice" ticks, axis labels, a
 * title, a legend, any number of series (one `<path class="series">` each, in order) and
 * optional shaded bands (`<path class="band">`, e.g. a credible interval around a curve).
 *
 * Output is a standalone SVG 1.1 document (text in a system sans-serif font) that browsers,
 * rsvg-convert and image viewers render the same way. Series with non-finite points are
 * split at them (the path lifts the pen), so gaps show as gaps.
 *
 * @example
 *   const svg = renderLinePlot({
 *     title: 'Cumulative regret', xLabel: 'impressions', yLabel: 'clicks lost',
 *     series: [{ name: 'Thompson', x: [0, 1, 2], y: [0, 0.3, 0.4] }],
 *   });
 *   fs.writeFileSync('regret.svg', svg);
 */
import { niceTicks } from '../core/ticks';

export { niceTicks };

export interface PlotBand {
  lower: readonly number[];
  upper: readonly number[];
  /** Fill opacity (default 0.18). */
  opacity?: number;
}

export interface PlotSeries {
  name: string;
  x: readonly number[];
  y: readonly number[];
  /** CSS colour; defaults to a colour-blind-safe palette (Okabe–Ito) in series order. */
  color?: string;
  /** Dashed line (e.g. a reference curve). */
  dashed?: boolean;
  /** Shaded region drawn under the line, same x as the series. */
  band?: PlotBand;
}

export interface LinePlotSpec {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  series: readonly PlotSeries[];
  width?: number;
  height?: number;
  /** Fixed axis ranges; default: the data range (y includes 0 when `yFromZero`). */
  xDomain?: [number, number];
  yDomain?: [number, number];
  yFromZero?: boolean;
  /** Where the legend box goes (default top-left; `right` = outside the plot, right of it). */
  legend?: 'top-left' | 'top-right' | 'right' | 'none';
  /** A small line of text under the title (e.g. what dashed markers mean). */
  subtitle?: string;
  /** Formats tick labels (default: compact decimal). */
  formatX?: (v: number) => string;
  formatY?: (v: number) => string;
  /** Vertical marker lines, e.g. true rates, with a small label. */
  markers?: readonly { x: number; label?: string; color?: string }[];
}

export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000'];

/** Escapes text for SVG content and attributes. */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Compact number format for tick labels: 1,200 / 0.05 / 2e-5 / 1.5M. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a >= 1) return (+v.toPrecision(4)).toLocaleString('en-US');
  if (a >= 1e-3) return String(+v.toPrecision(3));
  return v.toExponential(1);
}

const fmt = (n: number) => (Math.round(n * 100) / 100).toString();

/** Renders the plot as a standalone SVG document. */
export function renderLinePlot(spec: LinePlotSpec): string {
  const width = spec.width ?? 760;
  const height = spec.height ?? 440;
  const legendW = 24 + 7.2 * Math.max(...spec.series.map((s) => s.name.length)) + 12;
  const m = { top: (spec.title ? 44 : 20) + (spec.subtitle ? 16 : 0), right: spec.legend === 'right' ? legendW + 34 : 24, bottom: spec.xLabel ? 56 : 36, left: spec.yLabel ? 78 : 60 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  if (spec.series.length === 0) throw new RangeError('a plot needs at least one series');
  spec.series.forEach((s, i) => {
    if (s.x.length !== s.y.length) throw new RangeError(`series[${i}] (${s.name}): x and y differ in length (${s.x.length} vs ${s.y.length})`);
    if (s.band && (s.band.lower.length !== s.x.length || s.band.upper.length !== s.x.length)) throw new RangeError(`series[${i}] (${s.name}): band length differs from x`);
  });

  const finite = (vals: Iterable<number>) => [...vals].filter(Number.isFinite);
  const xs = finite(spec.series.flatMap((s) => s.x));
  const ys = finite(spec.series.flatMap((s) => [...s.y, ...(s.band ? [...s.band.lower, ...s.band.upper] : [])]));
  let [x0, x1] = spec.xDomain ?? [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = spec.yDomain ?? [Math.min(...ys), Math.max(...ys)];
  if (spec.yFromZero && !spec.yDomain) y0 = Math.min(0, y0);
  if (!(x1 > x0)) [x0, x1] = [x0 - 0.5, x0 + 0.5];
  if (!(y1 > y0)) [y0, y1] = [y0 - 0.5, y0 + 0.5];
  if (!spec.yDomain) y1 += (y1 - y0) * 0.05; // headroom for the legend
  const sx = (v: number) => m.left + ((v - x0) / (x1 - x0)) * pw;
  const sy = (v: number) => m.top + ph - ((v - y0) / (y1 - y0)) * ph;
  const fx = spec.formatX ?? formatTick;
  const fy = spec.formatY ?? formatTick;

  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  if (spec.title) out.push(`<text x="${width / 2}" y="26" text-anchor="middle" font-size="16" font-weight="bold" fill="#222">${escapeXml(spec.title)}</text>`);
  if (spec.subtitle) out.push(`<text x="${width / 2}" y="${spec.title ? 46 : 16}" text-anchor="middle" font-size="11" fill="#555">${escapeXml(spec.subtitle)}</text>`);

  // grid and ticks
  out.push(`<g class="grid" stroke="#e6e6e6" stroke-width="1">`);
  const xt = niceTicks(x0, x1, Math.max(2, Math.round(pw / 110)));
  const yt = niceTicks(y0, y1, Math.max(2, Math.round(ph / 60)));
  for (const t of xt) out.push(`<line x1="${fmt(sx(t))}" y1="${m.top}" x2="${fmt(sx(t))}" y2="${m.top + ph}"/>`);
  for (const t of yt) out.push(`<line x1="${m.left}" y1="${fmt(sy(t))}" x2="${m.left + pw}" y2="${fmt(sy(t))}"/>`);
  out.push(`</g>`);
  out.push(`<g class="axes" stroke="#444" stroke-width="1">`);
  out.push(`<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}"/>`);
  out.push(`<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}"/>`);
  for (const t of xt) out.push(`<line x1="${fmt(sx(t))}" y1="${m.top + ph}" x2="${fmt(sx(t))}" y2="${m.top + ph + 5}"/>`);
  for (const t of yt) out.push(`<line x1="${m.left - 5}" y1="${fmt(sy(t))}" x2="${m.left}" y2="${fmt(sy(t))}"/>`);
  out.push(`</g>`);
  out.push(`<g class="tick-labels" fill="#333">`);
  for (const t of xt) out.push(`<text x="${fmt(sx(t))}" y="${m.top + ph + 19}" text-anchor="middle">${escapeXml(fx(t))}</text>`);
  for (const t of yt) out.push(`<text x="${m.left - 8}" y="${fmt(sy(t) + 4)}" text-anchor="end">${escapeXml(fy(t))}</text>`);
  out.push(`</g>`);
  if (spec.xLabel) out.push(`<text x="${m.left + pw / 2}" y="${height - 14}" text-anchor="middle" fill="#222">${escapeXml(spec.xLabel)}</text>`);
  if (spec.yLabel)
    out.push(`<text x="18" y="${m.top + ph / 2}" text-anchor="middle" fill="#222" transform="rotate(-90 18 ${m.top + ph / 2})">${escapeXml(spec.yLabel)}</text>`);

  // clip the data to the plotting area
  out.push(`<defs><clipPath id="plot-area"><rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}"/></clipPath></defs>`);
  out.push(`<g clip-path="url(#plot-area)">`);
  spec.series.forEach((s, i) => {
    if (!s.band) return;
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const idx = s.x.map((_, j) => j).filter((j) => Number.isFinite(s.x[j]) && Number.isFinite(s.band!.lower[j]) && Number.isFinite(s.band!.upper[j]));
    if (idx.length < 2) return;
    const top = idx.map((j, k) => `${k === 0 ? 'M' : 'L'}${fmt(sx(s.x[j]))},${fmt(sy(s.band!.upper[j]))}`).join('');
    const bottom = [...idx].reverse().map((j) => `L${fmt(sx(s.x[j]))},${fmt(sy(s.band!.lower[j]))}`).join('');
    out.push(`<path class="band" data-series="${escapeXml(s.name)}" d="${top}${bottom}Z" fill="${color}" fill-opacity="${s.band.opacity ?? 0.18}" stroke="none"/>`);
  });
  for (const mk of spec.markers ?? []) {
    if (!(mk.x >= x0 && mk.x <= x1)) continue;
    out.push(`<line class="marker" x1="${fmt(sx(mk.x))}" y1="${m.top}" x2="${fmt(sx(mk.x))}" y2="${m.top + ph}" stroke="${mk.color ?? '#888'}" stroke-dasharray="2,3" stroke-width="1"/>`);
  }
  spec.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    let d = '';
    let pen = false;
    for (let j = 0; j < s.x.length; j++) {
      if (!Number.isFinite(s.x[j]) || !Number.isFinite(s.y[j])) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${fmt(sx(s.x[j]))},${fmt(sy(s.y[j]))}`;
      pen = true;
    }
    out.push(
      `<path class="series" data-series="${escapeXml(s.name)}" d="${d}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="6,4"' : ''}/>`,
    );
  });
  out.push(`</g>`);
  for (const mk of spec.markers ?? []) {
    if (mk.label && mk.x >= x0 && mk.x <= x1) out.push(`<text class="marker-label" x="${fmt(sx(mk.x) + 3)}" y="${m.top + 12}" font-size="10" fill="${mk.color ?? '#666'}">${escapeXml(mk.label)}</text>`);
  }

  if ((spec.legend ?? 'top-left') !== 'none') {
    const lineH = 18;
    const boxW = spec.legend === 'right' ? legendW : Math.min(pw - 20, legendW);
    const boxH = spec.series.length * lineH + 10;
    const bx = spec.legend === 'right' ? m.left + pw + 20 : spec.legend === 'top-right' ? m.left + pw - boxW - 10 : m.left + 10;
    const by = m.top + 8;
    out.push(`<g class="legend">`);
    out.push(`<rect x="${fmt(bx)}" y="${by}" width="${fmt(boxW)}" height="${boxH}" fill="#ffffff" fill-opacity="0.85" stroke="#ccc"/>`);
    spec.series.forEach((s, i) => {
      const color = s.color ?? PALETTE[i % PALETTE.length];
      const y = by + 14 + i * lineH;
      out.push(`<line x1="${fmt(bx + 8)}" y1="${y - 4}" x2="${fmt(bx + 26)}" y2="${y - 4}" stroke="${color}" stroke-width="3"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`);
      out.push(`<text x="${fmt(bx + 32)}" y="${y}" fill="#222">${escapeXml(s.name)}</text>`);
    });
    out.push(`</g>`);
  }
  out.push(`</svg>`);
  return out.join('\n') + '\n';
}
