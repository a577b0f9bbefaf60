/**
 * Shared shapes of the off-policy evaluation core.
 *
 * A "unit" is either one logged row (count 1) or a cell of identical rows (count c): every
 * estimator here is a (ratio of) mean(s) of per-row terms, and rows with the same logged
 * item, slot, click, propensity and reward-model fold have the same terms, so a cell with
 * count c stands for c identical rows. See docs/ope.md ("the bootstrap equivalence").
 */

/** The per-unit quantities every estimator is a function of. All arrays have length n (units). */
export interface OpeUnits {
  /** Rows each unit stands for (1 for a per-row evaluation). */
  count: Float64Array;
  /** r_i: the logged reward (click). */
  reward: Float64Array;
  /** p_i: the logging policy's probability of the logged item in the logged slot. */
  pscore: Float64Array;
  /** π_e(a_i | x_i, k_i): the evaluation policy's probability of the logged item in the logged slot. */
  piLogged: Float64Array;
  /** q̂(x_i, a_i, k_i): the reward model at the logged item (needed by DM-family estimators). */
  qLogged?: Float64Array;
  /** q̂(x_i, π_e) = Σ_a π_e(a|x_i,k_i) q̂(x_i,a,k_i) / Σ_a π_e(a|x_i,k_i) (obp's weighted average). */
  qPolicy?: Float64Array;
}

export const ESTIMATORS = ['rm', 'ipw', 'snipw', 'dm', 'dr', 'sndr', 'switch-dr'] as const;
export type EstimatorName = (typeof ESTIMATORS)[number];

export function isEstimatorName(s: string): s is EstimatorName {
  return (ESTIMATORS as readonly string[]).includes(s);
}

export interface EstimatorOptions {
  /** λ: clipping threshold of IPW / DR, switching threshold of Switch-DR. Default ∞ (obp's default). */
  lambda?: number;
  /**
   * How the replay method (RM) matches a stochastic policy: `exact` is obp's definition
   * (a row counts when π_e(a_i|x_i,k_i) == 1, so RM is 0 for a policy that is never
   * deterministic); `expected` weights each row by its expected match π_e(a_i|x_i,k_i)
   * (the same as `exact` for a deterministic policy).
   */
  replayMatch?: 'exact' | 'expected';
}

export interface Interval {
  lower: number;
  upper: number;
}

export interface Estimate {
  estimator: EstimatorName;
  value: number;
  /** Bootstrap percentile interval (absent when not computed). */
  ci?: Interval;
  /** Mean of the bootstrap replicates. */
  bootstrapMean?: number;
  /**
   * What the interval's replicates resample: `rows` — the logged rows only, the reward
   * model held fixed (for DM-family estimators it then omits the model's own uncertainty);
   * `rows+model` — the rows, with the reward model refitted inside every replicate.
   */
  ciResamples?: 'rows' | 'rows+model';
}
