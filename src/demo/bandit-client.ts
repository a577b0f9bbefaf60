/**
 * The demo's view of a bandit: select an arm, report a reward, read the state. The
 * in-process implementation runs the core directly; an HTTP implementation can drive the
 * service with the same simulation (see simulation.ts).
 */
import { allocationProbabilities, createRng, sampleCategorical, type AllocationPolicy, type ArmState, type Rng } from '../core';

export interface Selection {
  decisionId: string;
  /** Name of the arm served. */
  arm: string;
  /** Exact probability that this arm was served, given the posteriors at that moment. */
  propensity: number;
}

/** An arm as the demo sees it: the stopping rule's state (with its observations) and how often it was served. */
export interface DemoArm extends ArmState {
  /** Times the arm was served (its assignments). */
  assignments: number;
}

export interface BanditClient {
  select(): Promise<Selection>;
  /** Reward of a served assignment: 1 = click / conversion, 0 = none. */
  reward(decisionId: string, r: number): Promise<void>;
  state(): Promise<DemoArm[]>;
  /** Waits until every open conversion window closed (only a bandit with windows has any). */
  settle?(): Promise<void>;
}

export interface InProcessOptions {
  /** Beta prior for every arm (default 1, 1: uniform). */
  priorAlpha?: number;
  priorBeta?: number;
  policy?: AllocationPolicy;
  /** Randomness of the selection (the policy's own draws). */
  rng?: Rng;
}

/**
 * A bandit held in memory: Beta posteriors per arm, served by sampling from the exact
 * allocation probabilities of the policy (Thompson: P(best) per arm), so every assignment
 * carries its exact propensity. Rewards update the posterior of the assignment's arm once;
 * unknown or repeated decision ids are rejected.
 */
export class InProcessBanditClient implements BanditClient {
  private readonly arms: DemoArm[];
  private readonly pending = new Map<string, number>();
  private readonly policy: AllocationPolicy;
  private readonly rng: Rng;
  private next = 0;
  private readonly prior: { alpha: number; beta: number };

  constructor(names: readonly string[], opts: InProcessOptions = {}) {
    const alpha = opts.priorAlpha ?? 1;
    const beta = opts.priorBeta ?? 1;
    this.prior = { alpha, beta };
    this.arms = names.map((name) => ({ name, alpha, beta, assignments: 0, observations: 0 }));
    this.policy = opts.policy ?? { algorithm: 'thompson' };
    this.rng = opts.rng ?? createRng('in-process');
  }

  async select(): Promise<Selection> {
    // observations per arm (rewards counted), for the policy's burn-in
    const observations = this.arms.map((a) => Math.round(a.alpha + a.beta - this.prior.alpha - this.prior.beta));
    const probs = allocationProbabilities(this.arms, this.policy, observations);
    const k = sampleCategorical(probs, this.rng);
    this.arms[k].assignments++;
    const decisionId = `d${++this.next}`;
    this.pending.set(decisionId, k);
    return { decisionId, arm: this.arms[k].name, propensity: probs[k] };
  }

  async reward(decisionId: string, r: number): Promise<void> {
    const k = this.pending.get(decisionId);
    if (k === undefined) throw new Error(`unknown or already rewarded decision ${decisionId}`);
    if (!(r >= 0 && r <= 1)) throw new RangeError(`reward must be in [0, 1], got ${r}`);
    this.pending.delete(decisionId);
    this.arms[k].alpha += r;
    this.arms[k].beta += 1 - r;
    this.arms[k].observations++;
  }

  async state(): Promise<DemoArm[]> {
    return this.arms.map((a) => ({ ...a }));
  }
}
