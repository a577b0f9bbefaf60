/**
 * Experiments: definitions, status, the stopping rule (on demand and automatically as
 * rewards arrive), posterior snapshots, and rebuilding an experiment's live state from
 * its events when the posterior store lost it.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { allocationProbabilities, DEFAULT_STOPPING, summarizeArms, type AllocationPolicy } from '../core';
import { BanditError, ErrorCode, notFound } from '../common/errors';
import { CLOCK, type ClockRepository } from '../clock/clock.repository';
import { CONFIG } from '../app/tokens';
import type { Config } from '../config/config';
import type { VerdictRow } from '../event-store/entities';
import { EventRepository } from '../event-store/event.repository';
import { SnapshotRepository } from '../event-store/snapshot.repository';
import { VerdictRepository } from '../event-store/verdict.repository';
import { EventConsumer } from '../event-store/event-consumer';
import { POSTERIOR_STORE, priorCounters, type ArmCounters, type PosteriorStore, type StoredStatus } from '../posterior-store/posterior-store';
import {
  createExperimentSchema,
  formatZodError,
  MAX_ARMS,
  normalizeDefinition,
  perArmValues,
  sharesProblem,
  type ActorRequest,
  type ListQuery,
  type PatchExperimentRequest,
  type ShipRequest,
  type ArmView,
  type CreateExperimentRequest,
  type ConcludeResponse,
  type VerdictRecord,
  type ExperimentDefinition,
  type ExperimentView,
} from './experiment.dto';
import { ExperimentRepository, type StoredExperiment } from './experiment.repository';
import { delaySummary, liftOf, srmCheckLogged, type ArmAssignments, type RewardTotals, type SrmResult } from './health';
import { durationAt, evaluateStopping, evaluationView, numbersOf, SERVICE_TRIGGERS, type EvaluationView, type ServiceTrigger, type StoppingEvaluation } from './stopping/stopping-evaluator';
import { countersFromEvents, verdictRowOf, recordedNumbers, snapshotRowsOf } from './stopping/stopping-records';

export type VerdictTrigger = ServiceTrigger;

/** How long a process serves with a cached definition before reading it again (edits reach every replica within this). */
export const DEFINITION_REFRESH_MS = 1000;
/** How long an unknown experiment id answers 404 without asking the event store again. */
const NEGATIVE_TTL_MS = 1000;
/** Bound of the unknown-id memory (cleared when full). */
const NEGATIVE_MAX = 10_000;

