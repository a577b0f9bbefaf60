/**
 * The reward model q̂ of the DM-family estimators: a per-(item, slot) click rate,
 * Beta-smoothed toward the overall click rate, cross-fitted over K folds.
 *
 * For fold f, with n₋f(a,k) rows and c₋f(a,k) clicks on the OTHER folds and their
 * overall rate μ₋f = Σc₋f / Σn₋f:
 *   q̂_f(a, k) = (c₋f(a,k) + s₋f·μ₋f) / (n₋f(a,k) + s₋f)
 * i.e. the posterior mean under a Beta(s·μ, s·(1 − μ)) prior: s pseudo-rows at the overall
 * rate. The prior strength s is empirical Bayes (method of moments): with the between-cell
 * variance of the true rates τ² = Var_w(c/n) − mean_w(μ(1 − μ)/n) (cells weighted by rows),
 * s = μ(1 − μ)/τ² − 1, clamped to [1, 10⁶] (τ² ≤ 0, i.e. no detectable spread, gives
 * 10⁶: full pooling). Set `priorStrength` to fix s instead. Rows of fold f are only ever scored by a model that did
 * not see them (cross-fitting, Chernozhukov et al. 2018), which keeps DR's correction
 * term unbiased given the model. With K = 1 the model is fit on all rows (no cross-fitting).
 * Complexity O(K²·items·lenList). Example: crossFittedRewardModel(stats, { folds: 5, items: 34, lenList: 3 })
 */

export interface RewardModelOptions {
  folds: number;
  items: number;
  lenList: number;
  /** Fixed prior strength s in pseudo-rows (default: empirical Bayes, see above). */
  priorStrength?: number;
}

/** Rows and clicks per (fold, item, slot): index (f·items + a)·lenList + k. */
export interface FoldStats {
  rows: Float64Array;
  clicks: Float64Array;
}

export function emptyFoldStats(o: RewardModelOptions): FoldStats {
  const size = o.folds * o.items * o.lenList;
  return { rows: new Float64Array(size), clicks: new Float64Array(size) };
}

/** q̂ indexed (f·items + a)·lenList + k. */
export function crossFittedRewardModel(stats: FoldStats, o: RewardModelOptions): Float64Array {
  const cellsPerFold = o.items * o.lenList;
  const q = new Float64Array(o.folds * cellsPerFold);
  for (let f = 0; f < o.folds; f++) {
    const n = new Float64Array(cellsPerFold);
    const c = new Float64Array(cellsPerFold);
    for (let g = 0; g < o.folds; g++) {
      if (o.folds > 1 && g === f) continue;
      for (let j = 0; j < cellsPerFold; j++) {
        n[j] += stats.rows[g * cellsPerFold + j];
        c[j] += stats.clicks[g * cellsPerFold + j];
      }
    }
    const totalN = n.reduce((a, b) => a + b, 0);
    const totalC = c.reduce((a, b) => a + b, 0);
    const mu = totalN > 0 ? totalC / totalN : 0;
    const s = o.priorStrength ?? empiricalBayesStrength(n, c, mu);
    for (let j = 0; j < cellsPerFold; j++) {
      q[f * cellsPerFold + j] = n[j] + s > 0 ? (c[j] + s * mu) / (n[j] + s) : 0;
    }
  }
  return q;
}

/** Method-of-moments Beta prior strength s (pseudo-rows) of per-cell rates around μ. */
export function empiricalBayesStrength(n: ArrayLike<number>, c: ArrayLike<number>, mu: number): number {
  if (!(mu > 0 && mu < 1)) return 1;
  let rows = 0;
  let varObs = 0;
  let noise = 0;
  let cells = 0;
  for (let j = 0; j < n.length; j++) {
    if (n[j] <= 0) continue;
    const r = c[j] / n[j];
    rows += n[j];
    varObs += n[j] * (r - mu) * (r - mu);
    noise += mu * (1 - mu);
    cells++;
  }
  if (cells < 2 || rows === 0) return 1e6;
  const tau2 = varObs / rows - noise / rows;
  if (!(tau2 > 0)) return 1e6;
  return Math.min(1e6, Math.max(1, (mu * (1 - mu)) / tau2 - 1));
}
