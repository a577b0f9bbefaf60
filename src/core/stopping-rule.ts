/**
 * The stopping rule: when to declare a winner, from posteriors alone (no p-values).
 *
 * With the leader L = the arm with the highest P(best) (ties: the higher posterior mean,
 * then the lower index), the experiment has a winner when all hold:
 *   1. every arm has at least `minSamplesPerArm` pulls;
 *   2. P(best)_L ≥ `probBest` (default 0.95);
 *   3. expected loss of L, E[max θ − θ_L] ≤ `expectedLoss` (default 0.001, absolute rate).
 * Otherwise it continues — unless `maxSamples` total pulls are reached or the caller
 * says the experiment is `exhausted` (its maximum duration has passed): then the status
 * is `no_winner` and the leader is reported as the best guess. Every decision carries the
 * numbers behind it and a human-readable reason per check.
 *
 * Expected loss alone can stop on arms that are practically equal (the "good enough"
 * rule of Scott 2015); P(best) alone can stop on a tiny difference with huge samples;
 * requiring both is the conservative choice.
 *
 * Complexity: one P(best)/expected-loss integration, O(K²) worst case.
 *
 * @example
 *   evaluateStoppingRule(arms, DEFAULT_STOPPING).status; // 'continue' | 'winner' | 'no_winner'
 */
import { probabilityOfBestAndExpectedLoss } from './expected-loss';
import type { BetaPosterior } from './types';
import { assertArms, assertInRange, assertInteger } from './validate';

export interface StoppingConfig {
  /** Minimum P(best) of the leader, in (0, 1]. */
  probBest: number;
  /** Maximum expected loss of the leader (absolute rate), ≥ 0. */
  expectedLoss: number;
  /** Minimum pulls of every arm before a winner may be declared. */
  minSamplesPerArm: number;
  /** Total pulls after which the experiment stops without a winner. */
  maxSamples?: number;
}

export const DEFAULT_STOPPING: StoppingConfig = Object.freeze({ probBest: 0.95, expectedLoss: 0.001, minSamplesPerArm: 100 });

export interface ArmState extends BetaPosterior {
  name: string;
  /** Times the arm was served (decisions), ≥ 0. */
  pulls: number;
}

export interface StoppingDecision {
  status: 'winner' | 'continue' | 'no_winner';
  winner?: number;
  winnerName?: string;
  leader: number;
  leaderName: string;
  probBest: number[];
  expectedLoss: number[];
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
}

const fmt = (x: number) => (x === 0 ? '0' : Math.abs(x) >= 1e-3 ? x.toFixed(4) : x.toExponential(2));

/** Applies the stopping rule (see the file comment). */
export function evaluateStoppingRule(arms: readonly ArmState[], config: StoppingConfig, opts: { exhausted?: boolean } = {}): StoppingDecision {
  assertArms(arms);
  assertStoppingConfig(config);
  arms.forEach((a, k) => assertInteger(`arms[${k}].pulls`, a.pulls, 0));
  const { probBest, expectedLoss } = probabilityOfBestAndExpectedLoss(arms);
  const mean = (k: number) => arms[k].alpha / (arms[k].alpha + arms[k].beta);
  let leader = 0;
  for (let k = 1; k < arms.length; k++) {
    if (probBest[k] > probBest[leader] || (probBest[k] === probBest[leader] && mean(k) > mean(leader))) leader = k;
  }
  const totalSamples = arms.reduce((s, a) => s + a.pulls, 0);
  const reasons: string[] = [];
  const leaderName = arms[leader].name;

  const short = arms.filter((a) => a.pulls < config.minSamplesPerArm);
  const samplesOk = short.length === 0;
  reasons.push(
    samplesOk
      ? `every arm has at least ${config.minSamplesPerArm} pulls`
      : `minimum samples not met: ${short.map((a) => `${a.name} has ${a.pulls}`).join(', ')} of ${config.minSamplesPerArm} required per arm`,
  );
  const pOk = probBest[leader] >= config.probBest;
  reasons.push(`P(best) of leader ${leaderName} is ${fmt(probBest[leader])} ${pOk ? '>=' : '<'} ${fmt(config.probBest)}`);
  const lossOk = expectedLoss[leader] <= config.expectedLoss;
  reasons.push(`expected loss of leader ${leaderName} is ${fmt(expectedLoss[leader])} ${lossOk ? '<=' : '>'} ${fmt(config.expectedLoss)}`);

  const base = { leader, leaderName, probBest, expectedLoss, thresholds: { ...config }, totalSamples };
  if (samplesOk && pOk && lossOk) {
    reasons.push(`winner: ${leaderName}`);
    return { status: 'winner', winner: leader, winnerName: leaderName, reasons, ...base };
  }
  const capped = config.maxSamples !== undefined && totalSamples >= config.maxSamples;
  if (capped || opts.exhausted) {
    reasons.push(
      capped
        ? `maximum of ${config.maxSamples} samples reached (${totalSamples}) without a winner; best guess is ${leaderName}`
        : `maximum duration reached without a winner; best guess is ${leaderName}`,
    );
    return { status: 'no_winner', reasons, ...base };
  }
  return { status: 'continue', reasons, ...base };
}
