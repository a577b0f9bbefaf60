/**
 * The pipeline's plots (SVG, via src/common/plot-svg): the replay's cumulative regret and
 * reward curves, and the Beta posterior densities of the leading items after replay.
 */
import { renderLinePlot } from '../common/plot-svg';
import { betaPdf } from '../core/beta';
import type { CampaignReplay } from './replay.asset';

export function regretPlot(r: CampaignReplay): string {
  const x = r.curve.map((p) => p.step);
  return renderLinePlot({
    title: `Replay on ${r.campaign}: regret against the best item in hindsight (item ${r.bestItem})`,
    xLabel: 'matched rows',
    yLabel: 'clicks',
    yFromZero: true,
    series: [
      { name: 'cumulative regret', x, y: r.curve.map((p) => p.regret) },
      { name: 'uniform random (expected regret)', x, y: r.baselines.uniform, dashed: true },
      { name: 'logging policy (regret)', x, y: r.baselines.logging, dashed: true },
      { name: 'cumulative clicks', x, y: r.curve.map((p) => p.cumulativeReward), dashed: true },
    ],
  });
}

/** Densities of the `top` items with the highest posterior mean. */
export function posteriorPlot(r: CampaignReplay, top = 5): string {
  const mean = (k: number) => r.alpha[k] / (r.alpha[k] + r.beta[k]);
  const order = r.alpha.map((_, k) => k).sort((a, b) => mean(b) - mean(a)).slice(0, top);
  const hi = Math.min(1, Math.max(...order.map((k) => mean(k) + 5 * Math.sqrt((mean(k) * (1 - mean(k))) / (r.alpha[k] + r.beta[k] + 1)))));
  const grid = Array.from({ length: 201 }, (_, i) => (hi * i) / 200);
  return renderLinePlot({
    title: `Posteriors after replay on ${r.campaign} (top ${order.length} by mean)`,
    xLabel: 'click rate θ',
    yLabel: 'density',
    yFromZero: true,
    series: order.map((k) => ({ name: `item ${k}: Beta(${r.alpha[k]}, ${r.beta[k]})`, x: grid, y: grid.map((t) => (t > 0 && t < 1 ? betaPdf(t, r.alpha[k], r.beta[k]) : 0)) })),
  });
}
