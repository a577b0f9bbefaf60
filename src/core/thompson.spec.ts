import { createRng } from './rng';
import { allocationProbabilities, applyFloorsAndCaps, burnInAllocation, sampleCategorical, selectArm, thompsonSample, topTwoProbabilities, topTwoSample } from './thompson';
import { probabilityOfBest } from './probability-of-best';

const arms = [
  { alpha: 12, beta: 188 },
  { alpha: 15, beta: 185 },
  { alpha: 18, beta: 182 },
];

/** |observed − expected| in binomial standard errors. */
const zScore = (count: number, n: number, p: number) => Math.abs(count / n - p) / Math.sqrt((p * (1 - p)) / n);

describe('thompsonSample', () => {
  it('selects each arm with probability P(best) (binomial z < 4.5 over 60k draws)', () => {
    const rng = createRng('thompson-freq');
    const n = 60_000;
    const counts = [0, 0, 0];
    for (let i = 0; i < n; i++) counts[thompsonSample(arms, rng)]++;
    const p = probabilityOfBest(arms);
    counts.forEach((c, k) => expect(zScore(c, n, p[k])).toBeLessThan(4.5));
  });
  it('is reproducible from the seed', () => {
    const a = createRng(9);
    const b = createRng(9);
    const seqA = Array.from({ length: 50 }, () => thompsonSample(arms, a));
    const seqB = Array.from({ length: 50 }, () => thompsonSample(arms, b));
    expect(seqA).toEqual(seqB);
  });
  it('rejects invalid posteriors with a RangeError naming the field', () => {
    expect(() => thompsonSample([], createRng(1))).toThrow(/arms must be a non-empty array/);
    expect(() => thompsonSample([{ alpha: 1, beta: 0 }], createRng(1))).toThrow(/arms\[0\]\.beta must be a finite number > 0/);
    expect(() => thompsonSample([{ alpha: NaN, beta: 1 }], createRng(1))).toThrow(/arms\[0\]\.alpha/);
  });
});

describe('top-two sampling', () => {
  it.each([0.5, 0.25, 0.9])('matches its propensity formula in simulation (beta = %p)', (beta) => {
    const rng = createRng(`top-two-${beta}`);
    const n = 40_000;
    const counts = [0, 0, 0];
    for (let i = 0; i < n; i++) counts[topTwoSample(arms, rng, beta)]++;
    const expected = allocationProbabilities(arms, { algorithm: 'top_two', topTwoBeta: beta });
    counts.forEach((c, k) => expect(zScore(c, n, expected[k])).toBeLessThan(4.5));
  });
  it('keeps the exact distribution when the leader is nearly certain (bounded resampling fallback)', () => {
    const lopsided = [
      { alpha: 400, beta: 600 },
      { alpha: 300, beta: 700 },
      { alpha: 310, beta: 690 },
    ];
    const rng = createRng('fallback');
    const n = 4_000;
    const counts = [0, 0, 0];
    for (let i = 0; i < n; i++) counts[topTwoSample(lopsided, rng, 0.5, 3)]++;
    const expected = allocationProbabilities(lopsided, { algorithm: 'top_two', topTwoBeta: 0.5 });
    expect(expected[1] + expected[2]).toBeGreaterThan(0.45);
    counts.forEach((c, k) => expect(zScore(c, n, expected[k])).toBeLessThan(4.5));
  });
  it('reduces to Thompson at beta = 1 and gives an even split between two arms at beta = 0.5', () => {
    const p = [0.7, 0.3];
    expect(topTwoProbabilities(p, 1)).toEqual([0.7, 0.3]);
    const half = topTwoProbabilities(p, 0.5);
    // k=0: 0.5·0.7 + 0.5·0.3·0.7/0.7 = 0.5
    expect(half[0]).toBeCloseTo(0.5, 14);
    expect(half[1]).toBeCloseTo(0.5, 14);
  });
});

