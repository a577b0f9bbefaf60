/**
 * Nonparametric bootstrap percentile intervals of off-policy estimates.
 *
 * Resampling n rows with replacement gives every row a count; the counts are
 * Multinomial(n; 1/n, …, 1/n). Rows in one cell (same terms) can be merged: the
 * resampled count of a cell of c rows is the sum of its rows' counts, and by the
 * aggregation property of the multinomial the cell counts are Multinomial(n; c_j/n).
 * Every estimator is a function of the resampled cell counts only, so sampling the
 * cell counts directly gives EXACTLY the row bootstrap's distribution
 * (docs/ope.md has the proof sketch). Ratio estimators are re-normalized inside each
 * replicate (their numerator and denominator are both resampled).
 *
 * Percentiles use numpy's default linear interpolation, like obp.
 * Complexity: O(B·m·E) for m units and E estimators, plus O(m) binomial draws per replicate.
 * Example: bootstrapEstimates([ipwTerms], units.count, { replicates: 1000, alpha: 0.05, rng })
 */
import { evaluateTerms, type EstimatorTerms } from './estimators';
import { sampleMultinomial } from './multinomial';
import type { Rng } from '../rng';
import type { Interval } from './types';

export interface BootstrapOptions {
  /** B: number of replicates. */
  replicates: number;
  /** Significance level (0.05 → a 95% interval). */
  alpha: number;
  rng: Rng;
  /** Called after each replicate (for progress). */
  onReplicate?: (done: number) => void;
}

export interface BootstrapResult {
  ci: Interval;
  mean: number;
}

/** numpy.percentile(values, q·100) with the default linear interpolation. `sorted` ascending. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Mean and the alpha/2, 1 − alpha/2 percentiles of bootstrap replicates. */
export function summarizeReplicates(replicates: Float64Array, alpha: number): BootstrapResult {
  let mean = 0;
  for (const v of replicates) mean += v;
  mean /= replicates.length;
  const sorted = replicates.slice().sort();
  return { ci: { lower: percentile(sorted, alpha / 2), upper: percentile(sorted, 1 - alpha / 2) }, mean };
}

/**
 * Bootstrap of units with integer counts (cells): each replicate draws the cell counts
 * from Multinomial(n; count/n) and evaluates every estimator on the same replicate.
 */
export function bootstrapCells(terms: readonly EstimatorTerms[], count: Float64Array, options: BootstrapOptions): BootstrapResult[] {
  const n = count.reduce((a, b) => a + b, 0);
  const probabilities = count.map((c) => c / n);
  const draws = terms.map(() => new Float64Array(options.replicates));
  const resampled = new Float64Array(count.length);
  for (let b = 0; b < options.replicates; b++) {
    sampleMultinomial(n, probabilities, options.rng, resampled);
    for (let e = 0; e < terms.length; e++) draws[e][b] = evaluateTerms(terms[e], resampled);
    options.onReplicate?.(b + 1);
  }
  return draws.map((d) => summarizeReplicates(d, options.alpha));
}

/**
 * The textbook row bootstrap (n uniform row indices per replicate), for per-row units
 * (count 1 each). Same distribution as `bootstrapCells` on the merged cells.
 */
export function bootstrapRows(terms: readonly EstimatorTerms[], nRows: number, options: BootstrapOptions): BootstrapResult[] {
  const draws = terms.map(() => new Float64Array(options.replicates));
  const resampled = new Float64Array(nRows);
  for (let b = 0; b < options.replicates; b++) {
    resampled.fill(0);
    for (let i = 0; i < nRows; i++) resampled[Math.floor(options.rng.nextFloat() * nRows)]++;
    for (let e = 0; e < terms.length; e++) draws[e][b] = evaluateTerms(terms[e], resampled);
    options.onReplicate?.(b + 1);
  }
  return draws.map((d) => summarizeReplicates(d, options.alpha));
}
