/**
 * Operating characteristics of the stopping rule, by simulation of the rule as the
 * service runs it: Bernoulli arms with known rates; Thompson or top-two allocation with
 * burn-in, floors and caps, refreshed every `batch` visitors (the service serves from an
 * allocation computed on the posterior of a moment ago); every reward updates the
 * posterior at once; the rule (`stoppingVerdict`, the same function the service's
 * `evaluateStoppingRule` decides with) is evaluated after every `checkEvery` visitors —
 * continuous monitoring — until a verdict or `maxVisitors`.
 *
 * Scenarios: `aa` (every arm at the baseline rate: any winner is a false winner) and
 * `lift` (the last arm at baseline × (1 + minLift): a winner other than it is a wrong
 * winner). Each run has its own random stream, `${seed}:${scenario}:${run}`, so runs are
 * reproducible one by one, can be split over threads in any way, and two configurations
 * are compared on the same visitors (common random numbers).
 *
 * Cost per run: one P(best) integration per batch after burn-in (O(K) for separated arms,
 * ~30 µs at K = 2) plus two uniform draws per visitor.
 *
 * @example
 *   const plan = designPlan({ baselineRate: 0.05, minLift: 0.1 });
 *   const r = simulateRuns(plan, 'aa', 'seed', 0, 200);
 *   summarizeRuns(plan, 'aa', r).falseWinnerRate;
 */
import { integratePosteriorMax, type PosteriorMaxResult } from '../posterior-max';
import { createRng } from '../rng';
import { assertStoppingConfig, baselinePrior, DEFAULT_STOPPING, resolveStopping, stoppingVerdict, type ArmState, type StoppingConfig, type Verdict } from '../stopping-rule';
import { applyPolicy, burnInAllocation, sampleCategorical, type AllocationPolicy } from '../thompson';
import type { BetaPosterior } from '../types';
import { assertInRange, assertInteger } from '../validate';

export type ScenarioKind = 'aa' | 'lift';

export interface DesignPlan {
  /** The control's (and, in A/A, every arm's) rate, in (0, 1). */
  baselineRate: number;
  /** Number of arms, ≥ 2. */
  arms: number;
  /** The smallest relative lift that matters (0.1 = +10%). */
  minLift: number;
  stopping: StoppingConfig;
  /** Allocation; its burn-in defaults to the rule's minimum sample. */
  policy: AllocationPolicy;
  /** Prior of every arm (default: centred on the baseline rate, `baselinePrior`). */
  prior: BetaPosterior;
  /** Visitors after which a run ends without a verdict. */
  maxVisitors: number;
  /** Visitors served from one allocation before it is recomputed. */
  batch: number;
  /** The rule is evaluated whenever this many more visitors have been served. */
  checkEvery: number;
  /** Whether the rule is told the baseline rate (else it uses the control's posterior mean). */
  statedBaseline: boolean;
}

export const DEFAULT_DESIGN = Object.freeze({ baselineRate: 0.05, arms: 2, minLift: 0.1, maxVisitors: 50_000, batch: 100, checkEvery: 100, statedBaseline: true });

