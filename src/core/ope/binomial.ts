/**
 * Binomial(n, p) variates, exact: inversion for n·min(p,1−p) < 10, otherwise Hörmann's
 * BTRS (transformed rejection with squeeze; W. Hörmann, "The generation of binomial
 * random variates", J. Statist. Comput. Simul. 46, 1993). Expected O(1) uniforms per
 * draw in the BTRS regime, O(n·p) in the inversion regime (< 10 on average).
 * Example: sampleBinomial(26_700_000, 0.004, createRng(1)) ≈ 106 800 ± 326
 */
import type { Rng } from '../rng';
import { logGamma } from '../special';

export function sampleBinomial(n: number, p: number, rng: Rng): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - sampleBinomial(n, 1 - p, rng);
  return n * p < 10 ? inversion(n, p, rng) : btrs(n, p, rng);
}

function inversion(n: number, p: number, rng: Rng): number {
  const q = 1 - p;
  const s = p / q;
  const a = (n + 1) * s;
  for (;;) {
    let r = Math.pow(q, n);
    let u = rng.nextFloat();
    let x = 0;
    while (u > r) {
      u -= r;
      x++;
      if (x > n) break;
      r *= a / x - s;
    }
    if (x <= n) return x;
  }
}

function btrs(n: number, p: number, rng: Rng): number {
  const q = 1 - p;
  const spq = Math.sqrt(n * p * q);
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const vr = 0.92 - 4.2 / b;
  const alpha = (2.83 + 5.1 / b) * spq;
  const lpq = Math.log(p / q);
  const m = Math.floor((n + 1) * p);
  const h = logGamma(m + 1) + logGamma(n - m + 1);
  for (;;) {
    const u = rng.nextFloat() - 0.5;
    let v = rng.nextFloat();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (k < 0 || k > n) continue;
    if (us >= 0.07 && v <= vr) return k;
    v = Math.log((v * alpha) / (a / (us * us) + b));
    if (v <= h - logGamma(k + 1) - logGamma(n - k + 1) + (k - m) * lpq) return k;
  }
}
