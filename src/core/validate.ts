/**
 * Parameter checks shared by the core. Each throws a `RangeError` that names the
 * offending parameter and shows the value, so a caller can tell the user exactly what
 * is wrong. They are called once per public call (or once when a sampler is built),
 * never inside per-draw loops.
 */
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

/** Validates α and β of one Beta distribution. */
export function assertBetaParams(alpha: number, beta: number, label = ''): void {
  assertPositive(`${label}alpha`, alpha);
  assertPositive(`${label}beta`, beta);
}

/** Validates a non-empty list of Beta posteriors (K ≥ 1, every α, β finite and > 0). */
export function assertArms(arms: readonly BetaPosterior[]): void {
  if (!Array.isArray(arms) || arms.length < 1) {
    throw new RangeError(`arms must be a non-empty array of {alpha, beta}, got ${Array.isArray(arms) ? 'an empty array' : typeof arms}`);
  }
  for (let k = 0; k < arms.length; k++) {
    const a = arms[k];
    if (a === null || typeof a !== 'object') throw new RangeError(`arms[${k}] must be an object {alpha, beta}`);
    assertBetaParams(a.alpha, a.beta, `arms[${k}].`);
  }
}
