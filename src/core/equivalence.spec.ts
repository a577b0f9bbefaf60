import raw from '../../test/fixtures/core/equivalence.json';
import { normalCdf, probabilityWithin, probabilityWithinNormal } from './equivalence';
import type { BetaPosterior } from './types';

interface Case {
  x: BetaPosterior;
  y: BetaPosterior;
  delta: number;
  p: number;
}
const fixture = raw as { cases: Case[] };

describe('probabilityWithin (region of practical equivalence)', () => {
  it('agrees with scipy quad (Boost pdf/cdf) to 1e-7 absolute (1e-11 but for a skewed Beta(1.5, 30))', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(10);
    for (const c of fixture.cases) {
      expect(Math.abs(probabilityWithin(c.x, c.y, c.delta) - c.p)).toBeLessThan(1e-7);
      // symmetric in its two arguments
      expect(Math.abs(probabilityWithin(c.y, c.x, c.delta) - c.p)).toBeLessThan(1e-7);
    }
  });
  it('is 1 for delta >= 1 and rejects a negative delta', () => {
    expect(probabilityWithin({ alpha: 2, beta: 3 }, { alpha: 4, beta: 1 }, 1)).toBe(1);
    expect(() => probabilityWithin({ alpha: 2, beta: 3 }, { alpha: 4, beta: 1 }, -0.1)).toThrow(/delta must be a number >= 0/);
  });
  it('the normal approximation is close for web-sized counts', () => {
    for (const c of fixture.cases.filter((k) => k.x.alpha >= 50 && k.y.alpha >= 50)) {
      expect(Math.abs(probabilityWithinNormal(c.x, c.y, c.delta) - c.p)).toBeLessThan(0.01);
    }
  });
  it('normalCdf matches known values to 2e-7', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(Math.abs(normalCdf(1.959963984540054) - 0.975)).toBeLessThan(2e-7);
    expect(Math.abs(normalCdf(-3) - 0.0013498980316301)).toBeLessThan(2e-8);
  });
});
