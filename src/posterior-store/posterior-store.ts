/**
 * The posterior store: where the live state of every experiment lives (α, β, assignments
 * and reward sums per arm, status, outstanding assignments, sticky units). Each store owns
 * the event queue (src/event-queue) its state changes are appended to.
 *
 * Two implementations behind this one interface, chosen once from config:
 * `DragonflyPosteriorStore` (Dragonfly / Redis, shared by every replica) and
 * `MemoryPosteriorStore` (in-process, the embedded default).
 *
 * Every state change and the event describing it are recorded in one atomic step, so
 * an acknowledged select or reward is never only in process memory of a Redis-backed
 * service (see docs/service.md, "Durability").
 */
import type { EventQueue } from '../event-queue/event-queue';

/** `paused` ranks with `running` (pause and resume swap the two by compare-and-set). */
export type ExperimentStatus = 'running' | 'paused' | 'concluded' | 'stopped';

export interface StoredStatus {
  status: ExperimentStatus;
  /** Index of the declared winner while concluded (null: concluded without a winner, or not concluded). */
  winner: number | null;
}

export interface PosteriorRead {
  status: StoredStatus;
  alpha: number[];
  beta: number[];
  /** The unit's earlier assignment, when a unit id was asked for and it has one. */
  sticky?: { arm: number; propensity: number };
}

export interface ArmCounters {
  alpha: number[];
  beta: number[];
  /** Times each arm was served (select events; stored under the `:pulls` key). */
  assignments: number[];
  rewards: number[];
}

export interface SelectionRecord {
  experimentId: string;
  decisionId: string;
  /** The decision's key suffix (`<arm>.<random>`), see decision-id.ts. */
  token: string;
  arm: number;
  propensity: number;
  unitId?: string;
  /** Keep the unit on its first arm. */
  sticky: boolean;
  ttlSeconds: number;
  at: number;
  /**
   * The encoded status the arm was chosen under: when the stored status differs (a winner
   * was declared meanwhile) nothing is written and the outcome is `status-changed`.
   */
  expectedStatus?: string;
  /** Deadline (ms) of the conversion window: the decision stays open until then. */
  windowDeadline?: number;
  /** A holdout decision: no pull, its reward leaves α and β alone, its events are hselect / hreward. */
  holdout?: boolean;
  /**
   * A client's key for this request (a Seldon puid): the first selection with the key is
   * recorded, later ones (any replica) answer that decision and record nothing.
   */
  requestKey?: string;
}

export type SelectionOutcome =
  /** `decisionId`: set when the request key named an earlier decision (answer that one). */
  | { kind: 'recorded'; arm: number; propensity: number; decisionId?: string }
  /** sticky unit already assigned to another arm (a concurrent first select): select again with it */
  | { kind: 'sticky'; arm: number; propensity: number }
  | { kind: 'status-changed'; status: StoredStatus }
  | { kind: 'missing' }
  | { kind: 'stopped' }
  /** paused: nothing recorded, the caller serves the control */
  | { kind: 'paused' };

export interface RewardRecord {
  experimentId: string;
  decisionId: string;
  token: string;
  arm: number;
  reward: number;
  at: number;
  /** The experiment has a conversion window: a reward after the decision's deadline is refused. */
  windowed?: boolean;
}

export type RewardOutcome =
  | { kind: 'counted'; alpha: number; beta: number }
  | { kind: 'duplicate'; reward: number; at: number }
  | { kind: 'unknown' }
  | { kind: 'missing' }
  | { kind: 'stopped' }
  /** the decision's conversion window closed (its default reward was or will be counted) */
  | { kind: 'window_closed' };

/**
 * A reward counted on an arm without a decision: feedback that names the arm it was routed
 * to (e.g. Seldon's routing injection) but no decision this service issued. `token`
 * identifies the feedback (its idempotency key, hashed); the event is logged under
 * `eventId` with propensity 0 (unknown: no logged decision to evaluate off-policy).
 */
export interface ArmRewardRecord {
  experimentId: string;
  token: string;
  eventId: string;
  arm: number;
  reward: number;
  ttlSeconds: number;
  at: number;
}

export type ArmRewardOutcome =
  | { kind: 'counted'; alpha: number; beta: number }
  | { kind: 'duplicate'; reward: number; at: number; arm: number }
  | { kind: 'missing' }
  | { kind: 'stopped' };

/**
 * `if-missing`: only when the status marker is missing (creation races, automatic rebuild);
 * `overwrite`: replaces the counters, never moves the status back (manual rebuild);
 * `reset`: replaces everything (a new experiment over leftovers of an old one).
 */
