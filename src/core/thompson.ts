/**
 * Arm selection and its exact propensities.
 *
 * - `thompsonSample` (Thompson 1933): draw θ_k ~ Beta(α_k, β_k) for every arm and play
 *   the argmax. Arm k is played with probability P(best)_k.
 * - `topTwoSample` (Russo, "Simple Bayesian algorithms for best-arm identification",
 *   Operations Research 68(6), 2020): draw the leader I = argmax θ; with probability β
 *   play I; otherwise redraw θ until a different arm J leads and play J. Bounded: after
 *   `maxResamples` (default 1000) redraws without a new leader — which happens only when
 *   P(best)_I is close to 1 — the challenger is drawn directly from its exact
 *   distribution P(J = k) = p_k / Σ_{j≠I} p_j (p = P(best) by integration), so the
 *   propensity formula below stays exact; if every other arm has p_k = 0 to double
 *   precision, the leader is played.
 * - `allocationProbabilities(arms, policy)`: the exact probability each arm is played —
 *   thompson: p_k = P(best)_k; top-two: β p_k + (1 − β) Σ_{j≠k} p_j p_k / (1 − p_j);
 *   then floors and caps (floors-caps.ts). This is the propensity to log with every
 *   assignment for off-policy evaluation.
 * - Burn-in (`policy.burnIn`, with per-arm `observations`): while some arm has fewer
 *   observations than the minimum sample, every arm gets an equal share (then floors and
 *   caps) — Thompson sampling would otherwise starve a clearly worse arm below the
 *   stopping rule's minimum sample, and the experiment could never conclude. The shares
 *   are the exact propensities of that phase.
 * - `selectArm(arms, policy, rng)`: draw from exactly those probabilities and return the
 *   arm with its propensity — the way to serve when floors or caps are set (a raw
 *   Thompson draw cannot honour them).
 * - `sampleCategorical(probs, rng)`: inverse-CDF draw, O(K).
 *
 * Complexity: a draw O(K) expected; exact probabilities as `probabilityOfBest`, plus
 * O(K) for top-two (Σ_{j≠k} p_j/(1−p_j) = R − r_k with r_j = p_j/(1−p_j), R = Σ r_j).
 *
 * @example
 *   const rng = createRng(1);
 *   thompsonSample(arms, rng);                                   // an arm index
 *   allocationProbabilities(arms, { algorithm: 'top_two', topTwoBeta: 0.5 });
 */
import { makeBetaSampler } from './beta-sampler';
import { applyFloorsAndCaps } from './floors-caps';
import { integratePosteriorMax } from './posterior-max';
import type { Rng } from './rng';
import type { BetaPosterior } from './types';
import { assertArms, assertInRange, assertInteger } from './validate';

export { applyFloorsAndCaps } from './floors-caps';

export interface AllocationPolicy {
  algorithm: 'thompson' | 'top_two';
  /** Probability of playing the sampled leader in top-two sampling (default 0.5). */
  topTwoBeta?: number;
  /** Minimum allocation probability per arm. */
  floors?: readonly number[];
  /** Maximum allocation probability per arm. */
  caps?: readonly number[];
  /**
   * Burn-in: while some arm has fewer than this many observations, every arm is served
   * with equal probability (then floors and caps), so a minimum sample is always reached.
   */
  burnIn?: number;
}

export const DEFAULT_TOP_TWO_BETA = 0.5;

function argmaxDraw(samplers: ((rng: Rng) => number)[], rng: Rng): number {
  let best = 0;
  let bestValue = -1;
  for (let k = 0; k < samplers.length; k++) {
    const v = samplers[k](rng);
    if (v > bestValue) {
      bestValue = v;
      best = k;
    }
  }
  return best;
}

/** One Thompson draw: the index of the arm with the largest posterior sample. */
export function thompsonSample(arms: readonly BetaPosterior[], rng: Rng): number {
  assertArms(arms);
  return argmaxDraw(
    arms.map((a) => makeBetaSampler(a.alpha, a.beta)),
    rng,
  );
}

/** One top-two Thompson draw (see the file comment for the bounded fallback). */
export function topTwoSample(arms: readonly BetaPosterior[], rng: Rng, beta: number, maxResamples = 1000): number {
  assertArms(arms);
  assertInRange('beta', beta, 0, 1);
  assertInteger('maxResamples', maxResamples, 0);
  const samplers = arms.map((a) => makeBetaSampler(a.alpha, a.beta));
  const leader = argmaxDraw(samplers, rng);
  if (arms.length === 1 || rng.nextFloat() < beta) return leader;
  for (let r = 0; r < maxResamples; r++) {
    const challenger = argmaxDraw(samplers, rng);
    if (challenger !== leader) return challenger;
  }
  const p = integratePosteriorMax(arms).probBest;
  const rest = p.map((v, k) => (k === leader ? 0 : v));
  const mass = rest.reduce((s, v) => s + v, 0);
  if (!(mass > 0)) return leader;
  return sampleCategorical(
    rest.map((v) => v / mass),
    rng,
  );
}

