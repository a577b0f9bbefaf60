/**
 * Sample size of the fixed-horizon two-proportion test (pooled z-test, the textbook
 * formula, e.g. Fleiss, Levin & Paik 2003, §4.2 without continuity correction):
 *
 *   n per arm = ⌈(z_{1−α/2} √(2 p̄ (1 − p̄)) + z_{power} √(p₁(1 − p₁) + p₂(1 − p₂)))² / (p₂ − p₁)²⌉
 *
 * with p̄ = (p₁ + p₂)/2. With K arms each compared with the control, α is split
 * (Bonferroni, α/(K − 1)) and every arm gets n: the total is K·n. 0.05 vs 0.055 at 5%
 * two-sided and 80% power: 31,234 per arm, 62,468 in total.
 *
 * @example
 *   fixedHorizonSampleSize(0.05, 0.055).total; // 62468
 */
import { normalQuantile } from '../special';

export interface FixedHorizon {
  perArm: number;
  total: number;
  alpha: number;
  power: number;
}

/** Φ⁻¹ polished by two Newton steps on Φ computed from the series/continued fraction of erfc. */
function zQuantile(p: number): number {
  let x = normalQuantile(p);
  for (let i = 0; i < 2; i++) x -= (phiCdf(x) - p) / (Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI));
  return x;
}

/** Φ(x) to ~1e-15 for |x| < 8: Taylor series of erf near 0, Laplace continued fraction in the tail. */
function phiCdf(x: number): number {
  const ax = Math.abs(x);
  let tail: number;
  if (ax < 3) {
    // Φ(x) = ½ + φ(x)·Σ x^(2n+1)/(1·3·…·(2n+1))
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200 && term > 1e-17 * sum; n++) {
      term *= (ax * ax) / (2 * n + 1);
      sum += term;
    }
    tail = 0.5 - (Math.exp(-0.5 * ax * ax) / Math.sqrt(2 * Math.PI)) * sum;
  } else {
    // upper tail φ(x)/(x + 1/(x + 2/(x + 3/(x + …)))), evaluated from the bottom
    let f = ax;
    for (let k = 60; k >= 1; k--) f = ax + k / f;
    tail = Math.exp(-0.5 * ax * ax) / Math.sqrt(2 * Math.PI) / f;
  }
  return x >= 0 ? 1 - tail : tail;
}

/** The fixed-horizon test's sample size (see the file comment). */
export function fixedHorizonSampleSize(p1: number, p2: number, opts: { alpha?: number; power?: number; arms?: number } = {}): FixedHorizon {
  const alpha = opts.alpha ?? 0.05;
  const power = opts.power ?? 0.8;
  const arms = opts.arms ?? 2;
  for (const [name, v] of [['p1', p1], ['p2', p2], ['alpha', alpha], ['power', power]] as const) {
    if (!(typeof v === 'number' && v > 0 && v < 1)) throw new RangeError(`${name} must be a number in (0, 1), got ${String(v)}`);
  }
  if (p1 === p2) throw new RangeError('p1 and p2 must differ');
  if (!(Number.isInteger(arms) && arms >= 2)) throw new RangeError(`arms must be an integer >= 2, got ${String(arms)}`);
  const za = zQuantile(1 - alpha / (2 * (arms - 1)));
  const zb = zQuantile(power);
  const pbar = (p1 + p2) / 2;
  const num = za * Math.sqrt(2 * pbar * (1 - pbar)) + zb * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
  const perArm = Math.ceil((num * num) / ((p2 - p1) * (p2 - p1)));
  return { perArm, total: perArm * arms, alpha, power };
}
