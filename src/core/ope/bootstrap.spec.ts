import { createRng } from '../rng';
import { bootstrapCells, bootstrapRows, percentile } from './bootstrap';
import { estimatorTerms, evaluateTerms } from './estimators';
import { evaluateEstimators } from './evaluate';
import { sampleMultinomial } from './multinomial';
import { crossFittedRewardModel, emptyFoldStats } from './reward-model';
import { ESTIMATORS } from './types';
import { cellsFromRows, unitsFromActionDist, unitsFromCells, type LoggedRows } from './units';

/** Small random-policy logs with per-(item, slot) click rates. */
function logs(n: number, items: number, seed: number): LoggedRows {
  const rng = createRng(seed);
  const out: LoggedRows = { action: new Int32Array(n), position: new Int32Array(n), reward: new Float64Array(n), pscore: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const a = Math.floor(rng.nextFloat() * items);
    const k = Math.floor(rng.nextFloat() * 3);
    out.action[i] = a;
    out.position[i] = k;
    out.reward[i] = rng.nextFloat() < 0.05 + 0.05 * a ? 1 : 0;
    out.pscore[i] = 1 / items;
  }
  return out;
}

function policy(items: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const pi = new Float64Array(items * 3);
  for (let k = 0; k < 3; k++) {
    let s = 0;
    for (let a = 0; a < items; a++) s += pi[a * 3 + k] = rng.nextFloat() + 0.05;
    for (let a = 0; a < items; a++) pi[a * 3 + k] /= s;
  }
  return pi;
}

function perRowModel(l: LoggedRows, items: number, folds: number) {
  const o = { folds, items, lenList: 3 };
  const stats = emptyFoldStats(o);
  for (let i = 0; i < l.action.length; i++) {
    const j = ((i % folds) * items + l.action[i]) * 3 + l.position[i];
    stats.rows[j]++;
    stats.clicks[j] += l.reward[i];
  }
  return crossFittedRewardModel(stats, o);
}

/** The same inputs through the per-row path (obp-shaped tensors) and the cell path. */
function bothPaths(n: number, items: number, seed: number) {
  const l = logs(n, items, seed);
  const pi = policy(items, seed + 1);
  const q = perRowModel(l, items, 5);
  const dist = new Float64Array(n * items * 3);
  const qRows = new Float64Array(n * items * 3);
  for (let i = 0; i < n; i++) {
    dist.set(pi, i * items * 3);
    qRows.set(q.subarray((i % 5) * items * 3, (i % 5 + 1) * items * 3), i * items * 3);
  }
  const rows = unitsFromActionDist(l, { data: dist, rows: n, items, lenList: 3 }, { data: qRows, rows: n, items, lenList: 3 });
  const cells = unitsFromCells(cellsFromRows(l, 5), pi, items, 3, q);
  return { rows, cells };
}

