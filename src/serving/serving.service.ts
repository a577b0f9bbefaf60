/**
 * The hot path: serve one arm of an experiment (select) and count one reward for a
 * served decision (reward). Reusable by every transport (HTTP, Seldon's router protocol).
 *
 * select: one round trip reads α, β and the status; the arm is drawn from the exact
 * allocation probabilities (Thompson: P(arm is best); top-two; after floors and caps;
 * after a winner, the serve-winner / exploration mix) of the posterior as of at most
 * `allocationRefreshMs` ago (see allocation-cache.ts), so the logged propensity is the
 * probability with which this arm was actually chosen. A second
 * round trip (one script) records the decision and its select event atomically.
 *
 * reward: one script checks and marks the decision and updates α, β and the event queue
 * atomically; a retry returns the first result with `duplicate: true`.
 */
import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { createRng, sampleCategorical, type Rng } from '../core';
import { BanditError, ErrorCode, invalidInput, notFound } from '../common/errors';
import { CLOCK, type ClockRepository } from '../clock/clock.repository';
import { CONFIG } from '../app/tokens';
import type { Config } from '../config/config';
import { EventConsumer } from '../event-store/event-consumer';
import { ExperimentsService, liveAllocation, type ServedExperiment } from '../experiments/experiment.service';
import { MetricsService } from '../metrics/metrics.service';
import { newDecisionToken, parseDecisionId } from '../posterior-store/decision-id';
import { encodeStatus, POSTERIOR_STORE, type PosteriorRead, type PosteriorStore, type SelectionOutcome } from '../posterior-store/posterior-store';
import { AllocationCache, type Allocation } from './allocation-cache';
import { unitIdProblem, type RewardResponse, type SelectResponse } from './serving.dto';

export interface SelectOptions {
  /** Transport label for metrics (default "http"). */
  source?: string;
  /**
   * The client's key for this request (a Seldon puid): every select with the same key
   * answers the one decision recorded for it (one pull, one select event), on any replica.
   */
  requestKey?: string;
}

export interface RewardOptions {
  source?: string;
}

