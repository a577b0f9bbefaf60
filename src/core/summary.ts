/**
 * Per-arm summary of posteriors: posterior mean, equal-tailed 95% credible interval,
 * P(best) and expected loss — the numbers a results table shows. One integration for
 * P(best) and expected loss (posterior-max.ts) plus two quantiles per arm.
 *
 * Complexity: O(K²) worst case for the integration + K · O(√max(α, β)) for the quantiles.
 *
 * @example
 *   summarizeArms([{ alpha: 12, beta: 988 }, { alpha: 20, beta: 980 }])[1].probBest; // ≈ 0.93
 */
import { betaCredibleInterval } from './beta';
import { probabilityOfBestAndExpectedLoss } from './expected-loss';
import type { BetaPosterior } from './types';

export interface ArmSummary {
  mean: number;
  ci95: [number, number];
  probBest: number;
  expectedLoss: number;
}

export function summarizeArms(arms: readonly BetaPosterior[]): ArmSummary[] {
  const { probBest, expectedLoss } = probabilityOfBestAndExpectedLoss(arms);
  return arms.map((a, k) => ({
    mean: a.alpha / (a.alpha + a.beta),
    ci95: betaCredibleInterval(a.alpha, a.beta, 0.95),
    probBest: probBest[k],
    expectedLoss: expectedLoss[k],
  }));
}