describe('percentile', () => {
  it("is numpy's linear interpolation", () => {
    // np.percentile([1, 2, 3, 4], 25) == 1.75; np.percentile([1, 2, 3, 4], 97.5) == 3.925
    expect(percentile([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 15);
    expect(percentile([1, 2, 3, 4], 0.975)).toBeCloseTo(3.925, 15);
    expect(percentile([5], 0.5)).toBe(5);
  });
});

describe('cells versus rows', () => {
  it('gives the same point estimate for every estimator (same data, aggregated)', () => {
    const { rows, cells } = bothPaths(3000, 6, 11);
    expect(cells.count.length).toBeLessThan(6 * 3 * 2 * 5 + 1);
    for (const e of ESTIMATORS) {
      for (const lambda of [Infinity, 4]) {
        const r = evaluateTerms(estimatorTerms(e, rows, { lambda, replayMatch: 'expected' }), rows.count);
        const c = evaluateTerms(estimatorTerms(e, cells, { lambda, replayMatch: 'expected' }), cells.count);
        expect(Math.abs(r - c)).toBeLessThan(1e-12);
      }
    }
  });

  // The multinomial cell bootstrap is exactly the row bootstrap in distribution. Check it
  // statistically: two-sample Kolmogorov–Smirnov on 3000 replicates of each, at α = 0.001
  // (critical D = 1.949·sqrt(2/3000) ≈ 0.0503), for a plain mean (IPW) and a ratio (SNIPW).
  it('agrees in distribution with a naive row bootstrap (KS test, α = 0.001)', () => {
    const { rows, cells } = bothPaths(400, 4, 5);
    const B = 3000;
    const names = ['ipw', 'snipw', 'dr', 'sndr'] as const;
    const rowDraws = names.map(() => new Float64Array(B));
    const cellDraws = names.map(() => new Float64Array(B));
    const collect = (u: typeof rows, out: Float64Array[], seed: number, viaCells: boolean) => {
      const terms = names.map((e) => estimatorTerms(e, u));
      const rng = createRng(seed);
      let b = 0;
      const n = u.count.length;
      const total = u.count.reduce((a, c) => a + c, 0);
      const probs = u.count.map((c) => c / total);
      const resampled = new Float64Array(n);
      for (b = 0; b < B; b++) {
        if (viaCells) {
          sampleMultinomial(total, probs, rng, resampled); // the cell bootstrap's draw
        } else {
          resampled.fill(0);
          for (let i = 0; i < n; i++) resampled[Math.floor(rng.nextFloat() * n)]++;
        }
        terms.forEach((t, e) => (out[e][b] = evaluateTerms(t, resampled)));
      }
    };
    collect(rows, rowDraws, 1, false);
    collect(cells, cellDraws, 2, true);
    const critical = 1.949 * Math.sqrt(2 / B);
    names.forEach((_, e) => {
      const a = rowDraws[e].slice().sort();
      const c = cellDraws[e].slice().sort();
      let i = 0;
      let j = 0;
      let d = 0;
      while (i < B && j < B) {
        if (a[i] <= c[j]) i++;
        else j++;
        d = Math.max(d, Math.abs(i / B - j / B));
      }
      expect(d).toBeLessThan(critical);
    });
  });

  it('bootstrapCells and bootstrapRows give close percentile intervals around the estimate', () => {
    const { rows, cells } = bothPaths(1000, 5, 8);
    const terms = (u: typeof rows) => [estimatorTerms('ipw', u), estimatorTerms('sndr', u)];
    const r = bootstrapRows(terms(rows), 1000, { replicates: 2000, alpha: 0.05, rng: createRng(1) });
    const c = bootstrapCells(terms(cells), cells.count, { replicates: 2000, alpha: 0.05, rng: createRng(2) });
    for (let e = 0; e < 2; e++) {
      const width = r[e].ci.upper - r[e].ci.lower;
      expect(width).toBeGreaterThan(0);
      expect(Math.abs(c[e].ci.lower - r[e].ci.lower)).toBeLessThan(0.1 * width);
      expect(Math.abs(c[e].ci.upper - r[e].ci.upper)).toBeLessThan(0.1 * width);
    }
  });

  it('puts the 95% interval around the point estimate and covers the truth on repeated data', () => {
    // true value of the policy: Σ_k (1/3) Σ_a π(a|k)·(0.05 + 0.05a)
    const items = 4;
    const pi = policy(items, 100);
    let truth = 0;
    for (let a = 0; a < items; a++) for (let k = 0; k < 3; k++) truth += (pi[a * 3 + k] * (0.05 + 0.05 * a)) / 3;
    let covered = 0;
    const reps = 40;
    for (let s = 0; s < reps; s++) {
      const l = logs(1500, items, 1000 + s);
      const units = unitsFromCells(cellsFromRows(l, 5), pi, items, 3, perRowModel(l, items, 5));
      const [est] = evaluateEstimators(units, ['dr'], { bootstrap: { replicates: 300, alpha: 0.05, rng: createRng(s) } });
      expect(est.ci!.lower).toBeLessThanOrEqual(est.value);
      expect(est.ci!.upper).toBeGreaterThanOrEqual(est.value);
      if (est.ci!.lower <= truth && truth <= est.ci!.upper) covered++;
    }
    // nominal 95%: with 40 repetitions, fewer than 33 covered has probability about 0.001
    expect(covered).toBeGreaterThanOrEqual(33);
  });
});
