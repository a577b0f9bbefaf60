/**
 * The SRM check against scipy (test/fixtures/service/srm-chi2.json, written by
 * scripts/reference/srm_chi2.py): chi2.sf to 1e-10 relative (or 1e-300 absolute), and
 * scipy.stats.chisquare's statistic and p-value on assignment tables.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chiSquareSurvival, delaySummary, liftOf, srmCheck } from './health';

const ref = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'test', 'fixtures', 'service', 'srm-chi2.json'), 'utf8')) as {
  sf: Array<{ x: number; df: number; sf: number }>;
  chisquare: Array<{ observed: number[]; expected: number[]; statistic: number; p_value: number }>;
};

describe('SRM check', () => {
  it('chi-square survival function matches scipy', () => {
    for (const r of ref.sf) {
      const got = chiSquareSurvival(r.x, r.df);
      expect(Math.abs(got - r.sf)).toBeLessThanOrEqual(Math.max(1e-10 * r.sf, 1e-300));
    }
  });

  it('statistic and p-value match scipy.stats.chisquare; a mismatch fails the check', () => {
    for (const r of ref.chisquare) {
      const got = srmCheck(r.observed, r.expected);
      expect(got.statistic).toBeCloseTo(r.statistic, 9);
      expect(Math.abs((got.p_value as number) - r.p_value)).toBeLessThanOrEqual(Math.max(1e-9 * r.p_value, 1e-300));
      expect(got.ok).toBe(r.p_value >= 0.001);
    }
    expect(srmCheck([560, 440], [500, 500]).ok).toBe(false);
    expect(srmCheck([520, 480], [500, 500]).ok).toBe(true);
  });

  it('no decisions, or one arm expected: no test', () => {
    expect(srmCheck([0, 0], [0, 0])).toMatchObject({ p_value: null, ok: true });
    expect(srmCheck([10, 0], [10, 0])).toMatchObject({ p_value: null, ok: true });
  });

  it('lift: difference of means with a Welch interval', () => {
    // bandit: 100 rewarded, 60 ones; holdout: 50 rewarded, 20 ones (0/1 rewards: Σr² = Σr)
    const r = liftOf({ decisions: 120, rewarded: 100, sum: 60, sumSq: 60 }, { decisions: 60, rewarded: 50, sum: 20, sumSq: 20 });
    const se = Math.sqrt((0.6 * 0.4 * 100) / 99 / 100 + (0.4 * 0.6 * 50) / 49 / 50);
    expect(r.lift).toBeCloseTo(0.2, 12);
    expect(r.ci95?.[0]).toBeCloseTo(0.2 - 1.959963984540054 * se, 12);
    expect(r.ci95?.[1]).toBeCloseTo(0.2 + 1.959963984540054 * se, 12);
    expect(liftOf({ decisions: 5, rewarded: 1, sum: 1, sumSq: 1 }, { decisions: 5, rewarded: 3, sum: 1, sumSq: 1 }).lift).toBeNull();
  });

  it('delay summary: median and p90 by linear interpolation', () => {
    expect(delaySummary([])).toBeNull();
    expect(delaySummary([4, 1, 3, 2, 5])).toEqual({ median_seconds: 3, p90_seconds: 4.6, conversions: 5 });
  });
});
