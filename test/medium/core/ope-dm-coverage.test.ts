/**
 * Coverage of the OPE bootstrap intervals, by simulation on generated logs with KNOWN click
 * rates (the `bandit gen-obd` model: per-item rates from `generatedCtr`, slot factors
 * SLOT_FACTOR, click ~ Bernoulli(ctr[a]·slot[k]), a uniformly random logging policy).
 *
 * Each of 200 simulated logs (20,000 rows, 10 items, 3 slots, 5 folds) is aggregated into
 * cells and evaluated for a fixed evaluation policy π_e(a|k) whose true value
 * V = (1/3) Σ_k Σ_a π_e(a|k)·ctr[a]·slot[k] is known; then we count how often the 95%
 * interval contains V:
 * - DM with the reward model REFITTED in every replicate (evaluateOnCells): nominal 95%,
 *   accepted in [0.90, 0.99] (200 runs: the binomial standard error at 0.95 is 0.015, so
 *   the band is about ±3 SE; the shrinkage of the empirical-Bayes model adds a small bias);
 * - DM with the model held fixed (the former interval): far below nominal (< 0.5), which
 *   is the defect this guards against;
 * - DR, SNDR and Switch-DR with the refit: also in [0.90, 0.99].
 */
import { SLOT_FACTOR, generatedCtr } from '../../../src/pipeline/gen-obd';
import { createRng } from '../../../src/core/rng';
import { sampleBinomial } from '../../../src/core/ope/binomial';
import { sampleMultinomial } from '../../../src/core/ope/multinomial';
import { evaluateOnCells } from '../../../src/core/ope/evaluate-cells';
import { evaluateEstimators } from '../../../src/core/ope/evaluate';
import { crossFittedRewardModel, emptyFoldStats } from '../../../src/core/ope/reward-model';
import { unitsFromCells, type OpeCell } from '../../../src/core/ope/units';
import type { EstimatorName } from '../../../src/core/ope/types';

const ITEMS = 10;
const SLOTS = 3;
const FOLDS = 5;
const ROWS = 20_000;
const RUNS = 200;
const B = 200;

// ~60 CPU-seconds; on a busy shared machine several times that in wall time
jest.setTimeout(1_200_000);

/** One uniformly random log, aggregated into (fold, item, slot, click) cells. */
function simulateCells(ctr: number[], rng: ReturnType<typeof createRng>): OpeCell[] {
  const cells: OpeCell[] = [];
  const shown = new Float64Array(ITEMS * SLOTS);
  const uniform = new Float64Array(ITEMS * SLOTS).fill(1 / (ITEMS * SLOTS));
  for (let f = 0; f < FOLDS; f++) {
    sampleMultinomial(ROWS / FOLDS, uniform, rng, shown);
    for (let a = 0; a < ITEMS; a++) {
      for (let k = 0; k < SLOTS; k++) {
        const n = shown[a * SLOTS + k];
        const clicks = sampleBinomial(n, ctr[a] * SLOT_FACTOR[k], rng);
        if (clicks > 0) cells.push({ fold: f, item: a, slot: k, click: 1, pscore: 1 / ITEMS, count: clicks });
        if (n - clicks > 0) cells.push({ fold: f, item: a, slot: k, click: 0, pscore: 1 / ITEMS, count: n - clicks });
      }
    }
  }
  return cells;
}

describe('OPE interval coverage on generated logs with known click rates', () => {
  it(`DM's refitted interval covers the true value at about 95% over ${RUNS} logs; the fixed-model one does not`, () => {
    const ctr = generatedCtr(ITEMS, 3).map((c) => 5 * c); // 0.5%–6%: a few clicks per cell and fold
    // evaluation policy: a softmax over the items' index, the same in every slot
    const policy = new Float64Array(ITEMS * SLOTS);
    for (let k = 0; k < SLOTS; k++) {
      const w = Array.from({ length: ITEMS }, (_, a) => Math.exp(0.25 * a));
      const z = w.reduce((s, v) => s + v, 0);
      for (let a = 0; a < ITEMS; a++) policy[a * SLOTS + k] = w[a] / z;
    }
    let truth = 0;
    for (let a = 0; a < ITEMS; a++) for (let k = 0; k < SLOTS; k++) truth += (policy[a * SLOTS + k] * ctr[a] * SLOT_FACTOR[k]) / SLOTS;

    const model = { folds: FOLDS, items: ITEMS, lenList: SLOTS };
    const names: EstimatorName[] = ['dm', 'dr', 'sndr', 'switch-dr'];
    const covered: Record<string, number> = { dm: 0, dr: 0, sndr: 0, 'switch-dr': 0, dmFixed: 0 };
    let widthRefit = 0;
    let widthFixed = 0;
    const rng = createRng('ope-coverage');
    for (let run = 0; run < RUNS; run++) {
      const cells = simulateCells(ctr, rng);
      const refit = evaluateOnCells(cells, policy, model, names, { bootstrap: { replicates: B, alpha: 0.05, rng } });
      for (const e of refit) {
        expect(e.ciResamples).toBe('rows+model');
        if (e.ci!.lower <= truth && truth <= e.ci!.upper) covered[e.estimator]++;
      }
      // the former interval: the model fitted once, only the rows resampled
      const stats = emptyFoldStats(model);
      for (const c of cells) {
        const j = (c.fold * ITEMS + c.item) * SLOTS + c.slot;
        stats.rows[j] += c.count;
        stats.clicks[j] += c.count * c.click;
      }
      const units = unitsFromCells(cells, policy, ITEMS, SLOTS, crossFittedRewardModel(stats, model));
      const [fixed] = evaluateEstimators(units, ['dm'], { bootstrap: { replicates: B, alpha: 0.05, rng } });
      expect(fixed.value).toBeCloseTo(refit[0].value, 12); // same point estimate either way
      if (fixed.ci!.lower <= truth && truth <= fixed.ci!.upper) covered.dmFixed++;
      widthRefit += (refit[0].ci!.upper - refit[0].ci!.lower) / RUNS;
      widthFixed += (fixed.ci!.upper - fixed.ci!.lower) / RUNS;
    }
    const rate = (k: string) => covered[k] / RUNS;
    process.stdout.write(
      `coverage of V = ${truth.toFixed(6)} over ${RUNS} logs (B = ${B}): ` +
        `DM refit ${rate('dm')}, DM fixed model ${rate('dmFixed')}, DR ${rate('dr')}, SNDR ${rate('sndr')}, Switch-DR ${rate('switch-dr')}; ` +
        `mean DM width refit ${widthRefit.toExponential(3)}, fixed ${widthFixed.toExponential(3)}\n`,
    );
    expect(rate('dm')).toBeGreaterThanOrEqual(0.9);
    expect(rate('dm')).toBeLessThanOrEqual(0.99);
    expect(rate('dmFixed')).toBeLessThan(0.5);
    for (const e of ['dr', 'sndr', 'switch-dr']) {
      expect(rate(e)).toBeGreaterThanOrEqual(0.9);
      expect(rate(e)).toBeLessThanOrEqual(0.99);
    }
  });
});
