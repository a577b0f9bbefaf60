/**
 * The embedded default posterior store: the same state as the Dragonfly store, kept in
 * this process. Its "stream" is an in-memory queue (MemoryEventQueue) that the event
 * consumer moves into the event store (SQLite by default) every `eventFlushIntervalMs`: an acknowledged
 * event lives only in process memory until that flush, so a crash loses at most one
 * flush interval of events. The posteriors themselves are rebuilt from the event store
 * at startup (the store starts empty, every experiment is "missing").
 */
import {
  encodeStatus,
  statusRank,
  type ArmCounters,
  type ArmRewardOutcome,
  type ArmRewardRecord,
  type PosteriorRead,
  type PosteriorStore,
  type RewardOutcome,
  type RewardRecord,
  type SelectionOutcome,
  type SelectionRecord,
  type StoredStatus,
  type WriteMode,
} from './posterior-store';
import { MemoryEventQueue } from '../event-queue/memory.queue';

interface Decision {
  arm: number;
  propensity: number;
  unitId: string;
  expiresAt: number;
  reward?: { value: number; at: number };
  /** Deadline (ms) of the conversion window while it is open. */
  deadline?: number;
  /** The window closed unrewarded: its default reward was counted. */
  windowClosed?: boolean;
  /** Kept out of the posterior (holdout). */
  holdout?: boolean;
}

interface ExperimentState extends ArmCounters {
  status: StoredStatus;
  decisions: Map<string, Decision>;
  units: Map<string, { arm: number; propensity: number }>;
}

const SWEEP_EVERY = 10_000;

export class MemoryPosteriorStore implements PosteriorStore {
  readonly kind = 'memory' as const;
  private readonly experiments = new Map<string, ExperimentState>();
  /** The in-process queue every recorded event is appended to. */
  readonly queue = new MemoryEventQueue();
  /** Request keys (Seldon puids) → the decision served for them. */
  private readonly requests = new Map<string, { decisionId: string; arm: number; propensity: number; expiresAt: number }>();
  private writes = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async writeState(experimentId: string, c: ArmCounters, status: StoredStatus, mode: WriteMode): Promise<boolean> {
    const prev = this.experiments.get(experimentId);
    if (prev && mode === 'if-missing') return false;
    const keep = prev && mode === 'overwrite' && statusRank(prev.status) >= statusRank(status);
    this.experiments.set(experimentId, {
      status: keep ? prev.status : { ...status },
      alpha: [...c.alpha],
      beta: [...c.beta],
      assignments: [...c.assignments],
      rewards: [...c.rewards],
      decisions: prev?.decisions ?? new Map(),
      units: prev?.units ?? new Map(),
    });
    return true;
  }

  async readPosteriors(experimentId: string, armCount: number, unitId?: string): Promise<PosteriorRead | null> {
    const e = this.experiments.get(experimentId);
    if (!e || e.alpha.length < armCount) return null;
    const out: PosteriorRead = { status: { ...e.status }, alpha: e.alpha.slice(0, armCount), beta: e.beta.slice(0, armCount) };
    const sticky = unitId !== undefined ? e.units.get(unitId) : undefined;
    if (sticky) out.sticky = { ...sticky };
    return out;
  }

  async readCounters(experimentId: string, armCount: number): Promise<(ArmCounters & { status: StoredStatus }) | null> {
    const e = this.experiments.get(experimentId);
    if (!e || e.alpha.length < armCount) return null;
    return { status: { ...e.status }, alpha: [...e.alpha], beta: [...e.beta], assignments: [...e.assignments], rewards: [...e.rewards] };
  }

