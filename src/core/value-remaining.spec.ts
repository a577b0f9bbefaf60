import fixture from '../../test/fixtures/core/value-remaining.json';
import { createRng } from './rng';
import { valueRemaining } from './value-remaining';

describe('valueRemaining (Scott 2015) against numpy Monte Carlo', () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s: champion and 95th percentile within 4.5 combined SE', (_n, c) => {
    const r = valueRemaining(c.arms, createRng(`vr-${c.name}`), 200_000, c.quantile);
    expect(r.champion).toBe(c.champion);
    expect(r.standardError).toBeGreaterThan(0);
    const se = Math.sqrt(r.standardError! ** 2 + c.standardError ** 2);
    expect(Math.abs(r.value - c.value)).toBeLessThan(4.5 * se);
  });
  it('is 0 for a single arm and validates its inputs', () => {
    expect(valueRemaining([{ alpha: 2, beta: 3 }], createRng(1), 100).value).toBe(0);
    expect(() => valueRemaining([{ alpha: 2, beta: 3 }], createRng(1), 1)).toThrow(/draws must be an integer >= 2/);
    expect(() => valueRemaining([{ alpha: 2, beta: 3 }], createRng(1), 100, 1.5)).toThrow(/quantile must be a number in \[0, 1\]/);
  });
  it('stays finite for tiny alpha', () => {
    const r = valueRemaining(
      [
        { alpha: 1e-3, beta: 1 },
        { alpha: 1e-3, beta: 2 },
      ],
      createRng(3),
      1000,
    );
    expect(Number.isFinite(r.value)).toBe(true);
  });
});
