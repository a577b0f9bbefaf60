/**
 * The off-policy estimators of obp (Saito et al., 2021), written as per-unit terms.
 *
 * Each estimator's value has the form
 *   V̂ = Σ c_i·base_i / Σ c_i  +  Σ c_i·num_i / Σ c_i·den_i
 * (the second part only for the self-normalized ones), with w_i = π_e(a_i|x_i,k_i)/p_i:
 *
 * | estimator | base_i | num_i / den_i |
 * |---|---|---|
 * | RM | — | m_i·r_i / m_i, m_i = 1{π_e(a_i) = 1} (0 when no row matches) |
 * | IPW | r_i·min(w_i, λ) | — |
 * | SNIPW | — | r_i·w_i / w_i |
 * | DM | q̂(x_i, π_e) | — |
 * | DR | q̂(x_i, π_e) + min(w_i, λ)(r_i − q̂_i) | — |
 * | SNDR | q̂(x_i, π_e) | w_i(r_i − q̂_i) / w_i |
 * | Switch-DR | q̂(x_i, π_e) + 1{w_i ≤ λ}·w_i(r_i − q̂_i) | — |
 *
 * With every c_i = 1 these are obp 0.5's `estimate_policy_value` formulas exactly.
 * Complexity: O(n) per estimator. Example:
 *   const t = estimatorTerms('ipw', units); evaluateTerms(t, units.count) // = obp's IPW
 */
import type { EstimatorName, EstimatorOptions, OpeUnits } from './types';

export interface EstimatorTerms {
  base?: Float64Array;
  num?: Float64Array;
  den?: Float64Array;
}

export const NEEDS_REWARD_MODEL: Readonly<Record<EstimatorName, boolean>> = {
  rm: false,
  ipw: false,
  snipw: false,
  dm: true,
  dr: true,
  sndr: true,
  'switch-dr': true,
};

function requireModel(units: OpeUnits, name: EstimatorName): { qLogged: Float64Array; qPolicy: Float64Array } {
  if (!units.qLogged || !units.qPolicy) throw new Error(`${name} needs a reward model (estimated rewards)`);
  return { qLogged: units.qLogged, qPolicy: units.qPolicy };
}

/** The per-unit terms of one estimator. */
export function estimatorTerms(name: EstimatorName, units: OpeUnits, options: EstimatorOptions = {}): EstimatorTerms {
  const lambda = options.lambda ?? Infinity;
  const n = units.count.length;
  const { reward: r, pscore: p, piLogged: pi } = units;
  const w = (i: number) => pi[i] / p[i];
  const map = (f: (i: number) => number) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = f(i);
    return out;
  };
  switch (name) {
    case 'rm': {
      const m = options.replayMatch === 'expected' ? map((i) => pi[i]) : map((i) => (pi[i] === 1 ? 1 : 0));
      return { num: map((i) => m[i] * r[i]), den: m };
    }
    case 'ipw':
      return { base: map((i) => r[i] * Math.min(w(i), lambda)) };
    case 'snipw':
      return { num: map((i) => r[i] * w(i)), den: map(w) };
    case 'dm':
      return { base: requireModel(units, name).qPolicy.slice() };
    case 'dr': {
      const { qLogged, qPolicy } = requireModel(units, name);
      return { base: map((i) => qPolicy[i] + Math.min(w(i), lambda) * (r[i] - qLogged[i])) };
    }
    case 'sndr': {
      const { qLogged, qPolicy } = requireModel(units, name);
      return { base: qPolicy.slice(), num: map((i) => w(i) * (r[i] - qLogged[i])), den: map(w) };
    }
    case 'switch-dr': {
      const { qLogged, qPolicy } = requireModel(units, name);
      return { base: map((i) => qPolicy[i] + (w(i) <= lambda ? w(i) * (r[i] - qLogged[i]) : 0)) };
    }
  }
}

/** V̂ for unit weights `count` (the original counts, or a bootstrap resample's). */
export function evaluateTerms(terms: EstimatorTerms, count: ArrayLike<number>): number {
  let total = 0;
  let base = 0;
  let num = 0;
  let den = 0;
  const n = count.length;
  for (let i = 0; i < n; i++) {
    const c = count[i];
    if (c === 0) continue;
    total += c;
    if (terms.base) base += c * terms.base[i];
    if (terms.den) {
      num += c * (terms.num as Float64Array)[i];
      den += c * terms.den[i];
    }
  }
  let v = terms.base ? (total > 0 ? base / total : 0) : 0;
  if (terms.den) v += den > 0 ? num / den : 0;
  return v;
}
