/**
 * The stopping rule: when an experiment ends, and what its verdict means, from posteriors
 * alone (no p-values).
 *
 * With the leader L = the arm with the highest P(best) (ties: the higher posterior mean,
 * then the lower index) and the baseline rate b = `baselineRate` when stated, else the
 * posterior mean of the first arm (the control), the verdict is:
 *
 * - `continue` ("keep going") while some arm has fewer than `minSamplesPerArm`
 *   observations. Burn-in (thompson.ts) serves every arm equally until then, so
 *   this phase always ends.
 * - `no_meaningful_difference` when every other arm k is within the region of practical
 *   equivalence of the leader with high probability: P(|θ_k − θ_L| ≤ rope·b) ≥
 *   `probEquivalent` for all k. The experiment ends without a winner: the arms differ by
 *   less than the smallest difference that matters (default ±2% of the baseline rate).
 * - `winner` when P(best)_L ≥ `probBest` and the leader's expected loss
 *   E[max θ − θ_L] ≤ `expectedLoss` (absolute rate) and ≤ `expectedLossRelative`·b.
 * - `no_winner` when neither holds and `maxSamples` total observations are reached or the caller
 *   says the experiment is `exhausted` (its maximum duration passed): the leader is
 *   reported as the best guess.
 * - `continue` otherwise.
 *
 * The result (`StoppingVerdict`) carries `verdict` (the four above), `status` (`winner` | `continue` |
 * `no_winner` — a `no_meaningful_difference` verdict has status `no_winner`, it ends the
 * experiment without a winner), one plain-words sentence `reason`, the numbers behind it
 * and a technical line per check (`reasons`).
 *
 * The defaults were chosen by simulating the rule as the service runs it (design/, see
 * docs/core.md "Operating characteristics"): under continuous monitoring a nominal
 * P(best) ≥ 0.95 names a winner between identical arms about 60% of the time within 50k
 * visitors; P(best) ≥ 0.997 after a burn-in of 1,000 observations per arm keeps it near 3%
 * with Thompson allocation (top-two needs 0.998–0.999 for the same).
 *
 * The equivalence probability is computed exactly (equivalence.ts) only when its normal
 * approximation is within 0.1 of `probEquivalent`; otherwise the approximation, far from
 * the threshold, is reported. Complexity: one P(best)/expected-loss integration, O(K²)
 * worst case, plus K − 1 equivalence integrals near the threshold.
 *
 * @example
 *   evaluateStoppingRule(arms, DEFAULT_STOPPING).verdict; // 'winner' | 'no_meaningful_difference' | 'continue' | 'no_winner'
 */
import { lossFromExpectedMax } from './expected-loss';
import { integratePosteriorMax, type PosteriorMaxResult } from './posterior-max';
import { probabilityWithin, probabilityWithinNormal } from './equivalence';
import type { BetaPosterior } from './types';
import { assertArms, assertInRange, assertInteger } from './validate';

export interface StoppingConfig {
  /** Minimum P(best) of the leader, in (0, 1]. */
  probBest: number;
  /** Maximum expected loss of the leader (absolute rate), ≥ 0. */
  expectedLoss: number;
  /** Minimum observations of every arm before any verdict; also the burn-in length. */
  minSamplesPerArm: number;
  /** Total observations after which the experiment stops without a winner. */
  maxSamples?: number;
  /** Maximum expected loss of the leader as a fraction of the baseline rate (e.g. 0.01 = 1% of it). */
  expectedLossRelative?: number;
  /** Half-width of the region of practical equivalence, a fraction of the baseline rate (0 turns the verdict off). */
  rope?: number;
  /** Posterior probability that every arm is within the region of the leader, for `no_meaningful_difference`. */
  probEquivalent?: number;
  /** The stated baseline rate; default: the posterior mean of the first arm. */
  baselineRate?: number;
}

/**
 * Defaults chosen by their simulated operating characteristics (docs/core.md): A/A false
 * winners ≤ 5% within 50k visitors, wrong winners ≤ 1% at a 10% lift on a 5% baseline.
 */
export const DEFAULT_STOPPING: Readonly<Required<Omit<StoppingConfig, 'maxSamples' | 'baselineRate'>>> = Object.freeze({
  probBest: 0.997,
  expectedLoss: 0.001,
  expectedLossRelative: 0.01,
  minSamplesPerArm: 1000,
  rope: 0.02,
  probEquivalent: 0.95,
});

