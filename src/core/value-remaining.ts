/**
 * "Value remaining" in an experiment (Scott, "Multi-armed bandit experiments in the
 * online service economy", Appl. Stochastic Models Bus. Ind. 31, 2015): with the
 * champion c = the arm most likely to be best, the distribution of
 * v = (max_j θ_j − θ_c) / θ_c — the relative lift still available over the champion —
 * and its `quantile` (default the 95th percentile). Scott's rule ends an experiment when
 * that value falls below 1% of the champion's rate (value < 0.01).
 *
 * Monte Carlo: `draws` joint draws of all arms (default 10 000); the champion is the arm
 * with the most wins in those draws. The standard error is read off the order
 * statistics: the distribution-free 95% interval for the quantile spans the sorted
 * values at ranks n·q ± 1.96·√(n q (1−q)), and SE ≈ its width / (2·1.96).
 * A champion draw of exactly 0 (possible only for α ≪ 1) counts as the largest finite
 * ratio, so results stay finite.
 *
 * Complexity: O(K · draws + draws log draws).
 *
 * @example
 *   valueRemaining(arms, createRng(1)); // { champion: 2, value: 0.031, standardError: 0.001 }
 */
import { sampleBetaInto } from './beta-bulk';
import type { Rng } from './rng';
import type { BetaPosterior } from './types';
import { assertArms, assertInRange, assertInteger } from './validate';

export function valueRemaining(
  arms: readonly BetaPosterior[],
  rng: Rng,
  draws = 10000,
  quantile = 0.95,
): { champion: number; value: number; standardError?: number } {
  assertArms(arms);
  assertInteger('draws', draws, 2);
  assertInRange('quantile', quantile, 0, 1);
  const K = arms.length;
  // theta[k·draws + d]: each arm's draws in one bulk call
  const theta = new Float64Array(draws * K);
  for (let k = 0; k < K; k++) sampleBetaInto(rng, arms[k].alpha, arms[k].beta, theta.subarray(k * draws, (k + 1) * draws));
  const wins = new Float64Array(K);
  for (let d = 0; d < draws; d++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (theta[k * draws + d] > theta[best * draws + d]) best = k;
    wins[best]++;
  }
  let champion = 0;
  for (let k = 1; k < K; k++) if (wins[k] > wins[champion]) champion = k;
  const values = new Float64Array(draws);
  for (let d = 0; d < draws; d++) {
    let max = 0;
    for (let k = 0; k < K; k++) max = Math.max(max, theta[k * draws + d]);
    const c = theta[champion * draws + d];
    values[d] = c > 0 ? Math.min(Number.MAX_VALUE, (max - c) / c) : max > 0 ? Number.MAX_VALUE : 0;
  }
  values.sort();
  const at = (r: number) => values[Math.min(draws - 1, Math.max(0, Math.round(r)))];
  const center = quantile * (draws - 1);
  const spread = 1.96 * Math.sqrt(draws * quantile * (1 - quantile));
  const se = (at(center + spread) - at(center - spread)) / (2 * 1.96);
  return { champion, value: at(center), standardError: Number.isFinite(se) ? se : undefined };
}
