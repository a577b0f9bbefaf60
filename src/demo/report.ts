/**
 * The demo's output: the results table and winner (text, or JSON), and two SVG plots —
 * cumulative regret against an equal split, and the final posterior densities with the
 * true rates marked.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { betaPdf, betaQuantile, summarizeArms, type ArmSummary } from '../core';
import { PALETTE, renderLinePlot } from '../common/plot-svg';
import type { SimulationResult, TrueArm } from './simulation';

export interface DemoReport {
  seed: string;
  samples: number;
  clicks: number;
  status: string;
  /** winner | no_meaningful_difference | no_winner (the maximum was reached). */
  verdict: string;
  /** The verdict in one plain sentence. */
  reason: string;
  winner: string | null;
  leader: string;
  reasons: string[];
  arms: { name: string; trueRate: number; assignments: number; clicks: number; mean: number; ci95: [number, number]; probBest: number; expectedLoss: number }[];
  cumulativeRegret: number;
  equalSplitRegret: number;
  plots: { regret: string; posteriors: string };
}

/** Builds the report data (summaries of the final posteriors). Clicks per arm are α − prior α. */
export function buildReport(seed: string, trueArms: readonly TrueArm[], result: SimulationResult, plots: DemoReport['plots'], priorAlpha = 1): DemoReport {
  const summaries: ArmSummary[] = summarizeArms(result.state);
  return {
    seed,
    samples: result.samples,
    clicks: result.clicks,
    status: result.verdict.status,
    verdict: result.verdict.verdict,
    reason: result.verdict.reason,
    winner: result.verdict.winnerName ?? null,
    leader: result.verdict.leaderName,
    reasons: result.verdict.reasons,
    arms: result.state.map((a, k) => ({
      name: a.name,
      trueRate: trueArms.find((t) => t.name === a.name)?.rate ?? NaN,
      assignments: a.assignments,
      clicks: Math.round(a.alpha - priorAlpha),
      ...summaries[k],
    })),
    cumulativeRegret: result.regret.length ? result.regret[result.regret.length - 1] : 0,
    equalSplitRegret: result.samples * result.equalSplitRegretPerVisitor,
    plots,
  };
}

const pct = (x: number, digits = 2) => `${(100 * x).toFixed(digits)}%`;

/** Formats rows as an aligned text table (first column left-aligned, others right). */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The human-readable report. */
export function formatReport(r: DemoReport): string {
  const table = formatTable(
    ['arm', 'true CTR', 'served', 'clicks', 'mean', '95% interval', 'P(best)', 'exp. loss'],
    r.arms.map((a) => [a.name, pct(a.trueRate), String(a.assignments), String(a.clicks), pct(a.mean, 3), `${pct(a.ci95[0])} – ${pct(a.ci95[1])}`, a.probBest.toFixed(4), a.expectedLoss.toExponential(2)]),
  );
  const verdict =
    r.status === 'winner'
      ? `Winner: ${r.winner} (after ${r.samples} visitors)`
      : r.verdict === 'no_meaningful_difference'
        ? `No meaningful difference after ${r.samples} visitors`
        : `No winner after ${r.samples} visitors; leading arm: ${r.leader}`;
  return [
    `Thompson sampling demo — seed ${r.seed}`,
    '',
    table,
    '',
    verdict,
    r.reason,
    ...r.reasons.map((s) => `  - ${s}`),
    `Clicks: ${r.clicks}; expected clicks lost to exploration: ${r.cumulativeRegret.toFixed(1)} (an equal split would lose ${r.equalSplitRegret.toFixed(1)})`,
    `Plots: ${r.plots.regret}`,
    `       ${r.plots.posteriors}`,
    '',
  ].join('\n');
}

/** Downsamples a cumulative curve to at most `points` points (keeps the last). */
function downsample(values: Float64Array, points = 600): { x: number[]; y: number[] } {
  const n = values.length;
  const step = Math.max(1, Math.ceil(n / points));
  const x: number[] = [0];
  const y: number[] = [0];
  for (let i = step - 1; i < n; i += step) {
    x.push(i + 1);
    y.push(values[i]);
  }
  if (x[x.length - 1] !== n && n > 0) {
    x.push(n);
    y.push(values[n - 1]);
  }
  return { x, y };
}

/** Writes regret.svg and posteriors.svg into `dir`; returns their paths. */
export function writePlots(dir: string, trueArms: readonly TrueArm[], result: SimulationResult): { regret: string; posteriors: string } {
  fs.mkdirSync(dir, { recursive: true });
  const reg = downsample(result.regret);
  const regretSvg = renderLinePlot({
    title: 'Cumulative regret',
    xLabel: 'visitors',
    yLabel: 'expected clicks lost',
    yFromZero: true,
    series: [
      { name: 'Thompson sampling', x: reg.x, y: reg.y },
      { name: 'equal split (A/B test)', x: reg.x, y: reg.x.map((t) => t * result.equalSplitRegretPerVisitor), dashed: true, color: '#777777' },
    ],
  });
  const regretPath = path.join(dir, 'regret.svg');
  fs.writeFileSync(regretPath, regretSvg);

  const lo = Math.min(...result.state.map((a) => betaQuantile(1e-4, a.alpha, a.beta)));
  const hi = Math.max(...result.state.map((a) => betaQuantile(1 - 1e-4, a.alpha, a.beta)));
  const grid = Array.from({ length: 500 }, (_, i) => lo + ((hi - lo) * i) / 499);
  const colors = result.state.map((_, i) => PALETTE[i % PALETTE.length]);
  const postSvg = renderLinePlot({
    title: 'Posterior click rates',
    subtitle: 'Beta posterior of each arm after the experiment; dotted lines: the true click rates',
    xLabel: 'click rate',
    yLabel: 'density',
    yFromZero: true,
    legend: 'right',
    width: 860,
    formatX: (v) => `${+(v * 100).toPrecision(3)}%`,
    series: result.state.map((a, i) => ({ name: `${a.name} (served ${a.assignments}×)`, x: grid, y: grid.map((x) => betaPdf(x, a.alpha, a.beta)), color: colors[i] })),
    markers: result.state.map((a, i) => ({ x: trueArms.find((t) => t.name === a.name)?.rate ?? NaN, color: colors[i] })),
  });
  const postPath = path.join(dir, 'posteriors.svg');
  fs.writeFileSync(postPath, postSvg);
  return { regret: regretPath, posteriors: postPath };
}
