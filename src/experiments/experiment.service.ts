/**
 * Experiments: definitions, status, the stopping rule (on demand and automatically as
 * rewards arrive), posterior snapshots, and rebuilding an experiment's live state from
 * its events when the posterior store lost it.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  allocationProbabilities,
  DEFAULT_STOPPING,
  evaluateStoppingRule,
  summarizeArms,
  type AllocationPolicy,
  type ArmState,
  type StoppingDecision,
} from '../core';
import { BanditError, ErrorCode, notFound } from '../common/errors';
import { CLOCK, type ClockRepository } from '../clock/clock.repository';
import { CONFIG } from '../app/tokens';
import type { Config } from '../config/config';
import type { DecisionRow, PosteriorSnapshotRow } from '../events/entities';
import { EventRepository } from '../events/event.repository';
import { EventConsumer } from '../events/event-consumer';
import { POSTERIOR_STORE, priorCounters, type ArmCounters, type PosteriorStore, type StoredStatus } from '../state/posterior-store';
import {
  createExperimentSchema,
  formatZodError,
  normalizeDefinition,
  type ArmView,
  type CreateExperimentRequest,
  type DecisionRecord,
  type ExperimentDefinition,
  type ExperimentView,
} from './experiment.dto';
import { ExperimentRepository, type StoredExperiment } from './experiment.repository';

export type DecisionTrigger = 'manual' | 'auto' | 'max_duration';

/** How long an unknown experiment id answers 404 without asking the event store again. */
const NEGATIVE_TTL_MS = 1000;
/** Bound of the unknown-id memory (cleared when full). */
const NEGATIVE_MAX = 10_000;

/** What the hot path needs of an experiment; definitions never change after creation. */
export interface ServedExperiment {
  id: string;
  definition: ExperimentDefinition;
  policy: AllocationPolicy;
  createdAt: number;
  /** Known to be stopped (by this process, or by the status sweep): never served again. */
  stopped?: boolean;
}

export interface RebuildReport {
  experimentId: string;
  selects: number;
  rewards: number;
  alpha: number[];
  beta: number[];
  wrote: boolean;
}