/** Top-two selection probabilities from P(best): β p_k + (1−β) Σ_{j≠k} p_j p_k / (1 − p_j). */
export function topTwoProbabilities(probBest: readonly number[], beta: number): number[] {
  const K = probBest.length;
  // Σ_{j≠k} p_j p_k/(1−p_j) = p_k (R − r_k), r_j = p_j/(1−p_j); with 1 − p_j taken as Σ_{i≠j} p_i
  const total = probBest.reduce((s, v) => s + v, 0);
  const r = probBest.map((p) => {
    const rest = total - p;
    return rest > 0 ? p / rest : 0;
  });
  const R = r.reduce((s, v) => s + v, 0);
  const out = probBest.map((p, k) => beta * p + (1 - beta) * p * (R - r[k]));
  // leaders whose rivals all have p = 0 play themselves
  for (let j = 0; j < K; j++) if (!(total - probBest[j] > 0)) out[j] += (1 - beta) * probBest[j];
  const sum = out.reduce((s, v) => s + v, 0);
  return out.map((v) => v / sum);
}

/**
 * Exact selection probability (propensity) of every arm under `policy`. Sums to 1.
 * `observations` (per arm) are needed when the policy has a burn-in.
 */
export function allocationProbabilities(arms: readonly BetaPosterior[], policy: AllocationPolicy, observations?: readonly number[]): number[] {
  assertArms(arms);
  const uniform = burnInAllocation(arms.length, policy, observations);
  if (uniform) return uniform;
  const p = integratePosteriorMax(arms).probBest;
  return applyPolicy(p, policy);
}

/**
 * The burn-in allocation — equal shares, then floors and caps — while some arm has fewer
 * than `policy.burnIn` observations; null when there is no burn-in or it is over.
 */
export function burnInAllocation(K: number, policy: AllocationPolicy, observations?: readonly number[]): number[] | null {
  const n = policy.burnIn ?? 0;
  if (n === 0) return null;
  assertInteger('burnIn', n, 0);
  if (!Array.isArray(observations) || observations.length !== K) throw new RangeError(`observations must be an array of ${K} counts (one per arm) when the policy has a burn-in`);
  let short = false;
  observations.forEach((o, k) => {
    if (typeof o !== 'number' || !(o >= 0)) throw new RangeError(`observations[${k}] must be a number >= 0, got ${String(o)}`);
    if (o < n) short = true;
  });
  if (!short) return null;
  const equal = new Array<number>(K).fill(1 / K);
  return policy.floors || policy.caps ? applyFloorsAndCaps(equal, policy.floors, policy.caps) : equal;
}

/** Allocation probabilities from already computed P(best) values. */
export function applyPolicy(probBest: readonly number[], policy: AllocationPolicy): number[] {
  let probs: number[];
  if (policy.algorithm === 'thompson') probs = probBest.slice();
  else if (policy.algorithm === 'top_two') {
    const beta = policy.topTwoBeta ?? DEFAULT_TOP_TWO_BETA;
    assertInRange('topTwoBeta', beta, 0, 1);
    probs = topTwoProbabilities(probBest, beta);
  } else throw new RangeError(`algorithm must be 'thompson' or 'top_two', got ${String((policy as { algorithm: unknown }).algorithm)}`);
  return policy.floors || policy.caps ? applyFloorsAndCaps(probs, policy.floors, policy.caps) : probs;
}

/** Index k drawn with probability probs[k] (inverse CDF; probs should sum to 1). */
export function sampleCategorical(probs: readonly number[], rng: Rng): number {
  if (!Array.isArray(probs) || probs.length < 1) throw new RangeError('probs must be a non-empty array of probabilities');
  const u = rng.nextFloat();
  let acc = 0;
  let last = -1;
  for (let k = 0; k < probs.length; k++) {
    const p = probs[k];
    if (!(p >= 0)) throw new RangeError(`probs[${k}] must be a probability >= 0, got ${String(p)}`);
    if (p > 0) last = k;
    acc += p;
    if (u < acc) return k;
  }
  if (last < 0) throw new RangeError('probs must have a positive entry');
  return last; // rounding: Σ p slightly below 1
}

/** An assignment (a served arm): the arm, its exact propensity, and the full allocation. */
export interface Selection {
  arm: number;
  propensity: number;
  probabilities: number[];
}

/** Draws an arm from the exact allocation probabilities of `policy` (honours floors, caps and burn-in). */
export function selectArm(arms: readonly BetaPosterior[], policy: AllocationPolicy, rng: Rng, observations?: readonly number[]): Selection {
  const probabilities = allocationProbabilities(arms, policy, observations);
  const arm = sampleCategorical(probabilities, rng);
  return { arm, propensity: probabilities[arm], probabilities };
}
