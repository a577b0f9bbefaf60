/**
 * Beta(α, β) variates as X/(X + Y) with X ~ Gamma(α), Y ~ Gamma(β) (Marsaglia–Tsang,
 * see gamma.ts); when both shapes are below 1, Jöhnk's algorithm (two powers of
 * uniforms, accepted with probability ≥ π/4). When one shape is below ½ the ratio is formed from logarithms
 * (ln X − ln(X + Y) by log-sum-exp), so tiny shapes whose Gamma variates underflow to 0
 * still give a correct value in [0, 1] instead of 0/0.
 *
 * `makeBetaSampler(α, β)` validates once and returns a lean per-draw closure — use it in
 * loops; `sampleBeta` is the one-shot convenience. `sampleBetaInto` (beta-bulk.ts) fills a
 * Float64Array with the same variates, faster.
 *
 * Complexity: O(1) expected per variate (two Gamma variates).
 *
 * @example
 *   const draw = makeBetaSampler(12, 988);
 *   const rng = createRng(1);
 *   draw(rng); // ≈ 0.012
 */
import { makeGammaSampler, makeLogGammaSampler, marsagliaTsang } from './gamma';
import type { Rng } from './rng';
import { assertBetaParams } from './validate';

/** A validated Beta(alpha, beta) sampler; the returned function only draws. */
export function makeBetaSampler(alpha: number, beta: number): (rng: Rng) => number {
  assertBetaParams(alpha, beta);
  if (alpha >= 1 && beta >= 1) {
    const da = alpha - 1 / 3;
    const ca = 1 / Math.sqrt(9 * da);
    const db = beta - 1 / 3;
    const cb = 1 / Math.sqrt(9 * db);
    return (rng) => {
      const x = marsagliaTsang(rng, da, ca);
      return x / (x + marsagliaTsang(rng, db, cb));
    };
  }
  if (alpha < 1 && beta < 1) {
    // Jöhnk (1964): X = U^(1/α), Y = V^(1/β); accept when X + Y ≤ 1, return X/(X+Y).
    // Acceptance Γ(α+1)Γ(β+1)/Γ(α+β+1) ≥ π/4. When both powers underflow, the ratio
    // is taken from the logarithms.
    const ia = 1 / alpha;
    const ib = 1 / beta;
    return (rng) => {
      for (;;) {
        const u = rng.nextFloat();
        const v = rng.nextFloat();
        const x = Math.pow(u, ia);
        const y = Math.pow(v, ib);
        const s = x + y;
        if (s > 1) continue;
        if (s > 0) return x / s;
        const lx = Math.log(u) * ia;
        const ly = Math.log(v) * ib;
        if (!(lx > -Infinity) && !(ly > -Infinity)) continue; // u = v = 0
        const t = ly - lx;
        return t > 0 ? Math.exp(-t) / (1 + Math.exp(-t)) : 1 / (1 + Math.exp(t));
      }
    };
  }
  if (alpha >= 0.5 && beta >= 0.5) {
    // no underflow risk: U^(1/a) ≥ 2^-106 for a ≥ ½
    const ga = makeGammaSampler(alpha);
    const gb = makeGammaSampler(beta);
    return (rng) => {
      const x = ga(rng);
      const y = gb(rng);
      const s = x + y;
      return s > 0 ? x / s : 0.5;
    };
  }
  const la = makeLogGammaSampler(alpha);
  const lb = makeLogGammaSampler(beta);
  return (rng) => {
    const lx = la(rng);
    const ly = lb(rng);
    // x/(x+y) = 1/(1 + e^(ly−lx))
    const t = ly - lx;
    return t > 0 ? Math.exp(-t) / (1 + Math.exp(-t)) : 1 / (1 + Math.exp(t));
  };
}

/** One Beta(alpha, beta) variate (α, β > 0 and finite, else RangeError). */
export function sampleBeta(rng: Rng, alpha: number, beta: number): number {
  return makeBetaSampler(alpha, beta)(rng);
}