@Injectable()
export class ExperimentsService {
  private readonly log = new Logger('Experiments');
  private readonly servedCache = new Map<string, ServedExperiment>();
  private readonly rebuilding = new Map<string, Promise<RebuildReport>>();
  private readonly lastEvaluation = new Map<string, number>();
  private readonly evaluating = new Set<string>();
  private readonly lastSnapshotKey = new Map<string, string>();
  /** Ids looked up and not found, with when (see served). */
  private readonly unknownIds = new Map<string, number>();
  private readonly lookups = new Map<string, Promise<StoredExperiment | null>>();
  /** Stopped experiments (the status is final, so this only grows). */
  private readonly stoppedIds = new Set<string>();
  /** Stops whose live status could not be written yet. */
  private readonly unrepaired = new Set<string>();

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(POSTERIOR_STORE) private readonly store: PosteriorStore,
    @Inject(CLOCK) private readonly clock: ClockRepository,
    private readonly experiments: ExperimentRepository,
    private readonly events: EventRepository,
    private readonly consumer: EventConsumer,
  ) {}

  /** Validates and creates an experiment (409 when the id exists). */
  async create(body: unknown): Promise<ExperimentView> {
    const parsed = createExperimentSchema.safeParse(body);
    if (!parsed.success) throw new BanditError(ErrorCode.InvalidInput, formatZodError(parsed.error));
    return this.createFrom(parsed.data);
  }

  async createFrom(req: CreateExperimentRequest): Promise<ExperimentView> {
    const definition = normalizeDefinition(req, DEFAULT_STOPPING);
    if (typeof definition === 'string') throw new BanditError(ErrorCode.InvalidInput, definition);
    assertServable(definition);
    const now = new Date(this.clock.now());
    const stored: StoredExperiment = { id: req.id, definition, status: 'running', winnerIndex: null, createdAt: now, updatedAt: now };
    if (!(await this.experiments.insert(stored))) throw new BanditError(ErrorCode.AlreadyExists, `experiment ${JSON.stringify(req.id)} already exists`);
    this.unknownIds.delete(req.id);
    // leftovers of an experiment of the same id whose definition was deleted are replaced
    await this.store.writeState(req.id, priorCounters(definition.prior), { status: 'running', winner: null }, 'reset');
    return this.view(stored);
  }

  async list(): Promise<ExperimentView[]> {
    const all = await this.experiments.list();
    return Promise.all(all.map((e) => this.view(e)));
  }

  async get(id: string): Promise<ExperimentView> {
    return this.view(await this.stored(id));
  }

  /**
   * The definition the hot path serves with (cached; 404 when unknown). An unknown id is
   * remembered for NEGATIVE_TTL_MS and concurrent lookups of one id share one query, so a
   * flood of requests for experiments that do not exist cannot fill the database pool.
   */
  async served(id: string): Promise<ServedExperiment> {
    const hit = this.servedCache.get(id);
    if (hit) return hit;
    const missAt = this.unknownIds.get(id);
    if (missAt !== undefined && Date.now() - missAt < NEGATIVE_TTL_MS) throw notFound(`experiment ${JSON.stringify(id)} does not exist`);
    let lookup = this.lookups.get(id);
    if (!lookup) {
      lookup = this.experiments.find(id).finally(() => this.lookups.delete(id));
      this.lookups.set(id, lookup);
    }
    const e = await lookup;
    if (!e) {
      if (this.unknownIds.size >= NEGATIVE_MAX) this.unknownIds.clear();
      this.unknownIds.set(id, Date.now());
      throw notFound(`experiment ${JSON.stringify(id)} does not exist`);
    }
    const cached = this.servedCache.get(id);
    if (cached) return cached;
    const s: ServedExperiment = { id, definition: e.definition, policy: policyOf(e.definition), createdAt: e.createdAt.getTime() };
    if (e.status === 'stopped' || this.stoppedIds.has(id)) s.stopped = true;
    this.servedCache.set(id, s);
    return s;
  }

  /** Evaluates the stopping rule now and records the decision. */
  async conclude(id: string): Promise<{ decision: DecisionRecord; experiment: ExperimentView }> {
    const e = await this.stored(id);
    if (e.status === 'stopped') throw new BanditError(ErrorCode.Conflict, `experiment ${JSON.stringify(id)} is stopped`);
    if (e.status === 'concluded') {
      const name = e.winnerIndex === null ? 'no winner' : `winner ${JSON.stringify(e.definition.arms[e.winnerIndex])}`;
      throw new BanditError(ErrorCode.Conflict, `experiment ${JSON.stringify(id)} is already concluded (${name})`);
    }
    const decision = await this.evaluate(e, 'manual');
    return { decision, experiment: await this.view(await this.stored(id)) };
  }

  /**
   * Stops an experiment: select and reward answer 409 from now on. Idempotent, and final:
   * it wins over a conclusion that lands at the same time. Every call (also a retry of a
   * stop that reached only Postgres) writes the live status, so a half that failed is
   * repaired; until then this process refuses to serve it, and the status sweep repairs
   * it in the background.
   */
  async stop(id: string): Promise<ExperimentView> {
    const e = await this.stored(id);
    await this.experiments.transition(id, 'stopped', ['running', 'concluded'], new Date(this.clock.now()));
    this.markStopped(id);
    try {
      await this.setLiveStatus(e, { status: 'stopped', winner: null });
    } catch (err) {
      this.unrepaired.add(id);
      throw err;
    }
    this.unrepaired.delete(id);
    return this.get(id);
  }

  /**
   * Status sweep (every few seconds): writes the live status of every concluded or stopped
   * experiment again (a no-op when it already holds: the live status only moves forward),
   * repairing a change whose Redis half failed — also one made by another replica — and
   * marks stopped experiments in this process's cache of served definitions.
   */
  async repairStatuses(): Promise<number> {
    let repaired = 0;
    for (const e of await this.experiments.list()) {
      if (e.status === 'running') continue;
      if (e.status === 'stopped') this.markStopped(e.id);
      await this.setLiveStatus(e, { status: e.status, winner: e.status === 'concluded' ? e.winnerIndex : null });
      if (this.unrepaired.delete(e.id)) repaired++;
    }
    return repaired;
  }

  private markStopped(id: string): void {
    const hit = this.servedCache.get(id);
    if (hit) hit.stopped = true;
    this.stoppedIds.add(id);
  }

  /**
   * Called after each counted reward: evaluates the stopping rule at most once per
   * `autoConcludeIntervalMs` per experiment in this process, off the request path.
   */
  noteReward(id: string): void {
    const now = this.clock.now();
    const last = this.lastEvaluation.get(id);
    if ((last !== undefined && now - last < this.config.autoConcludeIntervalMs) || this.evaluating.has(id)) return;
    this.lastEvaluation.set(id, now);
    this.evaluating.add(id);
    void this.autoEvaluate(id)
      .catch((err: unknown) => this.log.warn(`automatic stopping-rule evaluation of ${id} failed: ${String(err)}`))
      .finally(() => this.evaluating.delete(id));
  }

  private async autoEvaluate(id: string): Promise<void> {
    const e = await this.experiments.find(id);
    if (!e || e.status !== 'running') return;
    await this.evaluate(e, this.durationPassed(e) ? 'max_duration' : 'auto');
  }

  private durationPassed(e: StoredExperiment): boolean {
    const h = e.definition.stopping.maxDurationHours;
    return h !== null && this.clock.now() - e.createdAt.getTime() >= h * 3600_000;
  }

  /**
   * One evaluation. Manual evaluations are always recorded; automatic ones only when
   * they end the experiment (a winner, or no winner after the maximum duration).
   */
  private async evaluate(e: StoredExperiment, trigger: DecisionTrigger): Promise<DecisionRecord> {
    const counters = await this.countersOf(e);
    const exhausted = this.durationPassed(e);
    const arms = armStates(e.definition, counters);
    const d = evaluateStoppingRule(
      arms,
      { probBest: e.definition.stopping.probBest, expectedLoss: e.definition.stopping.expectedLoss, minSamplesPerArm: e.definition.stopping.minSamplesPerArm },
      { exhausted },
    );
    const effectiveTrigger: DecisionTrigger = exhausted && d.status === 'no_winner' ? 'max_duration' : trigger;
    const now = new Date(this.clock.now());
    const row: DecisionRow = {
      experimentId: e.id,
      status: d.status,
      trigger: effectiveTrigger,
      winnerIndex: d.status === 'winner' ? (d.winner ?? null) : null,
      leaderIndex: d.leader,
      probBest: JSON.stringify(d.probBest),
      expectedLoss: JSON.stringify(d.expectedLoss),
      reasons: JSON.stringify(d.reasons),
      thresholds: JSON.stringify({ ...d.thresholds, maxDurationHours: e.definition.stopping.maxDurationHours }),
      totalSamples: d.totalSamples,
      createdAt: now,
    };
    if (trigger !== 'manual' && d.status === 'continue') return this.decisionRecord(e.definition, { ...row, id: 0 });
    const id = await this.events.insertDecision(row, this.snapshotRows(e, counters, 'decision', now, d));
    if (d.status !== 'continue') {
      const winner = d.status === 'winner' ? (d.winner ?? null) : null;
      // compare-and-set: a stop that landed meanwhile wins
      if (!(await this.experiments.transition(e.id, 'concluded', ['running'], now, winner))) return this.decisionRecord(e.definition, { ...row, id });
      await this.setLiveStatus(e, { status: 'concluded', winner });
      this.log.log(`experiment ${e.id} concluded: ${winner === null ? `no winner (leader ${e.definition.arms[d.leader]})` : `winner ${e.definition.arms[winner]}`} [${effectiveTrigger}]`);
    }
    return this.decisionRecord(e.definition, { ...row, id });
  }

  /** Writes a periodic snapshot of every live experiment whose state changed since the last one. */
  async snapshotAll(): Promise<number> {
    let written = 0;
    for (const e of await this.experiments.list()) {
      if (e.status === 'stopped') continue;
      if (e.status === 'running' && this.durationPassed(e)) {
        await this.evaluate(e, 'max_duration').catch((err: unknown) => this.log.warn(`evaluation of ${e.id} failed: ${String(err)}`));
        continue;
      }
      const counters = await this.store.readCounters(e.id, e.definition.arms.length);
      if (!counters) continue;
      const key = JSON.stringify([counters.alpha, counters.beta, counters.pulls]);
      if (this.lastSnapshotKey.get(e.id) === key) continue;
      this.lastSnapshotKey.set(e.id, key);
      await this.events.insertSnapshots(this.snapshotRows(e, counters, 'periodic', new Date(this.clock.now())));
      written++;
    }
    return written;
  }

  /**
   * Recomputes the experiment's live state from its events — α = α₀ + Σ rewards,
   * β = β₀ + Σ (1 − reward), pulls = select events — after moving every queued event into
   * the event store. `overwrite` replaces the live state (manual rebuild); `if-missing`
   * writes only when the state is still missing (automatic, safe with many replicas).
   */
  async rebuild(id: string, mode: 'if-missing' | 'overwrite' = 'overwrite'): Promise<RebuildReport> {
    const e = await this.stored(id);
    await this.consumer.flush([id]).catch(() => undefined);
    const { counters, selects, rewards } = await this.countersFromEvents(e);
    const status: StoredStatus = { status: e.status, winner: e.status === 'concluded' ? e.winnerIndex : null };
    const wrote = await this.store.writeState(id, counters, status, mode);
    if (wrote) {
      this.log.log(`experiment ${id}: live state rebuilt from ${selects} select and ${rewards} reward events`);
      await this.events.insertSnapshots(this.snapshotRows(e, counters, 'rebuild', new Date(this.clock.now()))).catch(() => undefined);
    }
    return { experimentId: id, selects, rewards, alpha: counters.alpha, beta: counters.beta, wrote };
  }

  /** What a rebuild would write, without writing it (after moving queued events). */
  async recompute(id: string): Promise<RebuildReport> {
    const e = await this.stored(id);
    await this.consumer.flush([id]).catch(() => undefined);
    const { counters, selects, rewards } = await this.countersFromEvents(e);
    return { experimentId: id, selects, rewards, alpha: counters.alpha, beta: counters.beta, wrote: false };
  }

  private async countersFromEvents(e: StoredExperiment): Promise<{ counters: ArmCounters; selects: number; rewards: number }> {
    const totals = await this.events.totals(e.id);
    const k = e.definition.arms.length;
    const counters = priorCounters(e.definition.prior);
    let selects = 0;
    let rewards = 0;
    for (const t of totals) {
      if (t.armIndex < 0 || t.armIndex >= k) continue;
      counters.alpha[t.armIndex] += t.rewardSum;
      counters.beta[t.armIndex] += t.rewardEvents - t.rewardSum;
      counters.pulls[t.armIndex] = t.selects;
      counters.rewards[t.armIndex] = t.rewardSum;
      selects += t.selects;
      rewards += t.rewardEvents;
    }
    return { counters, selects, rewards };
  }

  /** Rebuilds the live state when (and only when) it is missing; concurrent callers share one rebuild. */
  ensureState(id: string): Promise<RebuildReport> {
    const running = this.rebuilding.get(id);
    if (running) return running;
    const p = this.rebuild(id, 'if-missing').finally(() => this.rebuilding.delete(id));
    this.rebuilding.set(id, p);
    return p;
  }

  /** At startup: every experiment whose live state is missing is rebuilt from its events. */
  async rebuildMissing(): Promise<RebuildReport[]> {
    const out: RebuildReport[] = [];
    for (const e of await this.experiments.list()) {
      if ((await this.store.readCounters(e.id, e.definition.arms.length)) === null) out.push(await this.ensureState(e.id));
    }
    return out;
  }

  async ids(): Promise<string[]> {
    return this.experiments.ids();
  }

  private async stored(id: string): Promise<StoredExperiment> {
    const e = await this.experiments.find(id);
    if (!e) throw notFound(`experiment ${JSON.stringify(id)} does not exist`);
    return e;
  }

  private async setLiveStatus(e: StoredExperiment, status: StoredStatus): Promise<void> {
    if (!(await this.store.setStatus(e.id, status))) await this.ensureState(e.id);
  }

  private async countersOf(e: StoredExperiment): Promise<ArmCounters> {
    let c = await this.store.readCounters(e.id, e.definition.arms.length);
    if (!c) {
      await this.ensureState(e.id);
      c = await this.store.readCounters(e.id, e.definition.arms.length);
    }
    if (!c) throw new BanditError(ErrorCode.Unavailable, `the live state of experiment ${JSON.stringify(e.id)} is missing and could not be rebuilt`);
    return c;
  }

  private snapshotRows(e: StoredExperiment, c: ArmCounters, reason: string, at: Date, d?: StoppingDecision): PosteriorSnapshotRow[] {
    const summary = summarizeArms(c.alpha.map((alpha, k) => ({ alpha, beta: c.beta[k] })));
    return summary.map((s, k) => ({
      experimentId: e.id,
      armIndex: k,
      armName: e.definition.arms[k],
      alpha: c.alpha[k],
      beta: c.beta[k],
      pulls: c.pulls[k],
      rewards: c.rewards[k],
      mean: s.mean,
      ciLow: s.ci95[0],
      ciHigh: s.ci95[1],
      probBest: d?.probBest[k] ?? s.probBest,
      expectedLoss: d?.expectedLoss[k] ?? s.expectedLoss,
      reason,
      decisionRecordId: null,
      createdAt: at,
    }));
  }

  private decisionRecord(def: ExperimentDefinition, row: DecisionRow): DecisionRecord {
    return {
      id: Number(row.id ?? 0),
      status: row.status as DecisionRecord['status'],
      trigger: row.trigger as DecisionRecord['trigger'],
      winnerIndex: row.winnerIndex,
      winnerName: row.winnerIndex === null ? null : def.arms[row.winnerIndex],
      leaderIndex: row.leaderIndex,
      leaderName: def.arms[row.leaderIndex],
      probBest: JSON.parse(row.probBest) as number[],
      expectedLoss: JSON.parse(row.expectedLoss) as number[],
      reasons: JSON.parse(row.reasons) as string[],
      thresholds: JSON.parse(row.thresholds) as Record<string, unknown>,
      totalSamples: Number(row.totalSamples),
      createdAt: new Date(row.createdAt).toISOString(),
    };
  }

  private async view(e: StoredExperiment): Promise<ExperimentView> {
    const counters = (await this.store.readCounters(e.id, e.definition.arms.length)) ?? (await this.countersOf(e));
    const summary = summarizeArms(counters.alpha.map((alpha, k) => ({ alpha, beta: counters.beta[k] })));
    const allocation = liveAllocation(e.definition, counters, { status: e.status, winner: e.winnerIndex });
    const arms: ArmView[] = e.definition.arms.map((name, k) => ({
      index: k,
      name,
      alpha: counters.alpha[k],
      beta: counters.beta[k],
      pulls: counters.pulls[k],
      rewards: counters.rewards[k],
      mean: summary[k].mean,
      ci95: [summary[k].ci95[0], summary[k].ci95[1]],
      probBest: summary[k].probBest,
      expectedLoss: summary[k].expectedLoss,
      allocation: allocation[k],
    }));
    const decisions = await this.events.latestDecisions(e.id, 1);
    const last = decisions[0] ? this.decisionRecord(e.definition, decisions[0]) : null;
    let winner: ExperimentView['winner'] = null;
    if (e.status === 'concluded' && e.winnerIndex !== null) {
      const declaring = last && last.winnerIndex === e.winnerIndex ? last : null;
      winner = { index: e.winnerIndex, name: e.definition.arms[e.winnerIndex], decision: declaring };
    }
    return {
      id: e.id,
      status: e.status,
      createdAt: e.createdAt.toISOString(),
      updatedAt: e.updatedAt.toISOString(),
      definition: e.definition,
      arms,
      winner,
      lastDecision: last,
    };
  }
}