/** A complete plan from partial input (defaults: DEFAULT_DESIGN, DEFAULT_STOPPING, Thompson). Validates. */
export function designPlan(p: Partial<DesignPlan> = {}): DesignPlan {
  const baselineRate = p.baselineRate ?? DEFAULT_DESIGN.baselineRate;
  if (!(typeof baselineRate === 'number' && baselineRate > 0 && baselineRate < 1)) throw new RangeError(`baselineRate must be a number in (0, 1), got ${String(baselineRate)}`);
  const minLift = p.minLift ?? DEFAULT_DESIGN.minLift;
  if (!(typeof minLift === 'number' && minLift > 0 && baselineRate * (1 + minLift) < 1)) throw new RangeError(`minLift must be a number > 0 with baselineRate × (1 + minLift) < 1, got ${String(minLift)}`);
  const arms = p.arms ?? DEFAULT_DESIGN.arms;
  assertInteger('arms', arms, 2);
  if (arms > 100) throw new RangeError(`arms must be at most 100, got ${arms}`);
  const stopping: StoppingConfig = { ...(p.stopping ?? DEFAULT_STOPPING) };
  delete stopping.maxSamples;
  assertStoppingConfig(stopping);
  const policy: AllocationPolicy = { algorithm: 'thompson', ...p.policy };
  policy.burnIn ??= stopping.minSamplesPerArm;
  const plan: DesignPlan = {
    baselineRate,
    arms,
    minLift,
    stopping,
    policy,
    prior: p.prior ?? baselinePrior(baselineRate),
    maxVisitors: p.maxVisitors ?? DEFAULT_DESIGN.maxVisitors,
    batch: p.batch ?? DEFAULT_DESIGN.batch,
    checkEvery: p.checkEvery ?? DEFAULT_DESIGN.checkEvery,
    statedBaseline: p.statedBaseline ?? DEFAULT_DESIGN.statedBaseline,
  };
  assertInteger('maxVisitors', plan.maxVisitors, 1);
  assertInteger('batch', plan.batch, 1);
  assertInteger('checkEvery', plan.checkEvery, 1);
  assertInRange('prior.alpha', plan.prior.alpha, 1e-3, 1e9);
  assertInRange('prior.beta', plan.prior.beta, 1e-3, 1e9);
  applyPolicy(new Array<number>(arms).fill(1 / arms), policy); // validates algorithm, β, floors, caps
  return plan;
}

/** True rates of a scenario: all at the baseline, or the last arm lifted. */
export function scenarioRates(plan: DesignPlan, kind: ScenarioKind): number[] {
  const r = new Array<number>(plan.arms).fill(plan.baselineRate);
  if (kind === 'lift') r[plan.arms - 1] = plan.baselineRate * (1 + plan.minLift);
  return r;
}

export interface RunResult {
  verdict: Verdict;
  /** Index of the declared winner, or −1. */
  winner: number;
  /** Visitors served until the verdict (or the horizon). */
  visitors: number;
  /** Expected clicks lost until then: Σ (best rate − rate served). */
  regret: number;
  /** Whether every arm had reached the minimum sample (the burn-in was over). */
  minimumMet: boolean;
}

/** One simulated experiment (see the file comment). */
export function simulateRun(plan: DesignPlan, rates: readonly number[], seed: string): RunResult {
  const rng = createRng(seed);
  const K = plan.arms;
  const cfg = resolveStopping(plan.statedBaseline ? { ...plan.stopping, baselineRate: plan.baselineRate } : plan.stopping);
  const arms: ArmState[] = Array.from({ length: K }, (_, k) => ({ name: String(k), alpha: plan.prior.alpha, beta: plan.prior.beta, observations: 0 }));
  const obs = new Array<number>(K).fill(0);
  const best = Math.max(...rates);
  let regret = 0;
  let t = 0;
  let pm: PosteriorMaxResult | null = null;
  let nextCheck = plan.checkEvery;
  while (t < plan.maxVisitors) {
    const probs = burnInAllocation(K, plan.policy, obs) ?? applyPolicy((pm ?? integratePosteriorMax(arms)).probBest, plan.policy);
    const n = Math.min(plan.batch, plan.maxVisitors - t);
    for (let i = 0; i < n; i++) {
      const k = sampleCategorical(probs, rng);
      if (rng.nextFloat() < rates[k]) arms[k].alpha += 1;
      else arms[k].beta += 1;
      arms[k].observations++;
      obs[k]++;
      regret += best - rates[k];
    }
    t += n;
    pm = null;
    const end = t >= plan.maxVisitors;
    if (t >= nextCheck || end) {
      while (nextCheck <= t) nextCheck += plan.checkEvery;
      if (!obs.every((o) => o >= cfg.minSamplesPerArm)) {
        if (end) return { verdict: 'no_winner', winner: -1, visitors: t, regret, minimumMet: false };
        continue;
      }
      pm = integratePosteriorMax(arms);
      const v = stoppingVerdict(arms, cfg, pm, end);
      if (v.verdict !== 'continue') return { verdict: v.verdict, winner: v.verdict === 'winner' ? v.leader : -1, visitors: t, regret, minimumMet: true };
    }
  }
  return { verdict: 'no_winner', winner: -1, visitors: t, regret, minimumMet: obs.every((o) => o >= cfg.minSamplesPerArm) };
}

