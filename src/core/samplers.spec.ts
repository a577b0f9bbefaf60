import fixture from '../../test/fixtures/core/sampler-quantiles.json';
import { sampleBetaInto } from './beta-bulk';
import { makeBetaSampler, sampleBeta } from './beta-sampler';
import { betaMean, betaVariance } from './beta';
import { makeGammaSampler, sampleGamma } from './gamma';
import { standardNormal } from './normal';
import { createRng, type Rng } from './rng';

/**
 * Goodness of fit at fixed seeds against Boost quantiles (test/fixtures/core/sampler-quantiles.json):
 * the empirical CDF at the reference quantiles must be within the Kolmogorov–Smirnov
 * 0.1% critical value 1.95/√n of the grid probabilities (a KS statistic restricted to
 * the grid is at most the full one, so the test is conservative).
 */
const N = 40_000;
const KS_CRIT = 1.95 / Math.sqrt(N);

function ksOnGrid(draws: Float64Array, probs: number[], quantiles: number[]): number {
  draws.sort();
  let d = 0;
  let i = 0;
  probs.forEach((p, k) => {
    if (!(quantiles[k] > 0 && quantiles[k] < 1) && quantiles[k] <= 1) return; // Beta quantile not representable apart from 0 / 1
    while (i < draws.length && draws[i] <= quantiles[k]) i++;
    d = Math.max(d, Math.abs(i / draws.length - p));
  });
  return d;
}

function draw(n: number, f: (rng: Rng) => number, rng: Rng): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(rng);
  return out;
}

describe('Gamma sampler (Marsaglia–Tsang, boost for shape < 1)', () => {
  it.each(fixture.gamma.map((g) => [g.shape, g] as const))('shape %p passes KS at the 0.1% level', (shape, g) => {
    const xs = draw(N, makeGammaSampler(shape), createRng(`gamma-${shape}`));
    expect(ksOnGrid(xs, g.probs, g.quantiles)).toBeLessThan(KS_CRIT);
  });
  it('has mean and variance equal to the shape (z < 4.5)', () => {
    for (const shape of [0.2, 1, 7.5, 300]) {
      const xs = draw(N, makeGammaSampler(shape), createRng(`gm-${shape}`));
      const mean = xs.reduce((s, v) => s + v, 0) / N;
      const variance = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (N - 1);
      expect(Math.abs(mean - shape) / Math.sqrt(shape / N)).toBeLessThan(4.5);
      // Var of the sample variance ≈ (μ4 − σ⁴)/n with μ4 = 3σ⁴ + 6σ⁴/k for Gamma(k)
      expect(Math.abs(variance - shape) / Math.sqrt((2 * shape * shape + 6 * shape) / N)).toBeLessThan(4.5);
    }
  });
  it('validates the shape', () => {
    expect(() => sampleGamma(createRng(1), 0)).toThrow(/shape must be a finite number > 0, got 0/);
    expect(() => sampleGamma(createRng(1), NaN)).toThrow(/shape/);
  });
});