@Injectable()
export class ServingService {
  private readonly rng: Rng;
  private readonly cache: AllocationCache;
  private readonly refreshing = new Set<string>();

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(POSTERIOR_STORE) private readonly store: PosteriorStore,
    @Inject(CLOCK) private readonly clock: ClockRepository,
    private readonly experiments: ExperimentsService,
    private readonly metrics: MetricsService,
    private readonly consumer: EventConsumer,
  ) {
    this.rng = createRng(clock.seed());
    this.cache = new AllocationCache(config.allocationRefreshMs);
  }

  async select(experimentId: string, unitId?: string, opts?: SelectOptions): Promise<SelectResponse> {
    // every transport (HTTP, Seldon tags) passes here: an id the event store would refuse never gets a decision
    const unitProblem = unitId === undefined ? null : unitIdProblem(unitId);
    if (unitProblem) throw invalidInput(`unit_id: ${unitProblem}`);
    const exp = this.experiments.servedIfFresh(experimentId) ?? (await this.experiments.served(experimentId));
    if (exp.stopped) throw stopped(experimentId);
    const sticky = exp.definition.sticky && unitId !== undefined;
    const source = opts?.source ?? 'http';
    const requestKey = opts?.requestKey;
    // holdout: this share of traffic is served uniformly at random over the arms in service and kept out of the posterior
    const holdout = exp.definition.holdout;
    if (holdout > 0 && !sticky && this.rng.nextFloat() < holdout) {
      const answer = await this.selectHoldout(exp, unitId, source, requestKey);
      if (answer) return answer;
    }
    // fast path, one round trip: draw from the current allocation, record if the status still holds
    let current = sticky ? undefined : this.cache.peek(experimentId);
    if (current?.status === 'stopped') throw stopped(experimentId);
    // computed for an earlier definition (arms added or retired, floors changed)
    if (current && current.generation !== exp.generation) current = undefined;
    // a pause ends by a resume on any replica: read the status again
    if (current?.status === 'paused') current = undefined;
    if (current) {
      if (this.cache.isStale(current, this.clock.now())) this.refreshInBackground(exp);
      const arm = sampleCategorical(current.probs, this.rng);
      const outcome = await this.record(exp, arm, current.probs[arm], unitId, false, current.status, requestKey);
      if (outcome.kind === 'recorded') return this.selected(exp, outcome, source);
      if (outcome.kind === 'stopped') throw stopped(experimentId);
      this.cache.forget(experimentId);
      if (outcome.kind === 'paused') return this.paused(exp);
    }
    // read the state, (re)compute the allocation, record
    let read = await this.readState(exp, sticky ? unitId : undefined);
    for (let attempt = 0; attempt < 3; attempt++) {
      if (read.status.status === 'stopped') throw stopped(experimentId);
      if (read.status.status === 'paused') return this.paused(exp);
      let arm: number;
      let propensity: number;
      let expected: string | undefined;
      if (read.sticky) {
        ({ arm, propensity } = read.sticky);
      } else {
        const alloc = this.allocation(exp, read);
        arm = sampleCategorical(alloc.probs, this.rng);
        propensity = alloc.probs[arm];
        expected = alloc.status;
      }
      const outcome = await this.record(exp, arm, propensity, unitId, sticky, expected, requestKey);
      switch (outcome.kind) {
        case 'recorded':
          return this.selected(exp, outcome, source);
        case 'sticky':
          read = { ...read, sticky: { arm: outcome.arm, propensity: outcome.propensity } };
          break;
        case 'stopped':
          throw stopped(experimentId);
        case 'paused':
          this.cache.forget(experimentId);
          return this.paused(exp);
        case 'status-changed':
        case 'missing':
          this.cache.forget(experimentId);
          // a counter the script needs is missing (evicted alone): the same rebuild as a missing marker
          if (outcome.kind === 'missing') await this.experiments.ensureState(exp.id);
          read = await this.readState(exp, sticky ? unitId : undefined);
          break;
      }
      if (read.sticky && read.sticky.arm >= exp.definition.arms.length) {
        throw new BanditError(ErrorCode.Internal, `unit ${JSON.stringify(unitId)} is assigned to an arm this experiment does not have`);
      }
    }
    throw new BanditError(ErrorCode.Unavailable, `could not record a decision for experiment ${JSON.stringify(experimentId)}; retry`);
  }

  private async record(
    exp: ServedExperiment,
    arm: number,
    propensity: number,
    unitId: string | undefined,
    sticky: boolean,
    expectedStatus: string | undefined,
    requestKey: string | undefined,
    holdout = false,
  ): Promise<SelectionOutcome & { decisionId: string }> {
    const token = newDecisionToken(arm);
    const decisionId = `${exp.id}.${token}`;
    const window = exp.definition.conversionWindowSeconds;
    const now = this.clock.now();
    const outcome = (await this.store.recordSelection({
      experimentId: exp.id,
      decisionId,
      token,
      arm,
      propensity,
      unitId,
      sticky,
      // a decision with a conversion window lives until well after its window closed
      ttlSeconds: window === null ? this.config.decisionTtlSeconds : Math.max(this.config.decisionTtlSeconds, window + 3600),
      windowDeadline: window === null ? undefined : now + window * 1000,
      at: now,
      expectedStatus,
      requestKey,
      holdout,
    })) as SelectionOutcome & { decisionId: string };
    // the store answers a fresh object: name the decision on it rather than copying it (a
    // replayed request key answers the decision recorded first)
    if (outcome.kind !== 'recorded' || outcome.decisionId === undefined) outcome.decisionId = decisionId;
    return outcome;
  }

  private selected(exp: ServedExperiment, outcome: { arm: number; propensity: number; decisionId: string }, source: string): SelectResponse {
    const arm = exp.definition.arms[outcome.arm];
    this.consumer.touch(exp.id);
    this.metrics.selected(exp.id, arm, source);
    return { decision_id: outcome.decisionId, experiment_id: exp.id, arm, arm_index: outcome.arm, propensity: outcome.propensity };
  }

  /** One holdout decision; null when the state must be read first (the normal path does that). */
  private async selectHoldout(exp: ServedExperiment, unitId: string | undefined, source: string, requestKey: string | undefined): Promise<SelectResponse | null> {
    const active = exp.definition.arms.map((_, k) => k).filter((k) => !exp.definition.retired.includes(k));
    const arm = active[Math.min(active.length - 1, Math.floor(this.rng.nextFloat() * active.length))];
    const outcome = await this.record(exp, arm, 1 / active.length, unitId, false, undefined, requestKey, true);
    if (outcome.kind === 'recorded') return { ...this.selected(exp, outcome, source), holdout: true };
    if (outcome.kind === 'stopped') throw stopped(exp.id);
    if (outcome.kind === 'paused') return this.paused(exp);
    return null;
  }

  /** A paused experiment serves its control (arm 0) and records nothing: no decision to reward. */
  private paused(exp: ServedExperiment): SelectResponse {
    return { decision_id: '', experiment_id: exp.id, arm: exp.definition.arms[0], arm_index: 0, propensity: 1, paused: true };
  }

  /** Re-reads α, β once (per experiment at a time) and refreshes the allocation off the request path. */
  private refreshInBackground(exp: ServedExperiment): void {
    if (this.refreshing.has(exp.id)) return;
    this.refreshing.add(exp.id);
    void this.store
      .readPosteriors(exp.id, exp.definition.arms.length)
      .then((read) => {
        // a stopped experiment has no allocation to serve from (every select answers 409)
        if (read && read.status.status !== 'stopped') this.allocation(exp, read);
        else this.cache.forget(exp.id);
      })
      .catch(() => this.cache.forget(exp.id))
      .finally(() => this.refreshing.delete(exp.id));
  }

  async reward(decisionId: string, reward: number, opts: RewardOptions = {}): Promise<RewardResponse> {
    if (!(reward >= 0 && reward <= 1)) throw new BanditError(ErrorCode.InvalidInput, `reward must be a number in [0, 1], got ${String(reward)}`);
    const parsed = parseDecisionId(decisionId);
    if (!parsed) throw unknownDecision(decisionId);
    let exp: ServedExperiment;
    try {
      exp = this.experiments.servedIfFresh(parsed.experimentId) ?? (await this.experiments.served(parsed.experimentId));
    } catch (err) {
      if (err instanceof BanditError && err.code === ErrorCode.NotFound) throw unknownDecision(decisionId);
      throw err;
    }
    if (parsed.arm >= exp.definition.arms.length) throw unknownDecision(decisionId);
    const at = this.clock.now();
    const record = { experimentId: parsed.experimentId, decisionId, token: parsed.token, arm: parsed.arm, reward, at, windowed: exp.definition.conversionWindowSeconds !== null };
    let outcome = await this.store.recordReward(record);
    if (outcome.kind === 'missing') {
      await this.experiments.ensureState(parsed.experimentId);
      outcome = await this.store.recordReward(record);
    }
    const base = { decision_id: decisionId, experiment_id: parsed.experimentId, arm: exp.definition.arms[parsed.arm], arm_index: parsed.arm };
    const source = opts.source ?? 'http';
    switch (outcome.kind) {
      case 'counted':
        this.consumer.touch(parsed.experimentId);
        this.metrics.rewarded(parsed.experimentId, base.arm, reward, source);
        this.experiments.noteReward(parsed.experimentId);
        return { ...base, reward, rewarded_at: new Date(at).toISOString(), duplicate: false };
      case 'duplicate':
        this.metrics.duplicateReward(parsed.experimentId, source);
        return { ...base, reward: outcome.reward, rewarded_at: new Date(outcome.at).toISOString(), duplicate: true };
      case 'unknown':
        throw unknownDecision(decisionId);
      case 'stopped':
        throw new BanditError(ErrorCode.Conflict, `experiment ${JSON.stringify(parsed.experimentId)} is stopped; rewards are no longer counted`);
      case 'window_closed':
        throw new BanditError(ErrorCode.WindowClosed, `the conversion window of decision ${JSON.stringify(decisionId)} closed; its default reward was counted and this reward changes nothing`);
      case 'missing':
        throw new BanditError(ErrorCode.Unavailable, `the live state of experiment ${JSON.stringify(parsed.experimentId)} is missing; retry`);
    }
  }

  /**
   * Counts a reward on an arm when no decision can be named (a transport knows only which arm
   * served, e.g. Seldon's routing injection): α += r, β += 1 − r once per `key` (the
   * feedback's idempotency key) while it is remembered (`decisionTtlSeconds`); the reward event
   * has no decision and propensity 0 (unknown), so off-policy evaluation leaves it out.
   */
  async rewardArm(experimentId: string, arm: number, reward: number, key: string, opts: RewardOptions = {}): Promise<RewardResponse> {
    if (!(reward >= 0 && reward <= 1)) throw new BanditError(ErrorCode.InvalidInput, `reward must be a number in [0, 1], got ${String(reward)}`);
    const exp = await this.experiments.served(experimentId);
    if (!Number.isInteger(arm) || arm < 0 || arm >= exp.definition.arms.length) {
      throw new BanditError(ErrorCode.InvalidInput, `arm ${arm} is not an arm of experiment ${JSON.stringify(experimentId)} (0..${exp.definition.arms.length - 1})`);
    }
    const token = createHash('sha256').update(key).digest('base64url').slice(0, 22);
    const at = this.clock.now();
    const record = { experimentId, token, eventId: `${experimentId}.feedback.${token}`, arm, reward, ttlSeconds: this.config.decisionTtlSeconds, at };
    let outcome = await this.store.recordArmReward(record);
    if (outcome.kind === 'missing') {
      await this.experiments.ensureState(experimentId);
      outcome = await this.store.recordArmReward(record);
    }
    const base = { decision_id: record.eventId, experiment_id: experimentId };
    const source = opts.source ?? 'http';
    switch (outcome.kind) {
      case 'counted':
        this.consumer.touch(experimentId);
        this.metrics.rewarded(experimentId, exp.definition.arms[arm], reward, source);
        this.experiments.noteReward(experimentId);
        return { ...base, arm: exp.definition.arms[arm], arm_index: arm, reward, rewarded_at: new Date(at).toISOString(), duplicate: false };
      case 'duplicate':
        this.metrics.duplicateReward(experimentId, source);
        return { ...base, arm: exp.definition.arms[outcome.arm] ?? '', arm_index: outcome.arm, reward: outcome.reward, rewarded_at: new Date(outcome.at).toISOString(), duplicate: true };
      case 'stopped':
        throw new BanditError(ErrorCode.Conflict, `experiment ${JSON.stringify(experimentId)} is stopped; rewards are no longer counted`);
      case 'missing':
        throw new BanditError(ErrorCode.Unavailable, `the live state of experiment ${JSON.stringify(experimentId)} is missing; retry`);
    }
  }

  /** Cache statistics of the allocation probabilities (metrics, benchmarks). */
  cacheStats(): { hits: number; misses: number } {
    return { hits: this.cache.hits, misses: this.cache.misses };
  }

  private async readState(exp: ServedExperiment, unitId: string | undefined): Promise<PosteriorRead> {
    const k = exp.definition.arms.length;
    let read = await this.store.readPosteriors(exp.id, k, unitId);
    if (!read) {
      await this.experiments.ensureState(exp.id);
      read = await this.store.readPosteriors(exp.id, k, unitId);
    }
    if (!read) throw new BanditError(ErrorCode.Unavailable, `the live state of experiment ${JSON.stringify(exp.id)} is missing and could not be rebuilt`);
    return read;
  }

  private allocation(exp: ServedExperiment, read: PosteriorRead): Allocation {
    return this.cache.resolve(exp.id, encodeStatus(read.status), read.alpha, read.beta, this.clock.now(), () => liveAllocation(exp.definition, read, read.status), exp.generation);
  }
}

function stopped(id: string): BanditError {
  return new BanditError(ErrorCode.Conflict, `experiment ${JSON.stringify(id)} is stopped; it serves no more decisions`);
}

function unknownDecision(id: string): BanditError {
  return notFound(`decision ${JSON.stringify(id.length > 140 ? `${id.slice(0, 140)}…` : id)} is unknown or expired`);
}
