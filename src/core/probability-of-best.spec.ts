import fixture from '../../test/fixtures/core/probability-of-best.json';
import { expectedLoss, probabilityOfBestAndExpectedLoss } from './expected-loss';
import { probabilityOfBest, probabilityOfBestMonteCarlo } from './probability-of-best';
import { createRng } from './rng';

/** Fixtures: scipy quad_vec / mpmath tanh-sinh (scripts/reference/core_reference.py). */
const TOL = 1e-6;

describe('probabilityOfBest and expectedLoss against scipy/mpmath references', () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s: P(best) and expected loss within 1e-6', (_name, c) => {
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
  it('rejects bad posteriors naming the parameter', () => {
    expect(() => probabilityOfBest([{ alpha: 1, beta: -2 }])).toThrow(/arms\[0\]\.beta must be a finite number > 0, got -2/);
    expect(() => probabilityOfBest([{ alpha: Infinity, beta: 2 }])).toThrow(/arms\[0\]\.alpha/);
    expect(() => probabilityOfBestMonteCarlo([{ alpha: 1, beta: 2 }], createRng(1), 0)).toThrow(/draws must be an integer >= 1/);
  });
});
