import fixture from '../../test/fixtures/core/beta-distribution.json';
import { betaCdf, betaCredibleInterval, betaLogPdf, betaMean, betaPdf, betaQuantile, betaSurvival, betaVariance } from './beta';
import { logBeta, logGamma } from './special';

/** Fixtures: mpmath (40 digits) or scipy/Boost (scripts/reference/core_reference.py). */
const relErr = (got: number, want: number) => Math.abs(got - want) / Math.max(Math.abs(want), 1e-300);

describe('Beta distribution against mpmath / scipy references', () => {
  it('pdf and log pdf: relative error < 1e-9 (a, b from 0.01 to 1e7)', () => {
    for (const r of fixture.values) {
      expect(relErr(betaPdf(r.x, r.a, r.b), r.pdf)).toBeLessThan(1e-9);
      expect(Math.abs(betaLogPdf(r.x, r.a, r.b) - r.logpdf)).toBeLessThan(1e-9 * Math.max(1, Math.abs(r.logpdf)));
    }
  });
  it('cdf and survival: relative error < 1e-9 in the computed tail, absolute < 1e-12', () => {
    for (const r of fixture.values) {
      const cdf = betaCdf(r.x, r.a, r.b);
      const sf = betaSurvival(r.x, r.a, r.b);
      if (r.cdf <= 0.5) expect(relErr(cdf, r.cdf)).toBeLessThan(1e-9);
      if (r.sf <= 0.5) expect(relErr(sf, r.sf)).toBeLessThan(1e-9);
      // absolute agreement on the smaller tail (Boost's cdf and sf of one point may differ by 1e-11)
      expect(r.cdf <= 0.5 ? Math.abs(cdf - r.cdf) : Math.abs(sf - r.sf)).toBeLessThan(1e-12);
    }
  });
  it('quantile: relative error < 1e-9', () => {
    for (const q of fixture.quantiles) expect(relErr(betaQuantile(q.p, q.a, q.b), q.x)).toBeLessThan(1e-9);
  });
  it('credible intervals: relative error < 1e-9', () => {
    for (const c of fixture.intervals) {
      const [lo, hi] = betaCredibleInterval(c.a, c.b, c.level);
      expect(relErr(lo, c.lo)).toBeLessThan(1e-9);
      expect(relErr(hi, c.hi)).toBeLessThan(1e-9);
    }
  });
  it('covers tiny and huge parameters', () => {
    expect(fixture.values.some((r) => r.a === 0.01)).toBe(true);
    expect(fixture.values.some((r) => r.b === 1e7 && r.a === 1e7)).toBe(true);
  });
});

describe('Beta distribution identities', () => {
  it('mean and variance', () => {
    expect(betaMean(2, 3)).toBe(0.4);
    expect(betaVariance(2, 3)).toBeCloseTo(6 / (25 * 6), 15);
  });
  it('uniform and closed forms', () => {
    expect(betaCdf(0.3, 1, 1)).toBeCloseTo(0.3, 15);
    expect(betaCdf(0.5, 2, 3)).toBeCloseTo(0.6875, 14);
    expect(betaQuantile(0.6875, 2, 3)).toBeCloseTo(0.5, 13);
    expect(betaPdf(0.5, 2, 2)).toBeCloseTo(1.5, 14);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
    expect(logGamma(1e-3)).toBeCloseTo(6.907178885383853, 12);
    expect(logBeta(3, 4)).toBeCloseTo(Math.log(1 / 60), 14);
  });
  it('edges and out-of-range x', () => {
    expect(betaCdf(-1, 2, 3)).toBe(0);
    expect(betaCdf(2, 2, 3)).toBe(1);
    expect(betaPdf(1.5, 2, 3)).toBe(0);
    expect(betaQuantile(0, 2, 3)).toBe(0);
    expect(betaQuantile(1, 2, 3)).toBe(1);
  });
  it('quantile inverts cdf and stays in [0, 1] from 1e-3 to 1e9', () => {
    const ps = [1e-12, 0.01, 0.3, 0.5, 0.9, 0.999];
    for (const a of [1e-3, 0.2, 3, 700, 1e6, 1e9])
      for (const b of [1e-3, 0.2, 3, 700, 1e6, 1e9])
        for (const p of ps) {
          const x = betaQuantile(p, a, b);
          expect(x >= 0 && x <= 1).toBe(true);
          // tolerance: 1e-9 plus the change of the cdf across a few ulps of x (x is a double)
          if (x > 1e-300 && x < 1 - 1e-12) expect(Math.abs(betaCdf(x, a, b) - p)).toBeLessThan(1e-9 + betaPdf(x, a, b) * x * 1e-15);
          const [lo, hi] = betaCredibleInterval(a, b);
          expect(0 <= lo && lo <= hi && hi <= 1).toBe(true);
        }
  });
  it('rejects bad parameters naming them', () => {
    expect(() => betaPdf(0.5, 0, 1)).toThrow(/alpha must be a finite number > 0, got 0/);
    expect(() => betaCdf(0.5, 1, Infinity)).toThrow(/beta must be a finite number > 0, got Infinity/);
    expect(() => betaQuantile(1.2, 1, 1)).toThrow(/p must be a number in \[0, 1\], got 1.2/);
    expect(() => betaCdf(NaN, 1, 1)).toThrow(/x must be a number/);
    expect(() => betaCredibleInterval(1, 1, 1)).toThrow(/level must be a number in \(0, 1\)/);
  });
});
