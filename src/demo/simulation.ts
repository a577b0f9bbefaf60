/**
 * The demo experiment: simulated visitors arrive one at a time, the bandit serves an arm,
 * the visitor clicks with that arm's true (hidden) rate, the bandit learns. Every
 * `checkEvery` visitors the stopping rule is evaluated on the bandit's state; the run
 * ends at a winner, or with no winner at `maxSamples`.
 *
 * Talks to the bandit only through `BanditClient`, so the same simulation can run against
 * the in-process core or the HTTP service. The visitors' clicks come from their own
 * random stream, so the same seeds give the same run.
 *
 * Regret is the expected (pseudo-)regret: Σ over visitors of (best true rate − true rate
 * of the arm served), i.e. expected clicks lost to exploration.
 */
import { evaluateStoppingRule, type Rng, type StoppingConfig, type StoppingVerdict } from '../core';
import type { BanditClient, DemoArm } from './bandit-client';

export interface TrueArm {
  name: string;
  /** True click rate, in [0, 1]. */
  rate: number;
}

export interface SimulationOptions {
  client: BanditClient;
  arms: readonly TrueArm[];
  /** Visitor randomness (clicks). */
  rng: Rng;
  stopping: StoppingConfig;
  /** Stop without a winner after this many visitors. */
  maxSamples: number;
  /** Evaluate the stopping rule every this many visitors (default 100). */
  checkEvery?: number;
  /**
   * Visitors report clicks only (the experiment has a conversion window that counts the
   * others as 0 when it closes); at the end the run waits for the last windows to close.
   */
  onlyClicks?: boolean;
  /** Called after every stopping-rule check. */
  onCheck?: (samples: number, verdict: StoppingVerdict) => void;
}

export interface SimulationResult {
  samples: number;
  clicks: number;
  verdict: StoppingVerdict;
  state: DemoArm[];
  /** Cumulative expected regret after each visitor (index t = after t+1 visitors). */
  regret: Float64Array;
  /** Expected regret of an equal split over the arms after t visitors: t·(max rate − mean rate). */
  equalSplitRegretPerVisitor: number;
}

export async function runSimulation(o: SimulationOptions): Promise<SimulationResult> {
  const rates = new Map(o.arms.map((a) => [a.name, a.rate]));
  const best = Math.max(...o.arms.map((a) => a.rate));
  const meanRate = o.arms.reduce((s, a) => s + a.rate, 0) / o.arms.length;
  const checkEvery = o.checkEvery ?? 100;
  const stopping = { ...o.stopping, maxSamples: o.maxSamples };
  const regret = new Float64Array(o.maxSamples);
  let cumulative = 0;
  let clicks = 0;
  let samples = 0;
  let verdict: StoppingVerdict | undefined;
  while (samples < o.maxSamples) {
    const sel = await o.client.select();
    const rate = rates.get(sel.arm);
    if (rate === undefined) throw new Error(`the bandit served an unknown arm '${sel.arm}'`);
    const click = o.rng.nextFloat() < rate ? 1 : 0;
    clicks += click;
    if (click === 1 || !o.onlyClicks) await o.client.reward(sel.decisionId, click);
    cumulative += best - rate;
    regret[samples] = cumulative;
    samples++;
    if (samples % checkEvery === 0 || samples === o.maxSamples) {
      verdict = evaluateStoppingRule(await o.client.state(), stopping);
      o.onCheck?.(samples, verdict);
      if (verdict.status !== 'continue') break;
    }
  }
  if (o.onlyClicks) await o.client.settle?.();
  const state = await o.client.state();
  verdict ??= evaluateStoppingRule(state, stopping);
  return { samples, clicks, verdict, state, regret: regret.slice(0, samples), equalSplitRegretPerVisitor: best - meanRate };
}