/**
 * A definition is stored only when it can be served: its allocation under the prior is
 * computed once here (400 when that fails), so a definition that passed the schema but
 * cannot be served never reaches the store and breaks every later list and select.
 */
function assertServable(definition: ExperimentDefinition): void {
  let probs: number[];
  try {
    probs = liveAllocation(definition, priorCounters(definition.prior), { status: 'running', winner: null });
  } catch (err) {
    throw new BanditError(ErrorCode.InvalidInput, `the definition cannot be served: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (probs.length !== definition.arms.length || probs.some((p) => !Number.isFinite(p))) {
    throw new BanditError(ErrorCode.InvalidInput, 'the definition cannot be served: its allocation is not a probability per arm');
  }
}

export function policyOf(def: ExperimentDefinition): AllocationPolicy {
  return {
    algorithm: def.algorithm,
    topTwoBeta: def.algorithm === 'top_two' ? def.topTwoBeta : undefined,
    floors: def.floors ?? undefined,
    caps: def.caps ?? undefined,
  };
}

/** Observations per arm: what the posterior learned from (α + β − α₀ − β₀). */
export function armStates(def: ExperimentDefinition, c: ArmCounters): ArmState[] {
  return def.arms.map((name, k) => ({
    name,
    alpha: c.alpha[k],
    beta: c.beta[k],
    pulls: Math.round(c.alpha[k] + c.beta[k] - def.prior[k].alpha - def.prior[k].beta),
  }));
}

/**
 * Probability that the next select serves each arm: the policy's allocation while running;
 * after a winner, (1 − exploration) on the winner plus exploration × the policy's allocation.
 */
export function liveAllocation(def: ExperimentDefinition, c: Pick<ArmCounters, 'alpha' | 'beta'>, status: StoredStatus): number[] {
  const k = def.arms.length;
  if (status.status === 'stopped') return new Array<number>(k).fill(0);
  const winner = status.status === 'concluded' ? status.winner : null;
  if (winner !== null && def.exploration === 0) return Array.from({ length: k }, (_, i) => (i === winner ? 1 : 0));
  const policy = allocationProbabilities(
    c.alpha.map((alpha, i) => ({ alpha, beta: c.beta[i] })),
    policyOf(def),
  );
  if (winner === null) return policy;
  return policy.map((p, i) => def.exploration * p + (i === winner ? 1 - def.exploration : 0));
}
