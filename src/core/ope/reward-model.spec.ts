import { crossFittedRewardModel, empiricalBayesStrength, emptyFoldStats } from './reward-model';

describe('crossFittedRewardModel', () => {
  const o = { folds: 3, items: 2, lenList: 3 };
  const stats = () => {
    const s = emptyFoldStats(o);
    // item 0 slot 0: 1000 rows / 10 clicks per fold; item 1 slot 0: 1000 rows / 100 clicks per fold
    for (let f = 0; f < 3; f++) {
      s.rows[(f * 2 + 0) * 3 + 0] = 1000;
      s.clicks[(f * 2 + 0) * 3 + 0] = 10;
      s.rows[(f * 2 + 1) * 3 + 0] = 1000;
      s.clicks[(f * 2 + 1) * 3 + 0] = 100;
    }
    return s;
  };

  it("scores a fold with a model that never saw that fold's rows", () => {
    const s = stats();
    const before = crossFittedRewardModel(s, { ...o, priorStrength: 10 });
    s.clicks[(1 * 2 + 1) * 3 + 0] = 900; // change fold 1 only
    const after = crossFittedRewardModel(s, { ...o, priorStrength: 10 });
    const at = (q: Float64Array, f: number, a: number, k: number) => q[(f * 2 + a) * 3 + k];
    expect(at(after, 1, 1, 0)).toBe(at(before, 1, 1, 0)); // fold 1's own model is unchanged
    expect(at(after, 0, 1, 0)).toBeGreaterThan(at(before, 0, 1, 0)); // the other folds see it
  });

  it('is the Beta posterior mean with the given strength', () => {
    const q = crossFittedRewardModel(stats(), { ...o, priorStrength: 100 });
    const mu = 220 / 4000; // other two folds: 2·(10 + 100) clicks over 4000 rows
    expect(q[0]).toBeCloseTo((20 + 100 * mu) / (2000 + 100), 15);
    expect(q[3]).toBeCloseTo((200 + 100 * mu) / (2000 + 100), 15);
    // a cell without rows gets the overall rate
    expect(q[1]).toBeCloseTo(mu, 15);
  });

  it('pools fully when the cells do not differ beyond noise, and little when they clearly do', () => {
    expect(empiricalBayesStrength([1000, 1000], [50, 50], 0.05)).toBe(1e6);
    const s = empiricalBayesStrength([100_000, 100_000], [1000, 10_000], 0.055);
    // true rates 0.01 and 0.1: τ² ≈ 0.002, s = μ(1 − μ)/τ² − 1 ≈ 24
    expect(s).toBeGreaterThan(15);
    expect(s).toBeLessThan(35);
  });
});