/** What the hot path needs of an experiment (re-read every DEFINITION_REFRESH_MS: edits, retired arms, archive). */
export interface ServedExperiment {
  id: string;
  definition: ExperimentDefinition;
  policy: AllocationPolicy;
  createdAt: number;
  /** performance.now() when read from the event store. */
  loadedAt?: number;
  /** Changes whenever the definition does (allocations computed for another one are dropped). */
  generation?: number;
  definitionText?: string;
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
  private generations = 0;
  /** Experiments with a conversion window (re-read every DEFINITION_REFRESH_MS by the sweep). */
  private windowed: { at: number; list: StoredExperiment[] } | null = null;
  private readonly rebuilding = new Map<string, Promise<RebuildReport>>();
  private readonly lastEvaluation = new Map<string, number>();
  private readonly evaluating = new Set<string>();
  private readonly lastSnapshotKey = new Map<string, string>();
  /** Ids looked up and not found, with when (see served). */
  private readonly unknownIds = new Map<string, number>();
  /**
   * Per experiment: what a view computes from its posteriors (P(best), intervals, expected
   * loss, allocation, the live stopping evaluation), reused while the counters, the status
   * and the definition are the same — list and GET compute it once per posterior change.
   */
  private readonly posteriorViews = new Map<string, PosteriorViewMemo>();
  /** Times a view's posterior numbers were computed (not reused); for tests and metrics. */
  posteriorComputations = 0;
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
    private readonly verdicts: VerdictRepository,
    private readonly snapshots: SnapshotRepository,
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
    await this.change(req.id, 'created', {}, { definition });
    return this.view(stored);
  }

  /** Every experiment that is not archived. */
  async list(): Promise<ExperimentView[]> {
    const all = (await this.experiments.list()).filter((e) => !e.archivedAt);
    return Promise.all(all.map((e) => this.view(e)));
  }

  /** One page of the experiments that are not archived, optionally of one status. */
  async listPage(q: ListQuery): Promise<{ experiments: ExperimentView[]; total: number; limit: number; offset: number }> {
    const limit = q.limit ?? 50;
    const offset = q.offset ?? 0;
    const { rows, total } = await this.experiments.page(q.status, limit, offset);
    return { experiments: await Promise.all(rows.map((e) => this.view(e))), total, limit, offset };
  }

  async get(id: string): Promise<ExperimentView> {
    return this.view(await this.live(id));
  }

  /**
   * The definition the hot path serves with (cached; 404 when unknown). An unknown id is
   * remembered for NEGATIVE_TTL_MS and concurrent lookups of one id share one query, so a
   * flood of requests for experiments that do not exist cannot fill the database pool.
   */
  async served(id: string): Promise<ServedExperiment> {
    return this.servedIfFresh(id) ?? this.lookUpServed(id, this.servedCache.get(id));
  }

  /** `served(id)` when its answer is cached and fresh, without a promise (the per-request path); else undefined. */
  servedIfFresh(id: string): ServedExperiment | undefined {
    const hit = this.servedCache.get(id);
    return hit && (hit.loadedAt === undefined || performance.now() - hit.loadedAt < DEFINITION_REFRESH_MS) ? hit : undefined;
  }

  private async lookUpServed(id: string, hit: ServedExperiment | undefined): Promise<ServedExperiment> {
    const missAt = this.unknownIds.get(id);
    if (missAt !== undefined && Date.now() - missAt < NEGATIVE_TTL_MS) throw notFound(`experiment ${JSON.stringify(id)} does not exist`);
    let lookup = this.lookups.get(id);
    if (!lookup) {
      lookup = this.experiments.find(id).finally(() => this.lookups.delete(id));
      this.lookups.set(id, lookup);
    }
    let e: Awaited<typeof lookup>;
    try {
      e = await lookup;
    } catch (err) {
      // the experiment store is unreachable: keep serving the definition this replica has
      // (Redis holds the state; stops reach it through the status marker), and ask again
      // after the refresh interval rather than on every request
      if (!hit) throw err;
      hit.loadedAt = performance.now();
      return hit;
    }
    if (!e) {
      if (this.unknownIds.size >= NEGATIVE_MAX) this.unknownIds.clear();
      this.unknownIds.set(id, Date.now());
      this.servedCache.delete(id);
      throw notFound(`experiment ${JSON.stringify(id)} does not exist`);
    }
    if (e.archivedAt) {
      this.servedCache.delete(id);
      throw notFound(`experiment ${JSON.stringify(id)} does not exist (it is archived)`);
    }
    const cached = this.servedCache.get(id);
    if (cached && cached.definitionText === e.definitionText) {
      cached.loadedAt = performance.now();
      return cached;
    }
    const s: ServedExperiment = {
      id,
      definition: e.definition,
      policy: policyOf(e.definition),
      createdAt: e.createdAt.getTime(),
      loadedAt: performance.now(),
      generation: ++this.generations,
      definitionText: e.definitionText,
    };
    if (e.status === 'stopped' || this.stoppedIds.has(id)) s.stopped = true;
    this.servedCache.set(id, s);
    return s;
  }

  /** Evaluates the stopping rule now and records the verdict. */
  async conclude(id: string): Promise<ConcludeResponse> {
    const e = await this.live(id);
    if (e.status === 'paused') throw new BanditError(ErrorCode.Conflict, `experiment ${JSON.stringify(id)} is paused; resume it first`);
    if (e.status === 'stopped') throw new BanditError(ErrorCode.Conflict, `experiment ${JSON.stringify(id)} is stopped`);
    if (e.status === 'concluded') {
      const name = e.winnerIndex === null ? 'no winner' : `winner ${JSON.stringify(e.definition.arms[e.winnerIndex])}`;
      throw new BanditError(ErrorCode.Conflict, `experiment ${JSON.stringify(id)} is already concluded (${name})`);
    }
    const verdict = await this.evaluate(e, 'manual');
    return { verdict, decision: verdict, experiment: await this.view(await this.stored(id)) };
  }

  /**
   * Stops an experiment: select and reward answer 409 from now on. Idempotent, and final:
   * it wins over a conclusion that lands at the same time. Every call (also a retry of a
   * stop that reached only Postgres) writes the live status, so a half that failed is
   * repaired; until then this process refuses to serve it, and the status sweep repairs
   * it in the background.
   */
  async stop(id: string): Promise<ExperimentView> {
    const e = await this.live(id);
    if (await this.experiments.transition(id, 'stopped', ['running', 'paused', 'concluded'], new Date(this.clock.now()))) await this.change(id, 'stopped', {}, {});
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
      // running ↔ paused are compare-and-set by pause / resume themselves
      if (e.status === 'running' || e.status === 'paused') continue;
      if (e.status === 'stopped') this.markStopped(e.id);
      await this.setLiveStatus(e, { status: e.status, winner: e.status === 'concluded' ? e.winnerIndex : null });
      if (this.unrepaired.delete(e.id)) repaired++;
    }
    return repaired;
  }

  // ---- lifecycle (admin): every change is recorded in the experiment's change log ----

  /** Pauses a running experiment: /select serves the control and records nothing; rewards still count. Idempotent. */
  async pause(id: string, actor: ActorRequest): Promise<ExperimentView> {
    return this.swap(id, 'running', 'paused', actor);
  }

  /** Resumes a paused experiment. Idempotent. */
  async resume(id: string, actor: ActorRequest): Promise<ExperimentView> {
    return this.swap(id, 'paused', 'running', actor);
  }

  private async swap(id: string, from: 'running' | 'paused', to: 'running' | 'paused', actor: ActorRequest): Promise<ExperimentView> {
    const e = await this.live(id);
    const verb = to === 'paused' ? 'paused' : 'resumed';
    if (e.status !== to) {
      if (!(await this.experiments.transition(id, to, [from], new Date(this.clock.now())))) {
        const now = await this.live(id);
        if (now.status !== to) throw new BanditError(ErrorCode.Conflict, `experiment ${JSON.stringify(id)} is ${now.status}; only a ${from} experiment can be ${verb}`);
      } else await this.change(id, verb, actor, {});
    }
    // also on a retry: the live half of an earlier call may have failed
    if ((await this.store.swapStatus(id, from, to)) === 'missing') await this.ensureState(id);
    this.servedCache.delete(id);
    return this.get(id);
  }

  /**
   * Edits an experiment: name, description, stopping thresholds, floors / caps, and new
   * arms (at their prior, in the allocation at once). Compare-and-set on the stored
   * definition, so concurrent edits never lose one another.
   */
  async patch(id: string, req: PatchExperimentRequest): Promise<ExperimentView> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const e = await this.live(id);
      const before = e.definition;
      const def: ExperimentDefinition = structuredClone(before);
      if (req.name !== undefined) def.name = req.name;
      if (req.description !== undefined) def.description = req.description;
      if (req.stopping) def.stopping = { ...def.stopping, ...req.stopping };
      const added = req.add_arms ?? [];
      if (added.length > 0) {
        if (e.status === 'stopped') throw new BanditError(ErrorCode.Conflict, `experiment ${JSON.stringify(id)} is stopped; no arms can be added`);
        const dup = added.find((n, i) => def.arms.includes(n) || added.indexOf(n) !== i);
        if (dup !== undefined) throw new BanditError(ErrorCode.InvalidInput, `add_arms: arm ${JSON.stringify(dup)} exists already`);
        if (def.arms.length + added.length > MAX_ARMS) throw new BanditError(ErrorCode.InvalidInput, `add_arms: at most ${MAX_ARMS} arms`);
        for (const n of added) {
          def.arms.push(n);
          def.prior.push({ ...(req.prior ?? { alpha: 1, beta: 1 }) });
          def.floors?.push(0);
          def.caps?.push(1);
        }
      }
      for (const name of ['floors', 'caps'] as const) {
        const v = req[name];
        if (v === undefined) continue;
        const resolved = perArmValues(name, v, def.arms);
        if (typeof resolved === 'string') throw new BanditError(ErrorCode.InvalidInput, resolved);
        def[name] = resolved;
      }
      const problem = sharesProblem(def.floors, def.caps) ?? effectiveSharesProblem(def);
      if (problem) throw new BanditError(ErrorCode.InvalidInput, problem);
      assertServable(def);
      // the new arms' keys exist before any replica serves with the new definition
      if (added.length > 0) await this.store.addArms(id, before.arms.length, def.prior.slice(before.arms.length));
      if (e.definitionText !== undefined && (await this.experiments.replaceDefinition(id, e.definitionText, def, new Date(this.clock.now())))) {
        const { by, reason, ...changes } = req;
        await this.change(id, 'patched', { by, reason }, { changes, definition: def });
        this.servedCache.delete(id);
        return this.get(id);
      }
    }
    throw new BanditError(ErrorCode.Conflict, `experiment ${JSON.stringify(id)} was edited concurrently; retry`);
  }

  /** Retires an arm: served no more (allocation 0), its history and posterior kept. Idempotent. */
  async retire(id: string, armName: string, actor: ActorRequest): Promise<ExperimentView> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const e = await this.live(id);
      const k = e.definition.arms.indexOf(armName);
      if (k < 0) throw notFound(`experiment ${JSON.stringify(id)} has no arm ${JSON.stringify(armName)}`);
      if (e.definition.retired.includes(k)) return this.view(e);
      if (e.status === 'concluded' && e.winnerIndex === k) throw new BanditError(ErrorCode.Conflict, `arm ${JSON.stringify(armName)} is the declared winner; it cannot be retired`);
      const def: ExperimentDefinition = { ...e.definition, retired: [...e.definition.retired, k].sort((a, b) => a - b) };
      if (def.retired.length >= def.arms.length) throw new BanditError(ErrorCode.Conflict, 'at least one arm must stay in service');
      const problem = effectiveSharesProblem(def);
      if (problem) throw new BanditError(ErrorCode.Conflict, `retiring ${JSON.stringify(armName)} leaves no feasible allocation: ${problem}`);
      if (e.definitionText !== undefined && (await this.experiments.replaceDefinition(id, e.definitionText, def, new Date(this.clock.now())))) {
        await this.change(id, 'retired', actor, { arm: armName, index: k });
        this.servedCache.delete(id);
        return this.get(id);
      }
    }
    throw new BanditError(ErrorCode.Conflict, `experiment ${JSON.stringify(id)} was edited concurrently; retry`);
  }

  /**
   * Declares an arm the winner by hand: a verdict with trigger `manual` (who and why in its
   * reasons and thresholds), then the experiment is concluded and /select serves the
   * winner exactly as after an automatic verdict.
   */
  async ship(id: string, req: ShipRequest): Promise<ConcludeResponse> {
    const e = await this.live(id);
    if (e.status === 'stopped' || e.status === 'concluded') throw new BanditError(ErrorCode.Conflict, `experiment ${JSON.stringify(id)} is ${e.status}; nothing can be shipped`);
    const k = e.definition.arms.indexOf(req.arm);
    if (k < 0) throw new BanditError(ErrorCode.InvalidInput, `arm: experiment ${JSON.stringify(id)} has no arm ${JSON.stringify(req.arm)}`);
    if (e.definition.retired.includes(k)) throw new BanditError(ErrorCode.Conflict, `arm ${JSON.stringify(req.arm)} is retired`);
    const counters = await this.countersOf(e);
    const ev = this.evaluateNow(e, counters);
    const base = verdictRowOf(e.id, ev, 'manual');
    const why = `shipped by hand${req.by ? ` by ${req.by}` : ''}${req.reason ? `: ${req.reason}` : ''}`;
    const row: VerdictRow = {
      ...base,
      status: 'winner',
      winnerIndex: k,
      reasons: JSON.stringify([why]),
      thresholds: JSON.stringify({ ...(JSON.parse(base.thresholds) as Record<string, unknown>), manual: { by: req.by ?? null, reason: req.reason ?? null } }),
    };
    const verdictId = await this.verdicts.insert(row, snapshotRowsOf(e.id, e.definition, counters, 'verdict', ev.at, ev));
    if (!(await this.experiments.transition(id, 'concluded', ['running', 'paused'], ev.at, k))) {
      throw new BanditError(ErrorCode.Conflict, `experiment ${JSON.stringify(id)} was concluded or stopped meanwhile`);
    }
    await this.setLiveStatus(e, { status: 'concluded', winner: k });
    await this.change(id, 'shipped', req, { arm: req.arm, index: k, verdict: verdictId });
    this.servedCache.delete(id);
    const verdict = this.verdictRecord(e.definition, { ...row, id: verdictId });
    return { verdict, decision: verdict, experiment: await this.get(id) };
  }

  /** Acknowledges a failed sample-ratio-mismatch check: automatic winners are allowed again. */
  async acknowledgeSrm(id: string, actor: ActorRequest): Promise<ExperimentView> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const e = await this.live(id);
      if (e.definition.srmAcknowledged) return this.view(e);
      const srm = await this.srm(e);
      const def: ExperimentDefinition = { ...e.definition, srmAcknowledged: true };
      if (e.definitionText !== undefined && (await this.experiments.replaceDefinition(id, e.definitionText, def, new Date(this.clock.now())))) {
        await this.change(id, 'srm_acknowledged', actor, { p_value: srm.p_value });
        this.servedCache.delete(id);
        return this.get(id);
      }
    }
    throw new BanditError(ErrorCode.Conflict, `experiment ${JSON.stringify(id)} was edited concurrently; retry`);
  }

  /** The holdout's assignments and rewards against the bandit's, from the event store, and the lift. */
  private async holdoutOf(e: StoredExperiment): Promise<ExperimentView['holdout']> {
    if (!(e.definition.holdout > 0)) return null;
    const by = new Map((await this.experiments.rewardTotalsByType(e.id)).map((t) => [t.type, t]));
    const totals = (select: string, reward: string): RewardTotals => {
      const r = by.get(reward);
      return { decisions: by.get(select)?.n ?? 0, rewarded: r?.n ?? 0, sum: r?.sum ?? 0, sumSq: r?.sumSq ?? 0 };
    };
    const bandit = totals('select', 'reward');
    const held = totals('hselect', 'hreward');
    const l = liftOf(bandit, held);
    return {
      share: e.definition.holdout,
      bandit: { assignments: bandit.decisions, decisions: bandit.decisions, rewarded: bandit.rewarded, mean: l.banditMean },
      holdout: { assignments: held.decisions, decisions: held.decisions, rewarded: held.rewarded, mean: l.holdoutMean },
      lift: l.lift,
      ci95: l.ci95,
    };
  }

  private async srm(e: StoredExperiment): Promise<SrmResult> {
    const k = e.definition.arms.length;
    const arms: ArmAssignments[] = Array.from({ length: k }, () => ({ selects: 0, inverseSum: 0, inverseSquareSum: 0 }));
    for (const a of await this.experiments.assignments(e.id)) {
      if (a.arm < 0 || a.arm >= k) continue;
      arms[a.arm] = { selects: a.selects, inverseSum: a.inverseSum, inverseSquareSum: a.inverseSquareSum };
    }
    return srmCheckLogged(arms);
  }

  /** Archives: gone from lists, /select and GET (404), kept in the event store, restorable. Idempotent. */
  async archive(id: string, actor: ActorRequest): Promise<{ id: string; archived: true }> {
    const e = await this.stored(id);
    if (!e.archivedAt) {
      await this.experiments.setArchived(id, new Date(this.clock.now()), new Date(this.clock.now()));
      await this.change(id, 'archived', actor, {});
    }
    this.servedCache.delete(id);
    return { id, archived: true };
  }

  async restore(id: string, actor: ActorRequest): Promise<ExperimentView> {
    const e = await this.stored(id);
    if (e.archivedAt) {
      await this.experiments.setArchived(id, null, new Date(this.clock.now()));
      await this.change(id, 'restored', actor, {});
    }
    return this.get(id);
  }

  /** The experiment's change log, oldest first. */
  async changes(id: string): Promise<Array<{ id: number; kind: string; by: string | null; payload: unknown; at: string }>> {
    await this.stored(id);
    return (await this.experiments.changesOf(id)).map((c) => ({ id: Number(c.id), kind: c.kind, by: c.actor, payload: JSON.parse(c.payload) as unknown, at: new Date(c.createdAt).toISOString() }));
  }

  private async change(id: string, kind: string, actor: ActorRequest, payload: Record<string, unknown>): Promise<void> {
    const body = actor.reason ? { ...payload, reason: actor.reason } : payload;
    await this.experiments.recordChange({ experimentId: id, kind, payload: JSON.stringify(body), actor: actor.by ?? null, createdAt: new Date(this.clock.now()) });
  }

  /**
   * Conversion windows (every few hundred ms, on every replica): counts the default reward
   * of each assignment whose window closed unrewarded, through the store's atomic claim.
   */
  async sweepWindows(max = 500): Promise<number> {
    const now = Date.now();
    if (this.windowed === null || now - this.windowed.at > DEFINITION_REFRESH_MS) {
      const all = await this.experiments.list();
      this.windowed = { at: now, list: all.filter((e) => e.definition.conversionWindowSeconds !== null && e.status !== 'stopped') };
    }
    let counted = 0;
    for (const e of this.windowed.list) {
      const n = await this.store.sweepWindows(e.id, this.clock.now(), e.definition.defaultReward, max);
      if (n > 0) {
        counted += n;
        this.noteReward(e.id);
      }
    }
    return counted;
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
    return durationAt(e.definition, e.createdAt, new Date(this.clock.now())).exhausted;
  }

  /** The stopping rule on these counters now (the one evaluator, src/experiments/stopping). */
  private evaluateNow(e: StoredExperiment, counters: ArmCounters): StoppingEvaluation {
    return evaluateStopping(e.definition, counters, { at: new Date(this.clock.now()), createdAt: e.createdAt });
  }

  /**
   * One evaluation. Manual evaluations are always recorded; automatic ones only when
   * they end the experiment (a winner, or no winner after the maximum duration).
   */
  private async evaluate(e: StoredExperiment, trigger: VerdictTrigger): Promise<VerdictRecord> {
    const counters = await this.countersOf(e);
    const ev = this.evaluateNow(e, counters);
    const d = ev.verdict;
    const effectiveTrigger: VerdictTrigger = ev.exhausted && d.status === 'no_winner' ? 'max_duration' : trigger;
    const now = ev.at;
    const row: VerdictRow = verdictRowOf(e.id, ev, effectiveTrigger);
    if (trigger !== 'manual' && d.status === 'continue') return this.verdictRecord(e.definition, { ...row, id: 0 });
    // a failed sample-ratio check holds back an automatic winner until an admin acknowledges it
    if (trigger !== 'manual' && d.status === 'winner' && !e.definition.srmAcknowledged && !(await this.srm(e)).ok) {
      this.log.warn(`experiment ${e.id}: automatic winner held back, the sample-ratio-mismatch check failed (acknowledge it to allow one)`);
      return this.verdictRecord(e.definition, { ...row, id: 0 });
    }
    const id = await this.verdicts.insert(row, snapshotRowsOf(e.id, e.definition, counters, 'verdict', now, ev));
    if (d.status !== 'continue') {
      const winner = d.status === 'winner' ? (d.winner ?? null) : null;
      // compare-and-set: a stop that landed meanwhile wins
      if (!(await this.experiments.transition(e.id, 'concluded', ['running'], now, winner))) return this.verdictRecord(e.definition, { ...row, id });
      await this.setLiveStatus(e, { status: 'concluded', winner });
      this.log.log(`experiment ${e.id} concluded: ${winner === null ? `no winner (leader ${e.definition.arms[d.leader]})` : `winner ${e.definition.arms[winner]}`} [${effectiveTrigger}]`);
    }
    return this.verdictRecord(e.definition, { ...row, id });
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
      const key = JSON.stringify([counters.alpha, counters.beta, counters.assignments]);
      if (this.lastSnapshotKey.get(e.id) === key) continue;
      this.lastSnapshotKey.set(e.id, key);
      await this.snapshots.insert(snapshotRowsOf(e.id, e.definition, counters, 'periodic', new Date(this.clock.now())));
      written++;
    }
    return written;
  }

  /**
   * Recomputes the experiment's live state from its events — α = α₀ + Σ rewards,
   * β = β₀ + Σ (1 − reward), assignments = select events — after moving every queued event into
   * the event store. `overwrite` replaces the live state (manual rebuild); `if-missing`
   * writes only when the state is still missing (automatic, safe with many replicas).
   */
  async rebuild(id: string, mode: 'if-missing' | 'overwrite' = 'overwrite'): Promise<RebuildReport> {
    const e = await this.stored(id);
    await this.consumer.flush([id]).catch(() => undefined);
    const status: StoredStatus = { status: e.status, winner: e.status === 'concluded' ? e.winnerIndex : null };
    // read the log and write the state under the experiment's event lock: events stored after the read are counted when settled
    const { counters, selects, rewards, wrote } = await this.events.rebuildFrom(id, async (totals, maxRowId) => {
      const c = countersFromEvents(e.definition.prior, totals);
      return { ...c, wrote: await this.store.writeState(id, c.counters, status, mode, maxRowId) };
    });
    if (wrote) {
      this.log.log(`experiment ${id}: live state rebuilt from ${selects} select and ${rewards} reward events`);
      await this.snapshots.insert(snapshotRowsOf(e.id, e.definition, counters, 'rebuild', new Date(this.clock.now()))).catch(() => undefined);
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
    return countersFromEvents(e.definition.prior, await this.events.totals(e.id));
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

  /** An experiment that is not archived (404 otherwise). */
  private async live(id: string): Promise<StoredExperiment> {
    const e = await this.stored(id);
    if (e.archivedAt) throw notFound(`experiment ${JSON.stringify(id)} is archived (POST /experiments/${id}/restore brings it back)`);
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

  /**
   * The evaluation the dashboard shows, banner and stopping card alike: for an experiment
   * that a verdict ended, that verdict as recorded (with its time); otherwise the rule on
   * the current posteriors, now.
   */
  private async evaluationOf(e: StoredExperiment, counters: ArmCounters, last: VerdictRow | undefined, live?: StoppingEvaluation): Promise<EvaluationView> {
    if (e.status === 'concluded' && last && last.status !== 'continue' && last.id !== undefined) {
      const id = Number(last.id);
      const snapshots = await this.verdicts.snapshotsOf(e.id, id);
      return evaluationView(e.definition.arms, recordedNumbers(e.definition, last, snapshots, e.createdAt), new Date(last.createdAt), 'decision', id);
    }
    // a memoized evaluation is the same verdict (same posteriors and duration verdict), restamped now
    const at = new Date(this.clock.now());
    const ev = live ? { ...live, at, ageSeconds: durationAt(e.definition, e.createdAt, at).ageSeconds } : this.evaluateNow(e, counters);
    return evaluationView(e.definition.arms, numbersOf(ev), ev.at, 'live', null);
  }

  private verdictRecord(def: ExperimentDefinition, row: VerdictRow): VerdictRecord {
    return {
      id: Number(row.id ?? 0),
      status: row.status as VerdictRecord['status'],
      trigger: row.trigger as VerdictRecord['trigger'],
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

  /** The posterior numbers of a view: computed once per change of counters, status, definition or duration verdict. */
  private posteriorView(e: StoredExperiment, counters: ArmCounters): PosteriorViewMemo {
    const at = new Date(this.clock.now());
    const { exhausted } = durationAt(e.definition, e.createdAt, at);
    const key = JSON.stringify([counters.alpha, counters.beta, counters.assignments, e.status, e.winnerIndex, e.updatedAt.getTime(), exhausted]);
    const hit = this.posteriorViews.get(e.id);
    if (hit && hit.key === key) return hit;
    this.posteriorComputations++;
    const memo: PosteriorViewMemo = {
      key,
      summary: summarizeArms(counters.alpha.map((alpha, k) => ({ alpha, beta: counters.beta[k] }))),
      allocation: liveAllocation(e.definition, counters, { status: e.status, winner: e.winnerIndex }),
      evaluation: this.evaluateNow(e, counters),
    };
    if (this.posteriorViews.size >= POSTERIOR_VIEWS_MAX) this.posteriorViews.clear();
    this.posteriorViews.set(e.id, memo);
    return memo;
  }

  private async view(e: StoredExperiment): Promise<ExperimentView> {
    const counters = (await this.store.readCounters(e.id, e.definition.arms.length)) ?? (await this.countersOf(e));
    const memo = this.posteriorView(e, counters);
    const { summary, allocation } = memo;
    const pending = e.definition.conversionWindowSeconds === null ? null : await this.store.openAssignments(e.id, e.definition.arms.length);
    const arms: ArmView[] = e.definition.arms.map((name, k) => ({
      index: k,
      name,
      alpha: counters.alpha[k],
      beta: counters.beta[k],
      assignments: counters.assignments[k],
      observations: memo.evaluation.observations[k],
      pulls: counters.assignments[k],
      rewards: counters.rewards[k],
      mean: summary[k].mean,
      ci95: [summary[k].ci95[0], summary[k].ci95[1]],
      probBest: summary[k].probBest,
      expectedLoss: summary[k].expectedLoss,
      allocation: allocation[k],
      pending: pending?.[k] ?? 0,
    }));
    // the service's own evaluations only: the pipeline's verdict on a live experiment is advice
    const verdicts = await this.verdicts.latest(e.id, 1, SERVICE_TRIGGERS);
    const last = verdicts[0] ? this.verdictRecord(e.definition, verdicts[0]) : null;
    const evaluation = await this.evaluationOf(e, counters, verdicts[0], memo.evaluation);
    let winner: ExperimentView['winner'] = null;
    if (e.status === 'concluded' && e.winnerIndex !== null) {
      const declaring = last && last.winnerIndex === e.winnerIndex ? last : null;
      winner = { index: e.winnerIndex, name: e.definition.arms[e.winnerIndex], verdict: declaring, decision: declaring };
    }
    const srm = await this.srm(e);
    const served = counters.assignments.reduce((a, b) => a + b, 0);
    const open = (pending ?? []).reduce((a, b) => a + b, 0);
    const health: ExperimentView['health'] = {
      srm: { ...srm, acknowledged: e.definition.srmAcknowledged },
      open_share: served > 0 ? open / served : 0,
      conversion_delay: delaySummary(await this.experiments.conversionDelays(e.id)),
    };
    return {
      health,
      holdout: await this.holdoutOf(e),
      id: e.id,
      status: e.status,
      createdAt: e.createdAt.toISOString(),
      updatedAt: e.updatedAt.toISOString(),
      definition: e.definition,
      arms,
      winner,
      lastVerdict: last,
      lastDecision: last,
      evaluation,
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

/** The allocation policy of a definition: a retired arm has floor and cap 0. */
export function policyOf(def: ExperimentDefinition): AllocationPolicy {
  const retired = def.retired ?? [];
  const floors = def.floors && retired.length > 0 ? def.floors.map((f, k) => (retired.includes(k) ? 0 : f)) : def.floors;
  const caps = retired.length > 0 ? (def.caps ?? def.arms.map(() => 1)).map((c, k) => (retired.includes(k) ? 0 : c)) : def.caps;
  return {
    algorithm: def.algorithm,
    topTwoBeta: def.algorithm === 'top_two' ? def.topTwoBeta : undefined,
    floors: floors ?? undefined,
    caps: caps ?? undefined,
  };
}

/** Whether the floors and caps left after retiring arms can still be satisfied. */
function effectiveSharesProblem(def: ExperimentDefinition): string | null {
  const p = policyOf(def);
  return sharesProblem(p.floors ?? null, p.caps ?? null);
}

/**
 * Probability that the next select serves each arm: the policy's allocation while running
 * (equal shares, within floors and caps, while an arm has fewer observations than the
 * minimum sample — the burn-in);
 * after a winner, (1 − exploration) on the winner plus exploration × the policy's allocation.
 */
/** Experiments whose view numbers are kept (the map is cleared when full). */
const POSTERIOR_VIEWS_MAX = 10_000;

interface PosteriorViewMemo {
  key: string;
  summary: ReturnType<typeof summarizeArms>;
  allocation: number[];
  evaluation: StoppingEvaluation;
}

export function liveAllocation(def: ExperimentDefinition, c: Pick<ArmCounters, 'alpha' | 'beta'>, status: StoredStatus): number[] {
  const k = def.arms.length;
  if (status.status === 'stopped') return new Array<number>(k).fill(0);
  if (status.status === 'paused') return Array.from({ length: k }, (_, i) => (i === 0 ? 1 : 0));
  const winner = status.status === 'concluded' ? status.winner : null;
  if (winner !== null && def.exploration === 0) return Array.from({ length: k }, (_, i) => (i === winner ? 1 : 0));
  const policy = allocationProbabilities(
    c.alpha.map((alpha, i) => ({ alpha, beta: c.beta[i] })),
    { ...policyOf(def), burnIn: def.stopping.minSamplesPerArm },
    c.alpha.map((alpha, i) => Math.round(alpha + c.beta[i] - def.prior[i].alpha - def.prior[i].beta)),
  );
  if (winner === null) return policy;
  return policy.map((p, i) => def.exploration * p + (i === winner ? 1 - def.exploration : 0));
}
