/**
 * Posterior store on Dragonfly / Redis (any server speaking the Redis protocol with Lua
 * and streams). All keys of an experiment share the hash tag `{<exp_id>}` (see keys.ts),
 * so each script touches one slot and works unchanged on a cluster.
 *
 * - readPosteriors: one MGET (plus an HGET for sticky units, pipelined) — one round trip.
 * - recordSelection / recordReward: one Lua script each; the event is appended to the
 *   experiment's stream inside the same script, so state and event never diverge.
 * - `queue`: the experiments' streams as the event queue (DragonflyEventQueue, on the same
 *   client); entries are acknowledged and deleted only after the event store committed them.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { CONSUMER_GROUP, DragonflyEventQueue } from '../event-queue/dragonfly.queue';
import { keys, posteriorKeys, rateKey } from './keys';
import { luaScript } from './lua-scripts';
import { mapFailures, unavailableError } from './redis-client';
import {
  decodeStatus,
  encodeStatus,
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

type ScriptReply = Array<string | null>;

interface BanditCommands {
  /** One array: key count, keys, arguments (ioredis flattens it into the command). */
  banditSelect(args: Array<string | number>): Promise<ScriptReply>;
  banditReward(args: Array<string | number>): Promise<ScriptReply>;
  banditArmReward(...args: Array<string | number>): Promise<ScriptReply>;
  banditWriteState(...args: Array<string | number>): Promise<number>;
  banditSetStatus(...args: Array<string | number>): Promise<[number, string]>;
  banditSwapStatus(...args: Array<string | number>): Promise<string>;
  banditExpireDecision(...args: Array<string | number>): Promise<string>;
  banditRate(...args: Array<string | number>): Promise<[number, number]>;
}

type Client = (Redis | Cluster) & BanditCommands;


/**
 * Every operation of the store whose failures are reported with the store's address and
 * cause, through a wrapper. The per-request operations (readPosteriors, recordSelection,
 * recordReward) map their failures themselves, without the wrapper's closure and extra
 * promise per call.
 */
const OPERATIONS = ['writeState', 'readCounters', 'setStatus', 'drop', 'ping'] as const;

/** Key names of one experiment that every select and reward uses, built once. */
interface ExperimentKeys {
  state: string;
  events: string;
  units: string;
  open: string;
  /** `experiment:{id}:d:` — a decision's key is this plus its token. */
  decisionPrefix: string;
  /** Per arm, grown on demand. */
  pulls: string[];
  alpha: string[];
  beta: string[];
  rewards: string[];
}

/** Experiments whose key names are kept (more are rebuilt on demand; the cache starts over). */
const KEY_CACHE_MAX = 10_000;

export class DragonflyPosteriorStore implements PosteriorStore {
  readonly kind = 'dragonfly' as const;
  private readonly client: Client;
  /** Key names per experiment (see experimentKeys). */
  private readonly keyCache = new Map<string, ExperimentKeys>();
  /** The stream every script of this store appends its event to, on the same client. */
  readonly queue: DragonflyEventQueue;

  /** For messages: "redis host:port". */
  readonly address: string;

  /**
   * `claimIdleMs`: how long another consumer's unacknowledged queue entries wait before being
   * taken over (default 30 s, see DragonflyEventQueue); `address`: how operators' messages
   * name the store.
   */
  constructor(client: Redis | Cluster, opts: { claimIdleMs?: number; address?: string } = {}) {
    this.client = client as Client;
    this.address = opts.address ?? 'redis';
    this.queue = new DragonflyEventQueue(client, opts);
    // a connection failure or a command timeout becomes one 503 naming the store, its address and the cause
    mapFailures<PosteriorStore>(this, OPERATIONS, (err) => this.unavailable(err));
    const define = (name: keyof BanditCommands, script: Parameters<typeof luaScript>[0]) => {
      if (typeof (this.client as unknown as Record<string, unknown>)[name] !== 'function') this.client.defineCommand(name, { lua: luaScript(script) });
    };
    define('banditSelect', 'select');
    define('banditReward', 'reward');
    define('banditWriteState', 'write-state');
    define('banditSetStatus', 'set-status');
    define('banditArmReward', 'arm-reward');
    define('banditSwapStatus', 'swap-status');
    define('banditExpireDecision', 'expire-decision');
    define('banditRate', 'rate');
  }