  async recordSelection(r: SelectionRecord): Promise<SelectionOutcome> {
    const e = this.experiments.get(r.experimentId);
    if (!e) return { kind: 'missing' };
    if (e.status.status === 'stopped') return { kind: 'stopped' };
    if (e.status.status === 'paused') return { kind: 'paused' };
    if (r.expectedStatus !== undefined && r.expectedStatus !== '' && r.expectedStatus !== encodeStatus(e.status)) return { kind: 'status-changed', status: { ...e.status } };
    const requestKey = r.requestKey === undefined ? undefined : `${r.experimentId}\u0000${r.requestKey}`;
    const bound = requestKey === undefined ? undefined : this.requests.get(requestKey);
    if (bound && bound.expiresAt > this.now()) return { kind: 'recorded', arm: bound.arm, propensity: bound.propensity, decisionId: bound.decisionId };
    let propensity = r.propensity;
    if (r.sticky && r.unitId !== undefined) {
      const prev = e.units.get(r.unitId);
      if (prev && prev.arm !== r.arm) return { kind: 'sticky', arm: prev.arm, propensity: prev.propensity };
      if (prev) propensity = prev.propensity;
      else e.units.set(r.unitId, { arm: r.arm, propensity });
    }
    const at = this.now();
    e.decisions.set(r.token, { arm: r.arm, propensity, unitId: r.unitId ?? '', expiresAt: at + r.ttlSeconds * 1000, deadline: r.windowDeadline, holdout: r.holdout });
    if (!r.holdout) e.assignments[r.arm] += 1;
    if (requestKey !== undefined) this.requests.set(requestKey, { decisionId: r.decisionId, arm: r.arm, propensity, expiresAt: at + r.ttlSeconds * 1000 });
    this.queue.push({ experimentId: r.experimentId, type: r.holdout ? 'hselect' : 'select', decisionId: r.decisionId, arm: r.arm, propensity, reward: null, unitId: r.unitId ?? null, at: r.at });
    if (++this.writes % SWEEP_EVERY === 0) this.sweep(at);
    return { kind: 'recorded', arm: r.arm, propensity };
  }

  async recordReward(r: RewardRecord): Promise<RewardOutcome> {
    const e = this.experiments.get(r.experimentId);
    if (!e) return { kind: 'missing' };
    const d = e.decisions.get(r.token);
    if (!d || d.expiresAt <= this.now() || d.arm !== r.arm) return { kind: 'unknown' };
    if (d.windowClosed || (r.windowed && d.deadline !== undefined && d.deadline <= r.at && !d.reward)) return { kind: 'window_closed' };
    if (d.reward) return { kind: 'duplicate', reward: d.reward.value, at: d.reward.at };
    if (e.status.status === 'stopped') return { kind: 'stopped' };
    d.deadline = undefined;
    if (!d.holdout) {
      e.alpha[r.arm] += r.reward;
      e.beta[r.arm] += 1 - r.reward;
      e.rewards[r.arm] += r.reward;
    }
    d.reward = { value: r.reward, at: r.at };
    this.queue.push({ experimentId: r.experimentId, type: d.holdout ? 'hreward' : 'reward', decisionId: r.decisionId, arm: r.arm, propensity: d.propensity, reward: r.reward, unitId: d.unitId || null, at: r.at });
    return { kind: 'counted', alpha: e.alpha[r.arm], beta: e.beta[r.arm] };
  }

  async recordArmReward(r: ArmRewardRecord): Promise<ArmRewardOutcome> {
    const e = this.experiments.get(r.experimentId);
    if (!e) return { kind: 'missing' };
    // the feedback marker lives beside the decisions (same expiry sweep), under a key no decision token has
    const key = `fb:${r.token}`;
    const seen = e.decisions.get(key);
    if (seen?.reward && seen.expiresAt > this.now()) return { kind: 'duplicate', reward: seen.reward.value, at: seen.reward.at, arm: seen.arm };
    if (e.status.status === 'stopped') return { kind: 'stopped' };
    e.alpha[r.arm] += r.reward;
    e.beta[r.arm] += 1 - r.reward;
    e.rewards[r.arm] += r.reward;
    e.decisions.set(key, { arm: r.arm, propensity: 0, unitId: '', expiresAt: this.now() + r.ttlSeconds * 1000, reward: { value: r.reward, at: r.at } });
    this.queue.push({ experimentId: r.experimentId, type: 'reward', decisionId: r.eventId, arm: r.arm, propensity: 0, reward: r.reward, unitId: null, at: r.at });
    return { kind: 'counted', alpha: e.alpha[r.arm], beta: e.beta[r.arm] };
  }