/** The stopping rule as it was before its operating characteristics were measured (kept for comparison). */
export const LEGACY_STOPPING: StoppingConfig = Object.freeze({ probBest: 0.95, expectedLoss: 0.001, minSamplesPerArm: 100, rope: 0 });

export interface ArmState extends BetaPosterior {
  name: string;
  /** Observations of the arm (rewards counted: α + β − α₀ − β₀ for Bernoulli rewards), ≥ 0. */
  observations: number;
}

export type Verdict = 'winner' | 'no_meaningful_difference' | 'continue' | 'no_winner';

/** The rule's output: its verdict, the status it implies, and the numbers behind it. */
export interface StoppingVerdict {
  /** What the experiment's state means now (see the file comment). */
  verdict: Verdict;
  /** The verdict in plain words, one sentence. */
  reason: string;
  status: 'winner' | 'continue' | 'no_winner';
  winner?: number;
  winnerName?: string;
  leader: number;
  leaderName: string;
  probBest: number[];
  expectedLoss: number[];
  /** P(|θ_k − θ_leader| ≤ rope·baseline) per arm (1 for the leader); empty when the verdict was not reached for lack of samples or rope = 0. */
  probEquivalent: number[];
  /** The baseline rate the relative thresholds were taken of. */
  baselineRate: number;
  reasons: string[];
  thresholds: StoppingConfig;
  totalSamples: number;
}

/** Validates a stopping configuration (RangeError naming the field). */
export function assertStoppingConfig(config: StoppingConfig): void {
  if (config === null || typeof config !== 'object') throw new RangeError('stopping config must be an object');
  if (typeof config.probBest !== 'number' || !(config.probBest > 0 && config.probBest <= 1)) throw new RangeError(`probBest must be a number in (0, 1], got ${String(config.probBest)}`);
  assertInRange('expectedLoss', config.expectedLoss, 0, 1);
  assertInteger('minSamplesPerArm', config.minSamplesPerArm, 0);
  if (config.maxSamples !== undefined) assertInteger('maxSamples', config.maxSamples, 1);
  if (config.expectedLossRelative !== undefined) assertInRange('expectedLossRelative', config.expectedLossRelative, 0, 1e6);
  if (config.rope !== undefined) assertInRange('rope', config.rope, 0, 1e6);
  if (config.probEquivalent !== undefined && !(typeof config.probEquivalent === 'number' && config.probEquivalent > 0 && config.probEquivalent <= 1)) {
    throw new RangeError(`probEquivalent must be a number in (0, 1], got ${String(config.probEquivalent)}`);
  }
  if (config.baselineRate !== undefined && !(typeof config.baselineRate === 'number' && config.baselineRate > 0 && config.baselineRate < 1)) {
    throw new RangeError(`baselineRate must be a number in (0, 1), got ${String(config.baselineRate)}`);
  }
}

/** The thresholds in force: the optional fields filled from DEFAULT_STOPPING. */
export function resolveStopping(config: StoppingConfig): StoppingConfig & Required<Pick<StoppingConfig, 'expectedLossRelative' | 'rope' | 'probEquivalent'>> {
  return {
    ...config,
    expectedLossRelative: config.expectedLossRelative ?? DEFAULT_STOPPING.expectedLossRelative,
    rope: config.rope ?? DEFAULT_STOPPING.rope,
    probEquivalent: config.probEquivalent ?? DEFAULT_STOPPING.probEquivalent,
  };
}

/** Gap between the normal approximation and the threshold beyond which the exact equivalence integral is skipped. */
const EQUIVALENCE_MARGIN = 0.1;

/** The numbers a verdict is taken from (the lean part of the rule, shared with the simulator). */
export interface VerdictCore {
  verdict: Verdict;
  leader: number;
  baselineRate: number;
  /** P(|θ_k − θ_leader| ≤ δ); empty when not evaluated. */
  probEquivalent: number[];
  samplesOk: boolean;
  pOk: boolean;
  lossOk: boolean;
  lossThreshold: number;
  totalSamples: number;
}

/**
 * The verdict from posteriors and a precomputed P(best)/E[max] integration (no validation,
 * no text): what `evaluateStoppingRule` decides, for callers that evaluate it many times.
 */