/** Runs `from` … `to − 1` of a scenario (a slice, so threads can share the work). */
export function simulateRuns(plan: DesignPlan, kind: ScenarioKind, seed: string, from: number, to: number, onRun?: (done: number) => void): RunResult[] {
  const rates = scenarioRates(plan, kind);
  const out: RunResult[] = [];
  for (let r = from; r < to; r++) {
    out.push(simulateRun(plan, rates, `${seed}:${kind}:${r}`));
    onRun?.(out.length);
  }
  return out;
}

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

export interface ScenarioSummary {
  scenario: ScenarioKind;
  rates: number[];
  runs: number;
  /** Runs ending with each verdict (no_winner = the horizon was reached). */
  verdicts: Record<Exclude<Verdict, 'continue'>, number>;
  /** A/A: share of runs naming any winner. Lift: share naming the lifted arm (power). */
  winnerRate: number;
  /** A/A: false winners (= winnerRate). Lift: winners other than the lifted arm. */
  falseWinnerRate: number;
  /** Visitors to a verdict over all runs, a run without one counted at the horizon. */
  visitors: { median: number | null; p90: number | null };
  /** Visitors to a correct winner (lift), over the runs that reached one. */
  visitorsToCorrectWinner: { median: number | null; p90: number | null };
  /** Mean expected clicks lost until the verdict. */
  meanRegret: number;
  /** Runs that ended with an arm below the minimum sample (the rule could not have concluded). */
  stalled: number;
  /** Share of runs that had named the correct (lift) / a wrong or false winner by x visitors, on 50 points. */
  byVisitors: { x: number[]; correct: number[]; wrong: number[] };
}

/** Counts and quantiles of a scenario's runs. */
export function summarizeRuns(plan: DesignPlan, kind: ScenarioKind, runs: readonly RunResult[]): ScenarioSummary {
  const rates = scenarioRates(plan, kind);
  const correct = kind === 'lift' ? plan.arms - 1 : -2;
  const verdicts = { winner: 0, no_meaningful_difference: 0, no_winner: 0 };
  let wrong = 0;
  let right = 0;
  let regret = 0;
  let stalled = 0;
  const all: number[] = [];
  const toCorrect: number[] = [];
  for (const r of runs) {
    if (r.verdict !== 'continue') verdicts[r.verdict]++;
    if (r.winner >= 0) {
      if (r.winner === correct) {
        right++;
        toCorrect.push(r.visitors);
      } else wrong++;
    }
    all.push(r.visitors);
    regret += r.regret;
    if (!r.minimumMet) stalled++;
  }
  all.sort((a, b) => a - b);
  toCorrect.sort((a, b) => a - b);
  const n = Math.max(1, runs.length);
  const x = Array.from({ length: 51 }, (_, i) => Math.round((plan.maxVisitors * i) / 50));
  const share = (pick: (r: RunResult) => boolean) => x.map((v) => runs.filter((r) => pick(r) && r.visitors <= v).length / n);
  return {
    scenario: kind,
    rates,
    runs: runs.length,
    verdicts,
    winnerRate: kind === 'aa' ? wrong / n : right / n,
    falseWinnerRate: wrong / n,
    visitors: { median: quantile(all, 0.5), p90: quantile(all, 0.9) },
    visitorsToCorrectWinner: { median: quantile(toCorrect, 0.5), p90: quantile(toCorrect, 0.9) },
    meanRegret: regret / n,
    stalled,
    byVisitors: { x, correct: share((r) => r.winner >= 0 && r.winner === correct), wrong: share((r) => r.winner >= 0 && r.winner !== correct) },
  };
}