  async setStatus(experimentId: string, status: StoredStatus): Promise<boolean> {
    const e = this.experiments.get(experimentId);
    if (!e) return false;
    if (statusRank(status) > statusRank(e.status)) e.status = { ...status };
    return true;
  }

  async sweepWindows(experimentId: string, now: number, defaultReward: number, max: number): Promise<number> {
    const e = this.experiments.get(experimentId);
    if (!e) return 0;
    let counted = 0;
    for (const [token, d] of e.decisions) {
      if (counted >= max) break;
      if (d.deadline === undefined || d.deadline > now || d.reward) continue;
      d.deadline = undefined;
      if (e.status.status === 'stopped') continue;
      d.windowClosed = true;
      if (!d.holdout) {
        e.alpha[d.arm] += defaultReward;
        e.beta[d.arm] += 1 - defaultReward;
        e.rewards[d.arm] += defaultReward;
      }
      this.queue.push({ experimentId, type: d.holdout ? 'hreward' : 'reward', decisionId: `${experimentId}.${token}`, arm: d.arm, propensity: d.propensity, reward: defaultReward, unitId: d.unitId || null, at: now });
      counted++;
    }
    return counted;
  }

  async openAssignments(experimentId: string, armCount: number): Promise<number[]> {
    const out = new Array<number>(armCount).fill(0);
    for (const d of this.experiments.get(experimentId)?.decisions.values() ?? []) if (d.deadline !== undefined && !d.reward && d.arm < armCount) out[d.arm]++;
    return out;
  }

  async swapStatus(experimentId: string, from: 'running' | 'paused', to: 'running' | 'paused'): Promise<'changed' | 'same' | 'mismatch' | 'missing'> {
    const e = this.experiments.get(experimentId);
    if (!e) return 'missing';
    if (e.status.status === to) return 'same';
    if (e.status.status !== from) return 'mismatch';
    e.status = { status: to, winner: null };
    return 'changed';
  }

  async addArms(experimentId: string, from: number, priors: ReadonlyArray<{ alpha: number; beta: number }>): Promise<void> {
    const e = this.experiments.get(experimentId);
    if (!e) return;
    priors.forEach((p, j) => {
      const k = from + j;
      if (e.alpha.length > k) return;
      e.alpha.push(p.alpha);
      e.beta.push(p.beta);
      e.assignments.push(0);
      e.rewards.push(0);
    });
  }

  private readonly requestCounts = memoryRateCounter();

  countRequests(client: string, window: number, n: number): Promise<{ current: number; previous: number }> {
    return this.requestCounts(client, window, n);
  }

  async drop(experimentId: string): Promise<void> {
    this.experiments.delete(experimentId);
    this.queue.dropExperiment(experimentId);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}

  private sweep(now: number): void {
    for (const e of this.experiments.values()) for (const [k, d] of e.decisions) if (d.expiresAt <= now) e.decisions.delete(k);
    for (const [k, d] of this.requests) if (d.expiresAt <= now) this.requests.delete(k);
  }
}

/** The shared request limit's counts in one process: minute buckets in a map. */
function memoryRateCounter(): (client: string, window: number, n: number) => Promise<{ current: number; previous: number }> {
  const buckets = new Map<string, number>();
  let oldest = Infinity;
  return async (client, window, n) => {
    if (window - 2 > oldest) {
      for (const k of buckets.keys()) if (Number(k.slice(0, k.indexOf('|'))) < window - 1) buckets.delete(k);
      oldest = window - 1;
    }
    oldest = Math.min(oldest, window);
    const key = `${window}|${client}`;
    const current = (buckets.get(key) ?? 0) + n;
    buckets.set(key, current);
    return { current, previous: buckets.get(`${window - 1}|${client}`) ?? 0 };
  };
}
