import fixture from '../../test/fixtures/core/probability-of-best.json';
import { expectedLoss, probabilityOfBestAndExpectedLoss } from './expected-loss';
import { probabilityOfBest, probabilityOfBestMonteCarlo } from './probability-of-best';
import { createRng } from './rng';

/**
 * Fixtures: scipy quad_vec / mpmath tanh-sinh (scripts/reference/core_reference.py), the
 * regular sets and U-shaped (α, β < 1) and mixed ones up to α + β = 1e9. Observed max
 * error 6e-12 (K = 100 near tie); the tolerance leaves a margin of ~15×.
 */
const TOL = 1e-10;

describe('probabilityOfBest and expectedLoss against scipy/mpmath references', () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s: P(best) and expected loss within 1e-10', (_name, c) => {
    const { probBest, expectedLoss: loss, expectedMax } = probabilityOfBestAndExpectedLoss(c.arms);
    probBest.forEach((p, k) => expect(Math.abs(p - c.probBest[k])).toBeLessThan(TOL));
    loss.forEach((l, k) => expect(Math.abs(l - c.expectedLoss[k])).toBeLessThan(TOL));
    expect(Math.abs(expectedMax - c.expectedMax)).toBeLessThan(TOL);
  });
  it('has the K = 2, 3, 10 and 100 cases, including OBD-scale counts and near-ties', () => {
    const ks = new Set(fixture.cases.map((c) => c.arms.length));
    expect([...ks].sort((a, b) => a - b)).toEqual([2, 3, 10, 100]);
    expect(fixture.cases.some((c) => c.arms.some((a) => a.beta >= 1e7))).toBe(true);
    expect(fixture.cases.some((c) => c.arms.some((a) => a.alpha <= 0.01))).toBe(true);
    // U-shaped arms (both endpoints singular) against concentrated, uniform and U-shaped rivals, and counts up to 1e9
    const ushaped = fixture.cases.filter((c) => c.arms.some((a) => a.alpha < 1 && a.beta < 1));
    expect(ushaped.length).toBeGreaterThanOrEqual(10);
    expect(fixture.cases.some((c) => c.arms.some((a) => a.alpha + a.beta >= 1e9))).toBe(true);
  });
  it('the reported U-shaped cases: loss(a) = 0.0018341 for Beta(0.05, 0.05) vs Beta(50000, 9950000)', () => {
    const { probBest, expectedLoss: loss } = probabilityOfBestAndExpectedLoss([
      { alpha: 0.05, beta: 0.05 },
      { alpha: 50000, beta: 9950000 },
    ]);
    expect(loss[0]).toBeCloseTo(0.0018341, 7); // was 0.001006
    const c = fixture.cases.find((x) => x.name === 'K2 U-shaped vs OBD scale')!;
    expect(Math.abs(probBest[0] - c.probBest[0])).toBeLessThan(1e-10); // was 3.9e-5 off
  });
});

describe('probabilityOfBest invariants', () => {
  it('sums to 1 and gives 1/K for K identical arms', () => {
    for (const K of [2, 3, 7, 50]) {
      for (const arm of [
        { alpha: 5, beta: 9 },
        { alpha: 0.02, beta: 0.5 },
        { alpha: 3e6, beta: 7e6 },
      ]) {
        const p = probabilityOfBest(Array.from({ length: K }, () => arm));
        p.forEach((v) => expect(Math.abs(v - 1 / K)).toBeLessThan(1e-12));
      }
    }
    const rng = createRng('sum');
    for (let t = 0; t < 30; t++) {
      const arms = Array.from({ length: 2 + (rng.nextUint32() % 20) }, () => ({ alpha: Math.exp(12 * rng.nextFloat() - 4), beta: Math.exp(16 * rng.nextFloat() - 4) }));
      const p = probabilityOfBest(arms);
      expect(Math.abs(p.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-12);
      p.forEach((v) => expect(v >= 0 && v <= 1).toBe(true));
    }
  });
  it('is 1 for a single arm; expected loss of two uniforms is 1/6 each', () => {
    expect(probabilityOfBest([{ alpha: 3, beta: 4 }])).toEqual([1]);
    expectedLoss([
      { alpha: 1, beta: 1 },
      { alpha: 1, beta: 1 },
    ]).forEach((l) => expect(l).toBeCloseTo(1 / 6, 12));
  });
  it('stays finite and in range from 1e-3 to 1e9', () => {
    const extremes = [1e-3, 0.05, 1, 40, 1e5, 1e9];
    for (const a of extremes)
      for (const b of extremes) {
        const arms = [
          { alpha: a, beta: b },
          { alpha: b, beta: a },
          { alpha: 2, beta: 3 },
        ];
        const { probBest, expectedLoss: loss } = probabilityOfBestAndExpectedLoss(arms);
        [...probBest, ...loss].forEach((v) => expect(Number.isFinite(v) && v >= 0 && v <= 1).toBe(true));
      }
  });
  it('agrees with Monte Carlo within 4.5 standard errors', () => {
    const c = fixture.cases.find((x) => x.name === 'K10 mixed')!;
    const mc = probabilityOfBestMonteCarlo(c.arms, createRng('mc'), 40_000);
    const exact = probabilityOfBest(c.arms);
    mc.probBest.forEach((p, k) => expect(Math.abs(p - exact[k])).toBeLessThanOrEqual(4.5 * Math.max(mc.standardError[k], 1 / 40_000)));
  });
  it('refuses counts beyond the verified range (1e9) and more than 100 arms, at once (1e300 used to hang)', () => {
    expect(() => probabilityOfBest([{ alpha: 1e18, beta: 1e18 }, { alpha: 1e18, beta: 1e18 }])).toThrow(/arms\[0\]\.alpha must be at most 1e9 \(the range where the numerics are verified\)/);
    expect(() => probabilityOfBest([{ alpha: 2, beta: 3 }, { alpha: 1e300, beta: 1e300 }])).toThrow(/arms\[1\]\.alpha must be at most 1e9/);
    expect(() => probabilityOfBest(Array.from({ length: 101 }, () => ({ alpha: 1, beta: 1 })))).toThrow(/arms: at most 100 arms are supported/);
    expect(probabilityOfBest([{ alpha: 1e9, beta: 1e9 }, { alpha: 1e9, beta: 1e9 }])).toEqual([0.5, 0.5]);
  });
  it('rejects bad posteriors naming the parameter', () => {
    expect(() => probabilityOfBest([{ alpha: 1, beta: -2 }])).toThrow(/arms\[0\]\.beta must be a finite number > 0, got -2/);
    expect(() => probabilityOfBest([{ alpha: Infinity, beta: 2 }])).toThrow(/arms\[0\]\.alpha/);
    expect(() => probabilityOfBestMonteCarlo([{ alpha: 1, beta: 2 }], createRng(1), 0)).toThrow(/draws must be an integer >= 1/);
  });
});
