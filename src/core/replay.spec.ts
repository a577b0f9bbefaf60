import { createReplay } from './replay';
import { createRng } from './rng';

/** Uniformly random logs: item uniform over `items`, slot uniform over 3, click ~ Bernoulli(ctr[item]). */
function randomLogs(n: number, ctr: number[], seed: number) {
  const rng = createRng(seed);
  const items = new Int32Array(n);
  const slots = new Int32Array(n);
  const clicks = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    items[i] = Math.floor(rng.nextFloat() * ctr.length);
    slots[i] = Math.floor(rng.nextFloat() * 3);
    clicks[i] = rng.nextFloat() < ctr[items[i]] ? 1 : 0;
  }
  return { items, slots, clicks };
}

const ctr = [0.02, 0.05, 0.1, 0.3, 0.04, 0.01];
const run = (seed: number, logs = randomLogs(20_000, ctr, 1)) => {
  const r = createReplay({ alpha: ctr.map(() => 1), beta: ctr.map(() => 1), lenList: 3, hindsightCtr: ctr, rng: createRng(seed), curvePoints: 100 });
  r.stepChunk(logs.items, logs.slots, logs.clicks, logs.items.length);
  return r.result();
};

describe('createReplay', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    expect(run(7)).toEqual(run(7));
    expect(run(8)).not.toEqual(run(7));
  });

  it('updates posteriors only with matched rows and counts them consistently', () => {
    const r = run(3);
    const learned = r.alpha.reduce((s, a) => s + a - 1, 0) + r.beta.reduce((s, b) => s + b - 1, 0);
    expect(learned).toBe(r.matched);
    expect(r.alpha.reduce((s, a) => s + a - 1, 0)).toBe(r.clicks);
    expect(r.rows).toBe(20_000);
    // each row matches with probability 1/items whatever the policy shows: ≈ n / 6
    expect(Math.abs(r.matched - 20_000 / 6)).toBeLessThan(5 * Math.sqrt((20_000 * (1 / 6) * (5 / 6))));
  });

  it('learns the best item: matched-row click rate approaches the best rate, regret curve is monotone', () => {
    const r = run(5, randomLogs(60_000, ctr, 2));
    expect(r.bestItem).toBe(3);
    // late matched rows mostly show item 3 in slot 0; the overall rate beats the uniform mean
    const uniformMean = ctr.reduce((a, b) => a + b, 0) / ctr.length;
    expect(r.matchedCtr).toBeGreaterThan(uniformMean);
    for (let i = 1; i < r.curve.length; i++) {
      expect(r.curve[i].regret).toBeGreaterThanOrEqual(r.curve[i - 1].regret - 1e-12);
      expect(r.curve[i].step).toBeGreaterThan(r.curve[i - 1].step);
    }
    expect(r.curve.at(-1)?.step).toBe(r.matched);
    expect(r.curve.length).toBeLessThanOrEqual(201);
    const meanBest = r.alpha[3] / (r.alpha[3] + r.beta[3]);
    expect(Math.abs(meanBest - 0.3)).toBeLessThan(0.05);
  });

  it('rejects bad priors and out-of-range rows', () => {
    expect(() => createReplay({ alpha: [1, 0], beta: [1, 1], lenList: 1, hindsightCtr: [0, 0], rng: createRng(1) })).toThrow(/alpha, beta > 0/);
    const r = createReplay({ alpha: [1, 1, 1], beta: [1, 1, 1], lenList: 3, hindsightCtr: [0, 0, 0], rng: createRng(1) });
    expect(() => r.step(5, 0, 0)).toThrow(/out of range/);
  });
});
