/**
 * The SRM check against scipy (test/fixtures/service/srm-chi2.json, written by
 * scripts/reference/srm_chi2.py): chi2.sf to 1e-10 relative (or 1e-300 absolute), and
 * scipy.stats.chisquare's statistic and p-value on assignment tables.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRng, type Rng } from '../core';
import { chiSquareSurvival, delaySummary, liftOf, srmCheck, srmCheckLogged, type ArmAssignments } from './health';

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

  /**
   * A log drawn the way the service draws: the allocation moves over time (equal shares,
   * then a drifting Thompson-like split), each decision logs the propensity of its arm; a
   * fraction `drop` of arm 0's decisions never reaches the event store.
   */
  function adaptiveLog(rng: Rng, n: number, drop = 0): { arms: ArmAssignments[]; servedSums: number[] } {
    const arms: ArmAssignments[] = [0, 1, 2].map(() => ({ selects: 0, inverseSum: 0, inverseSquareSum: 0 }));
    const servedSums = [0, 0, 0];
    for (let t = 0; t < n; t++) {
      const w = t < n / 4 ? 0 : Math.min(1, (t - n / 4) / (n / 2));
      const p = [(1 - w) / 3 + w * 0.05, (1 - w) / 3 + w * 0.15, (1 - w) / 3 + w * 0.8];
      const u = rng.nextFloat();
      const k = u < p[0] ? 0 : u < p[0] + p[1] ? 1 : 2;
      if (k === 0 && rng.nextFloat() < drop) continue;
      arms[k].selects++;
      arms[k].inverseSum += 1 / p[k];
      arms[k].inverseSquareSum += 1 / (p[k] * p[k]);
      servedSums[k] += p[k];
    }
    return { arms, servedSums };
  }

  it('adaptive allocation from logged propensities: about SRM_ALPHA false alarms where counts against Σ served propensities alarm almost always', () => {
    let alarms = 0;
    let naiveAlarms = 0;
    const runs = 300;
    for (let seed = 0; seed < runs; seed++) {
      const { arms, servedSums } = adaptiveLog(createRng(`srm:${seed}`), 4000);
      if (!srmCheckLogged(arms).ok) alarms++;
      if (!srmCheck(arms.map((a) => a.selects), servedSums).ok) naiveAlarms++;
    }
    // nominal 0.1%: allow the approximation up to 2% (6 of 300); the shortcut alarms on nearly every log
    expect(alarms).toBeLessThanOrEqual(6);
    expect(naiveAlarms).toBeGreaterThan(runs * 0.9);
  });

  it('adaptive allocation: detects a fifth of one arm’s decisions lost', () => {
    let detected = 0;
    for (let seed = 0; seed < 50; seed++) if (!srmCheckLogged(adaptiveLog(createRng(`srm-drop:${seed}`), 20000, 0.2).arms).ok) detected++;
    expect(detected).toBeGreaterThanOrEqual(45);
  });

  it('constant allocation: Neyman’s chi-square of the counts', () => {
    // 3 arms at 1/3 each: S_k = 3 n_k, W_k = 9 n_k → (3 n_k − n)² / (9 n_k) = (n_k − n/3)² / n_k
    const counts = [380, 300, 320];
    const n = 1000;
    const r = srmCheckLogged(counts.map((c) => ({ selects: c, inverseSum: 3 * c, inverseSquareSum: 9 * c })));
    const neyman = counts.reduce((x, c) => x + (c - n / 3) ** 2 / c, 0);
    expect(r.statistic).toBeCloseTo(neyman, 10);
    expect(r.df).toBe(2);
    expect(r.p_value).toBeCloseTo(chiSquareSurvival(neyman, 2), 12);
    expect(srmCheckLogged([{ selects: 0, inverseSum: 0, inverseSquareSum: 0 }, { selects: 5, inverseSum: 10, inverseSquareSum: 20 }])).toMatchObject({ p_value: null, ok: true });
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