  async writeState(experimentId: string, counters: ArmCounters, status: StoredStatus, mode: WriteMode, baseEventId?: number): Promise<boolean> {
    const id = experimentId;
    // a new experiment (reset) counts nothing queued before it, whatever its row id
    baseEventId ??= mode === 'reset' ? Number.MAX_SAFE_INTEGER : 0;
    const ks: string[] = [keys.state(id), keys.events(id), keys.fence(id)];
    const args: Array<string | number> = [mode, encodeStatus(status), CONSUMER_GROUP, String(baseEventId)];
    for (let k = 0; k < counters.alpha.length; k++) {
      ks.push(keys.alpha(id, k), keys.beta(id, k), keys.pulls(id, k), keys.rewards(id, k));
      args.push(String(counters.alpha[k]), String(counters.beta[k]), String(counters.assignments[k]), String(counters.rewards[k]));
    }
    return (await this.client.banditWriteState(ks.length, ...ks, ...args)) === 1;
  }

  async readPosteriors(experimentId: string, armCount: number, unitId?: string): Promise<PosteriorRead | null> {
    let values: Array<string | null>;
    let sticky: string | null | undefined;
    try {
      const mget = this.client.mget(posteriorKeys(experimentId, armCount));
      const stickyP = unitId !== undefined ? this.client.hget(keys.units(experimentId), unitId) : undefined;
      [values, sticky] = await Promise.all([mget, stickyP]);
    } catch (err) {
      throw this.unavailable(err);
    }
    if (values[0] === null) return null;
    const alpha = new Array<number>(armCount);
    const beta = new Array<number>(armCount);
    for (let k = 0; k < armCount; k++) {
      const a = values[1 + 2 * k];
      const b = values[2 + 2 * k];
      if (a === null || b === null) return null;
      alpha[k] = Number(a);
      beta[k] = Number(b);
    }
    const out: PosteriorRead = { status: decodeStatus(values[0]), alpha, beta };
    if (sticky) out.sticky = parseAssignment(sticky);
    return out;
  }

  async readCounters(experimentId: string, armCount: number): Promise<(ArmCounters & { status: StoredStatus }) | null> {
    const ks = [keys.state(experimentId)];
    for (let k = 0; k < armCount; k++) ks.push(keys.alpha(experimentId, k), keys.beta(experimentId, k), keys.pulls(experimentId, k), keys.rewards(experimentId, k));
    const v = await this.client.mget(ks);
    if (v[0] === null || v.some((x) => x === null)) return null;
    const pick = (j: number) => Array.from({ length: armCount }, (_, k) => Number(v[1 + 4 * k + j]));
    return { status: decodeStatus(v[0]), alpha: pick(0), beta: pick(1), assignments: pick(2), rewards: pick(3) };
  }

  /** The key names of an experiment with those of arms 0..arm, built once per experiment. */
  private experimentKeys(id: string, arm: number): ExperimentKeys {
    let ks = this.keyCache.get(id);
    if (ks === undefined) {
      if (this.keyCache.size >= KEY_CACHE_MAX) this.keyCache.clear();
      ks = { state: keys.state(id), events: keys.events(id), units: keys.units(id), open: keys.open(id), decisionPrefix: keys.decision(id, ''), pulls: [], alpha: [], beta: [], rewards: [] };
      this.keyCache.set(id, ks);
    }
    for (let k = ks.pulls.length; k <= arm; k++) {
      ks.pulls.push(keys.pulls(id, k));
      ks.alpha.push(keys.alpha(id, k));
      ks.beta.push(keys.beta(id, k));
      ks.rewards.push(keys.rewards(id, k));
    }
    return ks;
  }

