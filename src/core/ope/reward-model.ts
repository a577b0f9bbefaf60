/**
 * The reward model q̂ of the DM-family estimators: a per-(item, slot) click rate,
 * Beta-smoothed toward the overall click rate, cross-fitted over K folds.
 *
 * For fold f, with n₋f(a,k) rows and c₋f(a,k) clicks on the OTHER folds and their
 * overall rate μ₋f = Σc₋f / Σn₋f:
 *   q̂_f(a, k) = (c₋f(a,k) + s·μ₋f) / (n₋f(a,k) + s),   s = priorClicks / μ₋f
 * i.e. the posterior mean under a Beta(priorClicks, s − priorClicks) prior (s pseudo-rows
 * holding `priorClicks` clicks). Rows of fold f are only ever scored by a model that did
 * not see them (cross-fitting, Chernozhukov et al. 2018), which keeps DR's correction
 * term unbiased given the model. With K = 1 the model is fit on all rows (no cross-fitting).
 * Complexity O(K²·items·lenList). Example: crossFittedRewardModel(stats, { folds: 5, items: 34, lenList: 3 })
 */

export interface RewardModelOptions {
  folds: number;
  items: number;
  lenList: number;
  /** Prior strength in clicks (default 2). */
  priorClicks?: number;
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
  const priorClicks = o.priorClicks ?? 2;
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
    const s = mu > 0 ? priorClicks / mu : 0;
    for (let j = 0; j < cellsPerFold; j++) {
      q[f * cellsPerFold + j] = n[j] + s > 0 ? (c[j] + s * mu) / (n[j] + s) : 0;
    }
  }
  return q;
}
