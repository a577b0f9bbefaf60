/**
 * Shared shapes of the numeric core.
 *
 * A Beta posterior over an arm's success rate θ: with a Beta(α₀, β₀) prior and s
 * successes out of n trials, the posterior is Beta(α₀ + s, β₀ + n − s).
 */
export interface BetaPosterior {
  /** α > 0: prior pseudo-successes plus observed successes. */
  alpha: number;
  /** β > 0: prior pseudo-failures plus observed failures. */
  beta: number;
}