describe('Beta sampler', () => {
  it.each(fixture.beta.map((b) => [b.alpha, b.beta, b] as const))('Beta(%p, %p) passes KS at the 0.1% level', (a, b, ref) => {
    const xs = sampleBetaInto(createRng(`beta-${a}-${b}`), a, b, new Float64Array(N));
    expect(ksOnGrid(xs, ref.probs, ref.quantiles)).toBeLessThan(KS_CRIT);
  });
  it('matches the Beta mean and variance (z < 4.5)', () => {
    for (const [a, b] of [
      [0.3, 0.7],
      [2, 5],
      [40, 960],
      [3e4, 1e6],
    ]) {
      const xs = sampleBetaInto(createRng(`bm-${a}`), a, b, new Float64Array(N));
      const mean = xs.reduce((s, v) => s + v, 0) / N;
      const variance = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (N - 1);
      const v = betaVariance(a, b);
      expect(Math.abs(mean - betaMean(a, b)) / Math.sqrt(v / N)).toBeLessThan(4.5);
      // loose bound on the sample variance: relative SE ≤ √(2/n)·(1 + excess kurtosis / 2)
      expect(Math.abs(variance / v - 1)).toBeLessThan(4.5 * Math.sqrt(2 / N) * 3);
    }
  });
  it('stays finite and in [0, 1] from 1e-3 to 1e9', () => {
    const rng = createRng('extremes');
    for (const a of [1e-3, 0.05, 0.7, 3, 1e4, 1e9])
      for (const b of [1e-3, 0.05, 0.7, 3, 1e4, 1e9]) {
        const f = makeBetaSampler(a, b);
        const bad = Array.from({ length: 200 }, () => f(rng)).filter((x) => !(Number.isFinite(x) && x >= 0 && x <= 1));
        expect(bad).toEqual([]);
      }
  });
  it('validates once, naming the parameter', () => {
    expect(() => makeBetaSampler(1, -1)).toThrow(/beta must be a finite number > 0, got -1/);
    expect(() => sampleBeta(createRng(1), Infinity, 1)).toThrow(/alpha must be a finite number > 0/);
  });
});

describe('standard normal (ziggurat)', () => {
  it('has mean 0, variance 1 and the normal tail mass beyond 3 (z < 4.5)', () => {
    const rng = createRng('normal');
    const n = 400_000;
    let s = 0;
    let s2 = 0;
    let tail = 0;
    for (let i = 0; i < n; i++) {
      const x = standardNormal(rng);
      s += x;
      s2 += x * x;
      if (Math.abs(x) > 3) tail++;
    }
    expect(Math.abs(s / n) / Math.sqrt(1 / n)).toBeLessThan(4.5);
    expect(Math.abs(s2 / n - 1) / Math.sqrt(2 / n)).toBeLessThan(4.5);
    const pTail = 0.0026997960632601866; // 2(1 − Φ(3))
    expect(Math.abs(tail / n - pTail) / Math.sqrt(pTail / n)).toBeLessThan(4.5);
  });
});

describe('createRng', () => {
  it('gives the same stream for the same seed and different streams for different seeds', () => {
    const seq = (seed: number | string) => {
      const r = createRng(seed);
      return Array.from({ length: 20 }, () => r.nextUint32());
    };
    expect(seq(42)).toEqual(seq(42));
    expect(seq('exp-1')).toEqual(seq('exp-1'));
    expect(seq(42)).not.toEqual(seq(43));
    expect(seq(1)).not.toEqual(seq(1.5));
    expect(seq('a')).not.toEqual(seq('b'));
    expect(seq(0)).toEqual(seq(-0));
  });
  it('produces floats in [0, 1) that are uniform (chi-square over 64 bins, 0.1% level)', () => {
    const r = createRng('uniform');
    const bins = new Array<number>(64).fill(0);
    const n = 640_000;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = r.nextFloat();
      if (!(u >= 0 && u < 1)) outside++;
      else bins[Math.floor(u * 64)]++;
    }
    expect(outside).toBe(0);
    const e = n / 64;
    const chi2 = bins.reduce((s, c) => s + (c - e) ** 2 / e, 0);
    expect(chi2).toBeLessThan(103.4); // χ²(63) at 0.999
  });
  it('uses all 32 bits of nextUint32', () => {
    const r = createRng(7);
    let or = 0;
    let and = 0xffffffff;
    for (let i = 0; i < 1000; i++) {
      const v = r.nextUint32();
      expect(Number.isInteger(v) && v >= 0 && v < 2 ** 32).toBe(true);
      or |= v;
      and &= v;
    }
    expect(or >>> 0).toBe(0xffffffff);
    expect(and).toBe(0);
  });
  it('rejects NaN seeds', () => {
    expect(() => createRng(NaN)).toThrow(/seed must be a number or a string/);
  });
});
