import type { ExperimentView } from '../experiments/experiment.dto';
import { BUCKET_STEPS, TARGET_BUCKETS } from './history.dto';
import { assembleHistory, chooseBucketSeconds } from './history.service';

const view = (means: number[]) => ({ id: 'x', arms: means.map((mean, index) => ({ index, name: `arm${index}`, mean })) }) as unknown as ExperimentView;
const range = { fromMs: 0, toMs: 600_000, bucketSeconds: 60 };

describe('chooseBucketSeconds', () => {
  it('picks the smallest listed width that fits the span in TARGET_BUCKETS buckets', () => {
    for (const span of [1, 59, 240, 241, 3600, 86_400, 30 * 86_400, 10 * 365 * 86_400]) {
      const w = chooseBucketSeconds(span);
      expect(BUCKET_STEPS).toContain(w);
      const smaller = BUCKET_STEPS.filter((s) => s < w);
      if (w !== BUCKET_STEPS[BUCKET_STEPS.length - 1]) expect(span / w).toBeLessThanOrEqual(TARGET_BUCKETS);
      for (const s of smaller) expect(span / s).toBeGreaterThan(TARGET_BUCKETS);
    }
  });
});

describe('assembleHistory', () => {
  it('charges no regret when every assignment went to the arm with the best mean', () => {
    const h = assembleHistory(view([0.1, 0.3]), range, [{ bucket: 1, arm: 1, type: 'select', count: 50, rewardSum: 0 }], []);
    expect(h.cumulative).toEqual([{ t: new Date(120_000).toISOString(), assignments: 50, pulls: 50, reward: 0, regret: 0 }]);
  });

  it('orders buckets in time, sums rewards per arm and keeps running totals', () => {
    const h = assembleHistory(
      view([0.1, 0.3]),
      range,
      [
        { bucket: 3, arm: 0, type: 'select', count: 4, rewardSum: 0 },
        { bucket: 1, arm: 0, type: 'select', count: 10, rewardSum: 0 },
        { bucket: 1, arm: 1, type: 'reward', count: 2, rewardSum: 1.5 },
      ],
      [],
    );
    expect(h.buckets).toEqual([
      { t: new Date(60_000).toISOString(), selects: [10, 0], rewards: [0, 1.5] },
      { t: new Date(180_000).toISOString(), selects: [4, 0], rewards: [0, 0] },
    ]);
    expect(h.cumulative.map((c) => [c.assignments, c.reward])).toEqual([
      [10, 1.5],
      [14, 1.5],
    ]);
    expect(h.cumulative[1].regret).toBeCloseTo(14 * 0.2, 12);
  });

  it('ignores rows of arms the experiment does not have, and leaves arms without a snapshot null', () => {
    const h = assembleHistory(
      view([0.5, 0.5]),
      range,
      [{ bucket: 0, arm: 7, type: 'select', count: 3, rewardSum: 0 }],
      [
        { bucket: 2, arm: 1, at: 150_000, probBest: 0.4, mean: 0.5, ciLow: 0.1, ciHigh: 0.9 },
        { bucket: 2, arm: 9, at: 170_000, probBest: 1, mean: 1, ciLow: 1, ciHigh: 1 },
      ],
    );
    expect(h.buckets).toEqual([]);
    expect(h.snapshots).toEqual([{ t: new Date(150_000).toISOString(), probBest: [null, 0.4], mean: [null, 0.5], ciLow: [null, 0.1], ciHigh: [null, 0.9] }]);
  });
});