describe('applyFloorsAndCaps', () => {
  it('respects floors and caps and keeps the sum at 1', () => {
    const q = applyFloorsAndCaps([0.9, 0.05, 0.05], [0.1, 0.1, 0.1]);
    expect(q[0]).toBeCloseTo(0.8, 12);
    expect(q[1]).toBeCloseTo(0.1, 12);
    expect(q.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 14);
    const c = applyFloorsAndCaps([0.7, 0.2, 0.1], undefined, [0.5, 1, 1]);
    expect(c[0]).toBeCloseTo(0.5, 12);
    // the rest scales proportionally: 0.2 : 0.1
    expect(c[1] / c[2]).toBeCloseTo(2, 12);
    expect(c.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 14);
  });
  it('fills zero-probability arms when the positive ones are all capped', () => {
    const q = applyFloorsAndCaps([1, 0, 0], undefined, [0.5, 1, 1]);
    expect(q).toEqual([0.5, 0.25, 0.25]);
  });
  it('holds the bounds for random inputs', () => {
    const rng = createRng('floors');
    for (let t = 0; t < 500; t++) {
      const K = 2 + (rng.nextUint32() % 6);
      const raw = Array.from({ length: K }, () => rng.nextFloat() ** 3);
      const sum = raw.reduce((s, v) => s + v, 0);
      const p = raw.map((v) => v / sum);
      const floors = Array.from({ length: K }, () => (rng.nextFloat() * 0.9) / K);
      const caps = Array.from({ length: K }, (_, k) => Math.min(1, floors[k] + 0.05 + rng.nextFloat()));
      if (caps.reduce((s, v) => s + v, 0) < 1) continue;
      const q = applyFloorsAndCaps(p, floors, caps);
      q.forEach((v, k) => {
        expect(v).toBeGreaterThanOrEqual(floors[k] - 1e-12);
        expect(v).toBeLessThanOrEqual(caps[k] + 1e-12);
      });
      expect(Math.abs(q.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-12);
    }
  });
  it('explains infeasible bounds', () => {
    expect(() => applyFloorsAndCaps([0.5, 0.5], [0.6, 0.6])).toThrow(/infeasible floors: they sum to 1.2 > 1/);
    expect(() => applyFloorsAndCaps([0.5, 0.5], undefined, [0.3, 0.3])).toThrow(/infeasible caps/);
    expect(() => applyFloorsAndCaps([0.5, 0.5], [0.4, 0], [0.3, 1])).toThrow(/floors\[0\] \(0.4\) exceeds caps\[0\]/);
    expect(() => applyFloorsAndCaps([0.5, 0.5], [0.1])).toThrow(/floors must be an array of 2 numbers/);
    expect(() => applyFloorsAndCaps([0.5, 0.6])).toThrow(/probs must sum to 1/);
  });
});

describe('allocation and selection', () => {
  it('thompson allocation is P(best); floors apply on top', () => {
    const p = probabilityOfBest(arms);
    expect(allocationProbabilities(arms, { algorithm: 'thompson' })).toEqual(p);
    const floored = allocationProbabilities(arms, { algorithm: 'thompson', floors: [0.2, 0.2, 0.2] });
    floored.forEach((v) => expect(v).toBeGreaterThanOrEqual(0.2 - 1e-12));
  });
  it('selectArm draws from the allocation and reports the propensity', () => {
    const rng = createRng('select');
    const policy = { algorithm: 'thompson' as const, floors: [0.25, 0.25, 0.25] };
    const n = 3_000;
    const counts = [0, 0, 0];
    let first;
    for (let i = 0; i < n; i++) {
      const s = selectArm(arms, policy, rng);
      first ??= s;
      counts[s.arm]++;
      expect(s.propensity).toBe(s.probabilities[s.arm]);
    }
    counts.forEach((c, k) => expect(zScore(c, n, first!.probabilities[k])).toBeLessThan(4.5));
  });
  it('sampleCategorical follows the probabilities and skips zeros', () => {
    const rng = createRng('cat');
    const probs = [0.1, 0, 0.6, 0.3];
    const counts = [0, 0, 0, 0];
    const n = 100_000;
    for (let i = 0; i < n; i++) counts[sampleCategorical(probs, rng)]++;
    expect(counts[1]).toBe(0);
    probs.forEach((p, k) => p > 0 && expect(zScore(counts[k], n, p)).toBeLessThan(4.5));
  });
});

describe('burn-in allocation', () => {
  const arms = [
    { alpha: 2, beta: 200 },
    { alpha: 60, beta: 140 },
  ];
  it('serves every arm equally while one is below the minimum, then follows the policy', () => {
    const policy = { algorithm: 'thompson' as const, burnIn: 100 };
    expect(allocationProbabilities(arms, policy, [200, 99])).toEqual([0.5, 0.5]);
    expect(allocationProbabilities(arms, policy, [200, 100])).toEqual(probabilityOfBest(arms));
    expect(burnInAllocation(3, { algorithm: 'top_two', burnIn: 10 }, [10, 10, 10])).toBeNull();
  });
  it('keeps floors and caps during burn-in (a pinned control share)', () => {
    const q = allocationProbabilities([...arms, { alpha: 1, beta: 1 }], { algorithm: 'thompson', burnIn: 50, caps: [0.2, 1, 1] }, [0, 0, 0]);
    expect(q[0]).toBeCloseTo(0.2, 12);
    expect(q[1]).toBeCloseTo(0.4, 12);
    expect(q[2]).toBeCloseTo(0.4, 12);
  });
  it('selectArm logs the burn-in share as the propensity', () => {
    const s = selectArm(arms, { algorithm: 'thompson', burnIn: 100 }, createRng('burn'), [3, 250]);
    expect(s.propensity).toBe(0.5);
  });
  it('needs the observations when a burn-in is set', () => {
    expect(() => allocationProbabilities(arms, { algorithm: 'thompson', burnIn: 10 })).toThrow(/observations must be an array of 2 counts/);
    expect(() => allocationProbabilities(arms, { algorithm: 'thompson', burnIn: 1.5 }, [0, 0])).toThrow(/burnIn must be an integer/);
  });
});
