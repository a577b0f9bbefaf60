import { betaCredibleInterval } from './beta';
import { probabilityOfBestAndExpectedLoss } from './expected-loss';
import { summarizeArms } from './summary';

describe('summarizeArms', () => {
  it('combines mean, 95% interval, P(best) and expected loss per arm', () => {
    const arms = [
      { alpha: 12, beta: 988 },
      { alpha: 20, beta: 980 },
    ];
    const s = summarizeArms(arms);
    const both = probabilityOfBestAndExpectedLoss(arms);
    expect(s[0].mean).toBeCloseTo(0.012, 15);
    expect(s[1].ci95).toEqual(betaCredibleInterval(20, 980, 0.95));
    expect(s.map((a) => a.probBest)).toEqual(both.probBest);
    expect(s.map((a) => a.expectedLoss)).toEqual(both.expectedLoss);
    expect(s[0].ci95[0]).toBeLessThan(s[0].mean);
    expect(s[0].ci95[1]).toBeGreaterThan(s[0].mean);
  });
});