export function stoppingVerdict(
  arms: readonly ArmState[],
  config: ReturnType<typeof resolveStopping>,
  pm: PosteriorMaxResult,
  exhausted = false,
): VerdictCore {
  const K = arms.length;
  const probBest = pm.probBest;
  let leader = 0;
  let totalSamples = 0;
  let samplesOk = true;
  for (let k = 0; k < K; k++) {
    const a = arms[k];
    totalSamples += a.observations;
    if (a.observations < config.minSamplesPerArm) samplesOk = false;
    if (k > 0) {
      const l = arms[leader];
      if (probBest[k] > probBest[leader] || (probBest[k] === probBest[leader] && a.alpha / (a.alpha + a.beta) > l.alpha / (l.alpha + l.beta))) leader = k;
    }
  }
  const baselineRate = config.baselineRate ?? arms[0].alpha / (arms[0].alpha + arms[0].beta);
  const L = arms[leader];
  const loss = pm.expectedMax - L.alpha / (L.alpha + L.beta);
  const lossThreshold = Math.min(config.expectedLoss, config.expectedLossRelative * baselineRate);
  const pOk = probBest[leader] >= config.probBest;
  const lossOk = Math.max(0, loss) <= lossThreshold;
  const probEquivalent: number[] = [];
  let verdict: Verdict = 'continue';
  if (samplesOk) {
    if (config.rope > 0 && K > 1) {
      const delta = config.rope * baselineRate;
      let all = true;
      for (let k = 0; k < K; k++) probEquivalent.push(k === leader ? 1 : probabilityWithinNormal(arms[k], L, delta));
      for (let k = 0; k < K; k++) {
        if (k === leader) continue;
        if (probEquivalent[k] >= config.probEquivalent - EQUIVALENCE_MARGIN) probEquivalent[k] = probabilityWithin(arms[k], L, delta);
        if (probEquivalent[k] < config.probEquivalent) all = false;
      }
      if (all) verdict = 'no_meaningful_difference';
    }
    if (verdict === 'continue' && pOk && lossOk) verdict = 'winner';
  }
  if (verdict === 'continue' && (exhausted || (config.maxSamples !== undefined && totalSamples >= config.maxSamples))) verdict = 'no_winner';
  return { verdict, leader, baselineRate, probEquivalent, samplesOk, pOk, lossOk, lossThreshold, totalSamples };
}

const fmt = (x: number) => (x === 0 ? '0' : Math.abs(x) >= 1e-3 ? x.toFixed(4) : x.toExponential(2));
const pct = (x: number) => {
  const v = 100 * x;
  if (v > 99.99) return 'over 99.99%';
  if (v > 0 && v < 0.01) return 'under 0.01%';
  return `${v >= 99.9 ? v.toFixed(2) : v >= 10 ? v.toFixed(1) : v.toPrecision(2)}%`;
};

