/**
 * Gamma(shape, 1) variates by Marsaglia & Tsang, "A Simple Method for Generating Gamma
 * Variables", ACM TOMS 26(3), 2000: with d = a − ⅓, c = 1/√(9d), draw x ~ N(0,1),
 * v = (1 + cx)³, accept d·v when u < 1 − 0.0331x⁴ (squeeze) or
 * ln u < ½x² + d(1 − v + ln v). Acceptance ≥ 95% for every a ≥ 1.
 *
 * For shape < 1 the boost of the same paper: G(a) = G(a + 1) · U^(1/a). For very small
 * shapes U^(1/a) underflows to 0, so `sampleLogGamma` returns ln G directly
 * (ln G(a+1) + ln U / a), which the Beta sampler uses to stay exact.
 *
 * Complexity: O(1) expected per variate.
 *
 * @example
 *   const g = sampleGamma(createRng(7), 2.5); // mean 2.5, variance 2.5
 */
import { standardNormal } from './normal';
import type { Rng } from './rng';
import { assertPositive } from './validate';

const TWO_POW_MINUS_32 = 1 / 4294967296;

/** Marsaglia–Tsang for a ≥ 1 given d = a − ⅓ and c = 1/√(9d); no validation. */
export function marsagliaTsang(rng: Rng, d: number, c: number): number {
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.nextUint32() * TWO_POW_MINUS_32; // 32 bits suffice for the acceptance test
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return d * v;
    if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A validated Gamma(shape, 1) sampler: `makeGammaSampler(a)(rng)`. */
export function makeGammaSampler(shape: number): (rng: Rng) => number {
  assertPositive('shape', shape);
  if (shape >= 1) {
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    return (rng) => marsagliaTsang(rng, d, c);
  }
  const d = shape + 1 - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  const invShape = 1 / shape;
  return (rng) => marsagliaTsang(rng, d, c) * Math.pow(1 - rng.nextFloat(), invShape);
}

/** A validated sampler of ln G, G ~ Gamma(shape, 1) — exact for tiny shapes where G underflows. */
export function makeLogGammaSampler(shape: number): (rng: Rng) => number {
  assertPositive('shape', shape);
  if (shape >= 1) {
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    return (rng) => Math.log(marsagliaTsang(rng, d, c));
  }
  const d = shape + 1 - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  const invShape = 1 / shape;
  return (rng) => Math.log(marsagliaTsang(rng, d, c)) + Math.log(1 - rng.nextFloat()) * invShape;
}

/** One Gamma(shape, 1) variate (shape > 0 and finite, else RangeError). */
export function sampleGamma(rng: Rng, shape: number): number {
  return makeGammaSampler(shape)(rng);
}