export type WriteMode = 'if-missing' | 'overwrite' | 'reset';

/** Order of the status machine: running → concluded → stopped; a change never goes back. */
export function statusRank(s: StoredStatus): number {
  return s.status === 'stopped' ? 2 : s.status === 'concluded' ? 1 : 0;
}

/** Counters of a fresh experiment: the priors, nothing served. */
export function priorCounters(priors: ReadonlyArray<{ alpha: number; beta: number }>): ArmCounters {
  return { alpha: priors.map((p) => p.alpha), beta: priors.map((p) => p.beta), assignments: priors.map(() => 0), rewards: priors.map(() => 0) };
}

export interface PosteriorStore {
  readonly kind: 'dragonfly' | 'memory';
  /**
   * The queue every recorded event is appended to, in the same atomic step as the state
   * change it describes; the event consumer reads and acknowledges it (src/event-queue).
   */
  readonly queue: EventQueue;
  /**
   * Writes the experiment's counters and status. `if-missing` writes nothing when the
   * status marker exists (creation, automatic rebuild: a replica that rebuilt first wins);
   * `overwrite` replaces them (manual rebuild). Outstanding decisions are kept. Returns
   * whether it wrote. `baseEventId`: the highest event-store row id the counters include
   * (a rebuild's base); a queued event stored later with a higher row id is counted by `ack`
   * when the counters could not have seen it.
   */
  writeState(experimentId: string, counters: ArmCounters, status: StoredStatus, mode: WriteMode, baseEventId?: number): Promise<boolean>;
  /** α, β and status in one round trip; null when the experiment's state is missing. */
  readPosteriors(experimentId: string, armCount: number, unitId?: string): Promise<PosteriorRead | null>;
  /** Every counter of every arm; null when missing. */
  readCounters(experimentId: string, armCount: number): Promise<(ArmCounters & { status: StoredStatus }) | null>;
  recordSelection(record: SelectionRecord): Promise<SelectionOutcome>;
  /** Checks and marks the decision, updates α, β and queues the event — atomically. */
  recordReward(record: RewardRecord): Promise<RewardOutcome>;
  /** Checks and marks the feedback token, updates α, β and queues the event — atomically. */
  recordArmReward(record: ArmRewardRecord): Promise<ArmRewardOutcome>;
  /**
   * Advances the status (running → concluded → stopped): a status of lower or equal rank
   * than the stored one changes nothing. False when the experiment's state is missing.
   */
  setStatus(experimentId: string, status: StoredStatus): Promise<boolean>;
  /**
   * Compare-and-set of the status marker between `running` and `paused` (pause, resume):
   * changes it only while it is `from`. `same` when it already is `to`.
   */
  swapStatus(experimentId: string, from: 'running' | 'paused', to: 'running' | 'paused'): Promise<'changed' | 'same' | 'mismatch' | 'missing'>;
  /**
   * Counts the default reward of up to `max` open decisions whose window closed by `now`,
   * each exactly once across every process sweeping (an atomic claim per decision).
   * Returns how many this call counted.
   */
  sweepWindows(experimentId: string, now: number, defaultReward: number, max: number): Promise<number>;
  /** Open decisions (window not closed yet) per arm. */
  openAssignments(experimentId: string, armCount: number): Promise<number[]>;
  /** Starts arms `from`… at their priors (only keys that do not exist yet are written). */
  addArms(experimentId: string, from: number, priors: ReadonlyArray<{ alpha: number; beta: number }>): Promise<void>;
  /**
   * The shared request limit's counts (src/http/rate-limit.ts): adds `n` to `client`'s
   * bucket of minute `window`; returns it and the previous minute's.
   */
  countRequests(client: string, window: number, n: number): Promise<{ current: number; previous: number }>;
  /** Removes every key of the experiment (tests, and `restore` after a loss). */
  drop(experimentId: string, armCount: number): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const POSTERIOR_STORE = Symbol('PosteriorStore');

export function encodeStatus(s: StoredStatus): string {
  if (s.status === 'concluded') return `concluded:${s.winner ?? -1}`;
  return s.status;
}

export function decodeStatus(raw: string): StoredStatus {
  if (raw === 'running' || raw === 'stopped' || raw === 'paused') return { status: raw, winner: null };
  if (raw.startsWith('concluded:')) {
    const w = Number(raw.slice('concluded:'.length));
    return { status: 'concluded', winner: Number.isInteger(w) && w >= 0 ? w : null };
  }
  throw new Error(`unreadable experiment status ${JSON.stringify(raw)}`);
}