  async recordSelection(r: SelectionRecord): Promise<SelectionOutcome> {
    const id = r.experimentId;
    const ks = this.experimentKeys(id, r.arm);
    // one argument array (key count, keys, arguments), no spreads; the optional keys come last
    const numKeys = 5 + (r.requestKey !== undefined ? 1 : 0) + (r.windowDeadline !== undefined ? 1 : 0);
    const args: Array<string | number> = [numKeys, ks.state, ks.decisionPrefix + r.token, ks.pulls[r.arm], ks.events, ks.units];
    if (r.requestKey !== undefined) args.push(keys.request(id, createHash('sha256').update(r.requestKey).digest('base64url')));
    // the open set is the last key when the decision has a conversion window
    if (r.windowDeadline !== undefined) args.push(ks.open);
    args.push(
      r.arm,
      String(r.propensity),
      r.ttlSeconds,
      r.decisionId,
      r.unitId ?? '',
      r.at,
      r.sticky && r.unitId !== undefined ? '1' : '0',
      r.expectedStatus ?? '',
      r.windowDeadline === undefined ? '' : String(r.windowDeadline),
      r.holdout ? '1' : '0',
    );
    let reply: ScriptReply;
    try {
      reply = await this.client.banditSelect(args);
    } catch (err) {
      throw this.unavailable(err);
    }
    switch (reply[0]) {
      case 'recorded': {
        const out: SelectionOutcome = { kind: 'recorded', arm: Number(reply[1]), propensity: Number(reply[2]) };
        if (reply[3]) out.decisionId = reply[3];
        return out;
      }
      case 'sticky':
        return { kind: 'sticky', arm: Number(reply[1]), propensity: Number(reply[2]) };
      case 'status':
        return { kind: 'status-changed', status: decodeStatus(String(reply[1])) };
      case 'missing':
        return { kind: 'missing' };
      case 'stopped':
        return { kind: 'stopped' };
      case 'paused':
        return { kind: 'paused' };
      default:
        throw new Error(`unexpected reply of the select script: ${JSON.stringify(reply)}`);
    }
  }

  async recordReward(r: RewardRecord): Promise<RewardOutcome> {
    const ks = this.experimentKeys(r.experimentId, r.arm);
    const args: Array<string | number> = [r.windowed ? 7 : 6, ks.state, ks.decisionPrefix + r.token, ks.alpha[r.arm], ks.beta[r.arm], ks.rewards[r.arm], ks.events];
    if (r.windowed) args.push(ks.open);
    args.push(String(r.reward), String(1 - r.reward), r.decisionId, r.arm, r.at, randomBytes(6).toString('base64url'));
    let reply: ScriptReply;
    try {
      reply = await this.client.banditReward(args);
    } catch (err) {
      throw this.unavailable(err);
    }
    switch (reply[0]) {
      case 'counted':
        return { kind: 'counted', alpha: Number(reply[1]), beta: Number(reply[2]) };
      case 'duplicate': {
        const [, reward, at] = String(reply[1]).split('|');
        return { kind: 'duplicate', reward: Number(reward), at: Number(at) };
      }
      case 'unknown':
      case 'missing':
      case 'stopped':
      case 'window_closed':
        return { kind: reply[0] };
      default:
        throw new Error(`unexpected reply of the reward script: ${JSON.stringify(reply)}`);
    }
  }

  async recordArmReward(r: ArmRewardRecord): Promise<ArmRewardOutcome> {
    const id = r.experimentId;
    const reply = await this.client.banditArmReward(
      6,
      keys.state(id),
      keys.armFeedback(id, r.token),
      keys.alpha(id, r.arm),
      keys.beta(id, r.arm),
      keys.rewards(id, r.arm),
      keys.events(id),
      String(r.reward),
      String(1 - r.reward),
      r.eventId,
      r.arm,
      r.at,
      r.ttlSeconds,
    );
    switch (reply[0]) {
      case 'counted':
        return { kind: 'counted', alpha: Number(reply[1]), beta: Number(reply[2]) };
      case 'duplicate': {
        const [, reward, at, arm] = String(reply[1]).split('|');
        return { kind: 'duplicate', reward: Number(reward), at: Number(at), arm: Number(arm) };
      }
      case 'missing':
      case 'stopped':
        return { kind: reply[0] };
      default:
        throw new Error(`unexpected reply of the arm-reward script: ${JSON.stringify(reply)}`);
    }
  }

