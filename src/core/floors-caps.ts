/**
 * Per-arm floors and caps on allocation probabilities, by water-filling: the result is
 * q_k = clamp(t·p_k, floor_k, cap_k) with the single scale t > 0 chosen so Σ q = 1 —
 * arms keep their relative weights except where a bound binds. If the arms with p_k > 0
 * cannot absorb the mass (every one at its cap), the remainder is spread evenly (again by
 * water level, q_k = min(cap_k, floor_k + s)) over the arms with p_k = 0.
 *
 * Feasible iff 0 ≤ floor_k ≤ cap_k ≤ 1, Σ floor ≤ 1 ≤ Σ cap; otherwise a RangeError
 * says which condition fails. Complexity O(K log K) (sort of the breakpoints t = bound/p).
 *
 * @example
 *   applyFloorsAndCaps([0.9, 0.05, 0.05], [0.1, 0.1, 0.1]); // [0.8, 0.1, 0.1]
 */

const TOL = 1e-12;

function checkBounds(name: string, v: readonly number[] | undefined, K: number): void {
  if (v === undefined) return;
  if (!Array.isArray(v) || v.length !== K) throw new RangeError(`${name} must be an array of ${K} numbers (one per arm), got ${Array.isArray(v) ? `${v.length} entries` : typeof v}`);
  v.forEach((x, k) => {
    if (typeof x !== 'number' || Number.isNaN(x) || x < 0 || x > 1) throw new RangeError(`${name}[${k}] must be a number in [0, 1], got ${String(x)}`);
  });
}

/** Validates a probability vector (entries in [0, 1], sum 1 within 1e-9). */
export function assertProbabilities(name: string, probs: readonly number[]): void {
  if (!Array.isArray(probs) || probs.length < 1) throw new RangeError(`${name} must be a non-empty array of probabilities`);
  let sum = 0;
  probs.forEach((p, k) => {
    if (typeof p !== 'number' || Number.isNaN(p) || p < 0 || p > 1) throw new RangeError(`${name}[${k}] must be a probability in [0, 1], got ${String(p)}`);
    sum += p;
  });
  if (Math.abs(sum - 1) > 1e-9) throw new RangeError(`${name} must sum to 1, got ${sum}`);
}

/** Probabilities with floors and caps applied (see the file comment). */
export function applyFloorsAndCaps(probs: readonly number[], floors?: readonly number[], caps?: readonly number[]): number[] {
  assertProbabilities('probs', probs);
  const K = probs.length;
  checkBounds('floors', floors, K);
  checkBounds('caps', caps, K);
  if (!floors && !caps) return probs.slice();
  const lo = floors ? floors.slice() : new Array<number>(K).fill(0);
  const hi = caps ? caps.slice() : new Array<number>(K).fill(1);
  let sumLo = 0;
  let sumHi = 0;
  for (let k = 0; k < K; k++) {
    if (lo[k] > hi[k] + TOL) throw new RangeError(`floors[${k}] (${lo[k]}) exceeds caps[${k}] (${hi[k]})`);
    sumLo += lo[k];
    sumHi += hi[k];
  }
  if (sumLo > 1 + TOL) throw new RangeError(`infeasible floors: they sum to ${sumLo} > 1`);
  if (sumHi < 1 - TOL) throw new RangeError(`infeasible caps: they sum to ${sumHi} < 1`);

  const massAt = (t: number) => {
    let m = 0;
    for (let k = 0; k < K; k++) m += Math.min(hi[k], Math.max(lo[k], t * probs[k]));
    return m;
  };
  // breakpoints of the piecewise-linear, nondecreasing m(t)
  const ts: number[] = [0];
  for (let k = 0; k < K; k++) {
    if (probs[k] > 0) {
      ts.push(lo[k] / probs[k], hi[k] / probs[k]);
    }
  }
  ts.sort((a, b) => a - b);
  const q = new Array<number>(K);
  const mMax = massAt(ts[ts.length - 1]);
  if (mMax >= 1 - TOL) {
    // find the segment [t0, t1] with m(t0) ≤ 1 ≤ m(t1), then solve the linear piece exactly
    let i = 0;
    while (i + 1 < ts.length && massAt(ts[i + 1]) < 1) i++;
    const t0 = ts[i];
    const t1 = i + 1 < ts.length ? ts[i + 1] : t0;
    const m0 = massAt(t0);
    const m1 = massAt(t1);
    const t = m1 > m0 ? t0 + ((1 - m0) * (t1 - t0)) / (m1 - m0) : t1;
    for (let k = 0; k < K; k++) q[k] = Math.min(hi[k], Math.max(lo[k], t * probs[k]));
  } else {
    // arms with p > 0 all capped: fill the zero-probability arms by a common level s
    for (let k = 0; k < K; k++) q[k] = probs[k] > 0 ? hi[k] : lo[k];
    const free: number[] = [];
    for (let k = 0; k < K; k++) if (probs[k] === 0) free.push(k);
    const fill = (s: number) => free.reduce((m, k) => m + Math.min(hi[k], lo[k] + s) - lo[k], 0);
    const need = 1 - mMax;
    let a = 0;
    let b = 1;
    for (let it = 0; it < 200 && b - a > 1e-17; it++) {
      const c = 0.5 * (a + b);
      if (fill(c) < need) a = c;
      else b = c;
    }
    for (const k of free) q[k] = Math.min(hi[k], lo[k] + b);
  }
  // remove rounding drift: rescale the free (unclamped) part
  let sum = 0;
  for (let k = 0; k < K; k++) sum += q[k];
  const drift = sum - 1;
  if (drift !== 0) {
    let slack = -1;
    for (let k = 0; k < K; k++) {
      const room = drift > 0 ? q[k] - lo[k] : hi[k] - q[k];
      if (room >= Math.abs(drift) && (slack < 0 || q[k] > q[slack])) slack = k;
    }
    if (slack >= 0) q[slack] -= drift;
  }
  return q;
}
