/**
 * Parameter checks shared by the core. Each throws a `RangeError` that names the
 * offending parameter and shows the value, so a caller can tell the user exactly what
 * is wrong. They are called once per public call (or once when a sampler is built),
 * never inside per-draw loops.
 */
import { armCountProblem, betaParamProblem } from './limits';
import type { BetaPosterior } from './types';

/** Throws unless `value` is a finite number > 0. */
export function assertPositive(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0)) {
    throw new RangeError(`${name} must be a finite number > 0, got ${String(value)}`);
  }
}

/** Throws unless `value` is a number in [lo, hi] (inclusive). */
export function assertInRange(name: string, value: number, lo: number, hi: number): void {
  if (typeof value !== 'number' || Number.isNaN(value) || value < lo || value > hi) {
    throw new RangeError(`${name} must be a number in [${lo}, ${hi}], got ${String(value)}`);
  }
}

/** Throws unless `value` is an integer ≥ `min`. */
export function assertInteger(name: string, value: number, min = 0): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
}

/** Throws unless `value` is a valid α or β: finite, > 0 and ≤ BETA_PARAM_MAX (limits.ts). */
export function assertBetaParam(name: string, value: number): void {
  const problem = betaParamProblem(value);
  if (problem !== undefined) throw new RangeError(`${name} ${problem}`);
}

/** Validates α and β of one Beta distribution (the range in limits.ts). */
export function assertBetaParams(alpha: number, beta: number, label = ''): void {
  assertBetaParam(`${label}alpha`, alpha);
  assertBetaParam(`${label}beta`, beta);
}

/** Validates a list of Beta posteriors (1 ≤ K ≤ MAX_ARMS, every α, β in the range of limits.ts). */
export function assertArms(arms: readonly BetaPosterior[]): void {
  if (!Array.isArray(arms) || arms.length < 1) {
    throw new RangeError(`arms must be a non-empty array of {alpha, beta}, got ${Array.isArray(arms) ? 'an empty array' : typeof arms}`);
  }
  const tooMany = armCountProblem(arms.length);
  if (tooMany !== undefined) throw new RangeError(`arms: ${tooMany}`);
  for (let k = 0; k < arms.length; k++) {
    const a = arms[k];
    if (a === null || typeof a !== 'object') throw new RangeError(`arms[${k}] must be an object {alpha, beta}`);
    assertBetaParams(a.alpha, a.beta, `arms[${k}].`);
  }
}