  async setStatus(experimentId: string, status: StoredStatus): Promise<boolean> {
    const [found] = await this.client.banditSetStatus(1, keys.state(experimentId), encodeStatus(status));
    return found === 1;
  }

  async sweepWindows(experimentId: string, now: number, defaultReward: number, max: number): Promise<number> {
    const id = experimentId;
    const due = await this.client.zrangebyscore(keys.open(id), '-inf', now, 'LIMIT', 0, max);
    let counted = 0;
    for (const token of due) {
      const arm = Number(token.slice(0, token.indexOf('.')));
      if (!Number.isInteger(arm) || arm < 0) {
        await this.client.zrem(keys.open(id), token);
        continue;
      }
      const r = await this.client.banditExpireDecision(
        7,
        keys.state(id),
        keys.open(id),
        keys.decision(id, token),
        keys.alpha(id, arm),
        keys.beta(id, arm),
        keys.rewards(id, arm),
        keys.events(id),
        token,
        now,
        String(defaultReward),
        String(1 - defaultReward),
        `${id}.${token}`,
        arm,
      );
      if (r === 'counted') counted++;
      // the state is missing: the next sweep after its rebuild counts the rest
      if (r === 'missing') break;
    }
    return counted;
  }

  async openAssignments(experimentId: string, armCount: number): Promise<number[]> {
    const out = new Array<number>(armCount).fill(0);
    for (const token of await this.client.zrange(keys.open(experimentId), 0, -1)) {
      const arm = Number(token.slice(0, token.indexOf('.')));
      if (arm >= 0 && arm < armCount) out[arm]++;
    }
    return out;
  }

  async swapStatus(experimentId: string, from: 'running' | 'paused', to: 'running' | 'paused'): Promise<'changed' | 'same' | 'mismatch' | 'missing'> {
    return (await this.client.banditSwapStatus(1, keys.state(experimentId), from, to)) as 'changed' | 'same' | 'mismatch' | 'missing';
  }

  async addArms(experimentId: string, from: number, priors: ReadonlyArray<{ alpha: number; beta: number }>): Promise<void> {
    const id = experimentId;
    await Promise.all(
      priors.flatMap((p, j) => [
        this.client.set(keys.alpha(id, from + j), String(p.alpha), 'NX'),
        this.client.set(keys.beta(id, from + j), String(p.beta), 'NX'),
        this.client.set(keys.pulls(id, from + j), '0', 'NX'),
        this.client.set(keys.rewards(id, from + j), '0', 'NX'),
      ]),
    );
  }


  async countRequests(client: string, window: number, n: number): Promise<{ current: number; previous: number }> {
    const [current, previous] = await this.client.banditRate(2, rateKey(client, window), rateKey(client, window - 1), n, 150_000);
    return { current: Number(current), previous: Number(previous) };
  }

  async drop(experimentId: string, armCount: number): Promise<void> {
    const ks = [keys.state(experimentId), keys.units(experimentId), keys.events(experimentId), keys.open(experimentId), keys.fence(experimentId)];
    for (let k = 0; k < armCount; k++) ks.push(keys.alpha(experimentId, k), keys.beta(experimentId, k), keys.pulls(experimentId, k), keys.rewards(experimentId, k));
    await this.client.del(...ks);
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  private unavailable(err: unknown): unknown {
    return unavailableError(this.client, 'the posterior store', this.address, err);
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

function parseAssignment(v: string): { arm: number; propensity: number } {
  const sep = v.indexOf('|');
  return { arm: Number(v.slice(0, sep)), propensity: Number(v.slice(sep + 1)) };
}