/** Applies the stopping rule (see the file comment). */
export function evaluateStoppingRule(arms: readonly ArmState[], config: StoppingConfig, opts: { exhausted?: boolean } = {}): StoppingVerdict {
  assertArms(arms);
  assertStoppingConfig(config);
  arms.forEach((a, k) => assertInteger(`arms[${k}].observations`, a.observations, 0));
  const cfg = resolveStopping(config);
  const pm = integratePosteriorMax(arms);
  const core = stoppingVerdict(arms, cfg, pm, opts.exhausted === true);
  const { leader, baselineRate, verdict } = core;
  const probBest = pm.probBest.slice();
  const expectedLoss = lossFromExpectedMax(arms, pm.expectedMax);
  const leaderName = arms[leader].name;
  const reasons: string[] = [];

  const short = arms.filter((a) => a.observations < cfg.minSamplesPerArm);
  reasons.push(
    core.samplesOk
      ? `every arm has at least ${cfg.minSamplesPerArm} observations`
      : `minimum samples not met: ${short.map((a) => `${a.name} has ${a.observations}`).join(', ')} of ${cfg.minSamplesPerArm} observations required per arm`,
  );
  reasons.push(`P(best) of leader ${leaderName} is ${fmt(probBest[leader])} ${core.pOk ? '>=' : '<'} ${fmt(cfg.probBest)}`);
  reasons.push(
    `expected loss of leader ${leaderName} is ${fmt(expectedLoss[leader])} ${core.lossOk ? '<=' : '>'} ${fmt(core.lossThreshold)} (min of ${fmt(cfg.expectedLoss)} and ${fmt(cfg.expectedLossRelative)} × baseline ${fmt(baselineRate)})`,
  );
  if (core.probEquivalent.length > 1) {
    const worst = core.probEquivalent.reduce((m, p, k) => (k !== leader && (m < 0 || p < core.probEquivalent[m]) ? k : m), -1);
    reasons.push(
      `P(every arm within ±${fmt(cfg.rope * baselineRate)} of ${leaderName}) is at least ${fmt(core.probEquivalent[worst])} (${arms[worst].name}) ${verdict === 'no_meaningful_difference' ? '>=' : '<'} ${fmt(cfg.probEquivalent)}`,
    );
  }

  const capped = cfg.maxSamples !== undefined && core.totalSamples >= cfg.maxSamples;
  const ropeWords = `±${+(cfg.rope * 100).toPrecision(3)}% of the ${pct(baselineRate)} baseline rate`;
  let reason: string;
  if (verdict === 'winner') {
    reason = `${leaderName} is the winner: it is the best arm with probability ${pct(probBest[leader])}, and the rate expected to be lost by choosing it is ${pct(expectedLoss[leader] / baselineRate)} of the ${pct(baselineRate)} baseline.`;
    reasons.push(`winner: ${leaderName}`);
  } else if (verdict === 'no_meaningful_difference') {
    reason = `No meaningful difference: with probability ${pct(Math.min(...core.probEquivalent))} or more every arm's rate is within ${ropeWords} of ${leaderName}'s, so none is worth preferring.`;
    reasons.push('no meaningful difference: every arm is within the region of practical equivalence of the leader');
  } else if (!core.samplesOk) {
    const s = short[0];
    reason =
      verdict === 'no_winner'
        ? `No winner: the ${capped ? `maximum of ${cfg.maxSamples} samples` : 'maximum duration'} was reached before every arm had ${cfg.minSamplesPerArm} observations (${s.name} has ${s.observations}); ${leaderName} leads.`
        : `Keep going: every arm needs ${cfg.minSamplesPerArm} observations before a verdict, and ${s.name} has ${s.observations}.`;
  } else {
    const why = !core.pOk
      ? `${leaderName} leads but is the best arm with probability ${pct(probBest[leader])} (${pct(cfg.probBest)} needed), and the arms are not yet shown to be within ${ropeWords} of each other`
      : `${leaderName} is probably the best arm, but the rate expected to be lost by choosing it, ${fmt(expectedLoss[leader])}, is above the ${fmt(core.lossThreshold)} allowed`;
    reason =
      verdict === 'no_winner'
        ? `No winner: the ${capped ? `maximum of ${cfg.maxSamples} samples` : 'maximum duration'} was reached before the evidence was clear; ${why}.`
        : `Keep going: ${why}.`;
  }
  if (verdict === 'no_winner') {
    reasons.push(
      capped
        ? `maximum of ${cfg.maxSamples} samples reached (${core.totalSamples}) without a winner; best guess is ${leaderName}`
        : `maximum duration reached without a winner; best guess is ${leaderName}`,
    );
  }
  const status: StoppingVerdict['status'] = verdict === 'winner' ? 'winner' : verdict === 'continue' ? 'continue' : 'no_winner';
  return {
    verdict,
    reason,
    status,
    ...(verdict === 'winner' ? { winner: leader, winnerName: leaderName } : {}),
    leader,
    leaderName,
    probBest,
    expectedLoss,
    probEquivalent: core.probEquivalent,
    baselineRate,
    reasons,
    thresholds: { ...config },
    totalSamples: core.totalSamples,
  };
}

/** Default strength (pseudo-observations) of a prior centred on a stated baseline rate. */
export const DEFAULT_PRIOR_STRENGTH = 100;

/**
 * A weakly informative Beta prior centred on a baseline rate: Beta(r·n, (1−r)·n) with
 * n = max(strength, 1/r, 1/(1−r)), so both parameters are ≥ 1 (no spike at 0 or 1).
 */
export function baselinePrior(baselineRate: number, strength = DEFAULT_PRIOR_STRENGTH): BetaPosterior {
  if (!(typeof baselineRate === 'number' && baselineRate > 0 && baselineRate < 1)) throw new RangeError(`baselineRate must be a number in (0, 1), got ${String(baselineRate)}`);
  if (!(typeof strength === 'number' && strength > 0 && Number.isFinite(strength))) throw new RangeError(`strength must be a finite number > 0, got ${String(strength)}`);
  const n = Math.max(strength, 1 / baselineRate, 1 / (1 - baselineRate));
  return { alpha: baselineRate * n, beta: (1 - baselineRate) * n };
}
