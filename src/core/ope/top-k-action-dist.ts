/**
 * The action distribution of a Bernoulli Thompson sampler that shows its top-`lenList`
 * items: θ_a ~ Beta(α_a, β_a) for every item, the items sorted by θ descending fill slots
 * 0, 1, …; π(a | k) is estimated by the frequency of item a in slot k over `nSim`
 * simulations — obp's `BernoulliTS.compute_batch_action_dist` (the same for every row).
 * Complexity O(nSim·items·lenList). Example:
 *   topKActionDist(alpha, beta, 3, 100_000, createRng(7)) // Float64Array(items·3), π[a·3 + k]
 */
import { BULK_CHUNK, sampleBetaInto } from '../beta-bulk';
import type { Rng } from '../rng';

export function topKActionDist(
  alpha: ArrayLike<number>,
  beta: ArrayLike<number>,
  lenList: number,
  nSim: number,
  rng: Rng,
  onProgress?: (done: number) => void,
): Float64Array {
  const items = alpha.length;
  if (beta.length !== items) throw new Error('alpha and beta must have one entry per item');
  if (lenList > items) throw new Error(`cannot show ${lenList} items out of ${items}`);
  if (!(nSim >= 1)) throw new Error('nSim must be >= 1');
  const counts = new Float64Array(items * lenList);
  const theta = new Float64Array(items);
  const top = new Int32Array(lenList);
  // each item's θ for a chunk of simulations in one bulk call: draws[a·chunk + s]
  const chunk = Math.min(BULK_CHUNK, nSim);
  const draws = new Float64Array(items * chunk);
  for (let start = 0; start < nSim; start += chunk) {
    const m = Math.min(chunk, nSim - start);
    for (let a = 0; a < items; a++) sampleBetaInto(rng, alpha[a], beta[a], draws.subarray(a * chunk, a * chunk + m));
    for (let s = 0; s < m; s++) {
      for (let a = 0; a < items; a++) theta[a] = draws[a * chunk + s];
      topK(theta, top);
      for (let k = 0; k < lenList; k++) counts[top[k] * lenList + k]++;
      if (onProgress && (start + s + 1) % 10_000 === 0) onProgress(start + s + 1);
    }
  }
  for (let j = 0; j < counts.length; j++) counts[j] /= nSim;
  return counts;
}

/** Indices of the `out.length` largest values, largest first (ties: lower index first). O(items·k). */
export function topK(values: ArrayLike<number>, out: Int32Array): Int32Array {
  const k = out.length;
  out.fill(-1);
  for (let a = 0; a < values.length; a++) {
    const v = values[a];
    let pos = k;
    while (pos > 0 && (out[pos - 1] === -1 || values[out[pos - 1]] < v)) pos--;
    if (pos >= k) continue;
    for (let j = k - 1; j > pos; j--) out[j] = out[j - 1];
    out[pos] = a;
  }
  return out;
}
