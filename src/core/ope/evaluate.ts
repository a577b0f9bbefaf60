/**
 * Runs a set of estimators on one set of units, with bootstrap percentile intervals.
 * Units with counts > 1 (cells) use the multinomial cell bootstrap; per-row units
 * (every count 1) use the row bootstrap — the same distribution either way.
 * Complexity: O(E·m) for the point estimates, O(B·E·m) for the intervals.
 * Example:
 *   evaluateEstimators(units, ['ipw', 'dr'], { bootstrap: { replicates: 1000, alpha: 0.05, rng } })
 */
import type { Rng } from '../rng';
import { bootstrapCells, bootstrapRows } from './bootstrap';
import { estimatorTerms, evaluateTerms, NEEDS_REWARD_MODEL } from './estimators';
import type { Estimate, EstimatorName, EstimatorOptions, OpeUnits } from './types';

export interface EvaluateOptions extends EstimatorOptions {
  /** Omit for point estimates only. */
  bootstrap?: { replicates: number; alpha: number; rng: Rng; onReplicate?: (done: number) => void };
}

export function evaluateEstimators(units: OpeUnits, estimators: readonly EstimatorName[], options: EvaluateOptions = {}): Estimate[] {
  const usable = estimators.filter((e) => !NEEDS_REWARD_MODEL[e] || (units.qLogged && units.qPolicy));
  const missing = estimators.filter((e) => !usable.includes(e));
  if (missing.length > 0) throw new Error(`${missing.join(', ')} need a reward model (estimated rewards)`);
  const terms = usable.map((e) => estimatorTerms(e, units, options));
  const out: Estimate[] = usable.map((e, i) => ({ estimator: e, value: evaluateTerms(terms[i], units.count) }));
  const b = options.bootstrap;
  if (b && b.replicates > 0) {
    const perRow = units.count.every((c) => c === 1);
    const res = perRow ? bootstrapRows(terms, units.count.length, { ...b }) : bootstrapCells(terms, units.count, { ...b });
    res.forEach((r, i) => {
      out[i].ci = r.ci;
      out[i].bootstrapMean = r.mean;
      out[i].ciResamples = 'rows';
    });
  }
  return out;
}
