/**
 * The validated input range of the numeric core, shared by the CLI (`bandit stats`) and
 * the experiments API so that all three accept and refuse the same values.
 *
 * - α, β of a Beta distribution: finite, > 0 and ≤ `BETA_PARAM_MAX` (1e9). Inside it the
 *   integration (P(best), expected loss) agrees with mpmath/scipy references to ≤ 4e-11
 *   (checked from α, β = 1e-3 up to 1e9, U-shaped arms included), the distribution
 *   functions to the accuracies in docs/core.md. Beyond it, results are not verified (at
 *   1e18 the double-precision spacing of α is 128, so posteriors differing by fewer counts
 *   are indistinguishable) and the incomplete-beta fractions need O(√α) terms.
 * - Arms compared at once: at most `MAX_ARMS` (100), the largest K the references check.
 */
export const BETA_PARAM_MAX = 1e9;
export const MAX_ARMS = 100;

/**
 * How a bad value is shown in an error: JSON-parsed 1e400 is Infinity, which
 * JSON.stringify would print as "null"; say what it is instead.
 */
export function describeValue(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : `${String(v)} (not a finite number)`;
  if (v === undefined) return 'nothing';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** "1e9": the maximum as written in error messages and docs. */
export const BETA_PARAM_MAX_TEXT = BETA_PARAM_MAX.toExponential().replace('e+', 'e');

/**
 * Why `v` is not a valid α or β (finite, > 0, ≤ BETA_PARAM_MAX), as the end of a sentence
 * ("must be …, got …"), or undefined when it is valid.
 */
export function betaParamProblem(v: unknown): string | undefined {
  if (typeof v !== 'number' || !(v > 0) || v === Infinity) return `must be a finite number > 0, got ${describeValue(v)}`;
  if (v > BETA_PARAM_MAX) return `must be at most ${BETA_PARAM_MAX_TEXT} (the range where the numerics are verified), got ${describeValue(v)}`;
  return undefined;
}

/** Why a list of `n` arms is too long or too short for the core, or undefined. */
export function armCountProblem(n: number, min = 1): string | undefined {
  if (n < min) return `need at least ${min} arm${min === 1 ? '' : 's'}, got ${n}`;
  if (n > MAX_ARMS) return `at most ${MAX_ARMS} arms are supported (the range where the numerics are verified), got ${n}`;
  return undefined;
}
