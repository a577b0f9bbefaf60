/**
 * The event queue on Dragonfly / Redis: one stream per experiment (`experiment:{id}:events`,
 * appended by the posterior store's scripts in the same step as the state change) with one
 * consumer group. Every reader has a consumer name of its own, so batches spread over the
 * replicas, and entries a crashed replica read but never acknowledged are taken over by
 * another after `claimIdleMs`. Entries are acknowledged and deleted only after the event
 * store committed them, by settle.lua, which is fenced against rebuilds (see `ack`).
 *
 * It shares the posterior store's client (DragonflyPosteriorStore creates it on its own
 * connection): the stream, the fence and the counters it settles into are the store's keys.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { keys } from '../posterior-store/keys';
import { luaScript } from '../posterior-store/lua-scripts';
import { mapFailures, unavailableError } from '../posterior-store/redis-client';
import type { EventQueue, EventType, QueuedEvent, QueueStats, RowIdLookup } from './event-queue';

export const CONSUMER_GROUP = 'bandit-events';
/** Entries another consumer read but did not acknowledge for this long are taken over. */
const CLAIM_IDLE_MS = 30_000;
/** Experiments whose fence is remembered (more start over: the first acknowledgement asks again). */
const FENCE_CACHE_MAX = 10_000;

interface QueueCommands {
  banditSettle(...args: Array<string | number>): Promise<[number | string, string]>;
}

type Client = (Redis | Cluster) & QueueCommands;

type Entry = [string, string[]];

export class DragonflyEventQueue implements EventQueue {
  readonly kind = 'dragonfly' as const;
  readonly fenced = true;
  private readonly client: Client;
  private readonly consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly claimIdleMs: number;
  /** Per stream: when idle entries of other consumers were last looked for. */
  private readonly lastClaim = new Map<string, number>();
  /** Per experiment, the fence of its state as the last acknowledgement saw it (settle.lua). */
  private readonly fences = new Map<string, string>();

  /**
   * `claimIdleMs`: how long another consumer's unacknowledged entries wait before being
   * taken over (default 30 s); `address`: how operators' messages name the server.
   */
  constructor(client: Redis | Cluster, opts: { claimIdleMs?: number; address?: string } = {}) {
    this.client = client as Client;
    this.claimIdleMs = opts.claimIdleMs ?? CLAIM_IDLE_MS;
    const address = opts.address ?? 'redis';
    if (typeof (this.client as unknown as Record<string, unknown>).banditSettle !== 'function') this.client.defineCommand('banditSettle', { lua: luaScript('settle') });
    mapFailures<EventQueue>(this, ['read', 'ack', 'stats'], (err) => unavailableError(client, 'the event queue', address, err));
  }

  async read(experimentIds: readonly string[], max: number): Promise<QueuedEvent[]> {
    const out: QueuedEvent[] = [];
    const now = Date.now();
    const perStream = Math.max(1, Math.ceil(max / Math.max(1, experimentIds.length)));
    await Promise.all(
      experimentIds.map(async (id) => {
        const stream = keys.events(id);
        const claim = now - (this.lastClaim.get(stream) ?? 0) > this.claimIdleMs;
        if (claim) this.lastClaim.set(stream, now);
        try {
          // own entries read earlier but not acknowledged (a failed write) come first
          let entries = await this.readGroup(stream, perStream, '0');
          if (entries.length === 0 && claim) entries = await this.claimIdle(stream, perStream);
          if (entries.length === 0) entries = await this.readGroup(stream, perStream, '>');
          const unreadable: string[] = [];
          for (const [entryId, fields] of entries) {
            const ev = toEvent(id, entryId, fields);
            if (ev) out.push(ev);
            else unreadable.push(entryId);
          }
          // no event (written by something else, or a type this version does not know): acknowledged and
          // deleted, so it neither comes back nor holds the queue's length and age gauges up for good
          if (unreadable.length > 0) await Promise.all([this.client.xack(stream, CONSUMER_GROUP, ...unreadable), this.client.xdel(stream, ...unreadable)]);
        } catch (err) {
          if (err instanceof Error && /NOGROUP/.test(err.message)) {
            await this.client.xgroup('CREATE', stream, CONSUMER_GROUP, '0', 'MKSTREAM').catch(() => undefined);
            return;
          }
          throw err;
        }
      }),
    );
    return out;
  }

  private async readGroup(stream: string, count: number, from: '0' | '>'): Promise<Entry[]> {
    const reply = (await this.client.xreadgroup('GROUP', CONSUMER_GROUP, this.consumer, 'COUNT', count, 'STREAMS', stream, from)) as Array<[string, Array<[string, string[] | null]>]> | null;
    if (!reply || reply.length === 0) return [];
    // entries deleted while pending come back with null fields: acknowledge them away
    const entries = reply[0][1];
    const gone = entries.filter((e) => e[1] === null).map((e) => e[0]);
    if (gone.length > 0) await this.client.xack(stream, CONSUMER_GROUP, ...gone);
    return entries.filter((e): e is Entry => e[1] !== null);
  }

  private async claimIdle(stream: string, count: number): Promise<Entry[]> {
    const reply = (await this.client.xautoclaim(stream, CONSUMER_GROUP, this.consumer, this.claimIdleMs, '0', 'COUNT', count)) as [string, Array<[string, string[] | null]>];
    return (reply?.[1] ?? []).filter((e): e is Entry => e[1] !== null);
  }

  /**
   * Acknowledges and deletes the entries, and counts the stored events the live state does
   * not count yet (queued before its last rebuild and not in that rebuild's base; see
   * lua/settle.lua). One script per stream.
   */
  async ack(events: readonly QueuedEvent[], rowIds?: RowIdLookup): Promise<void> {
    const byExperiment = new Map<string, QueuedEvent[]>();
    for (const e of events) {
      const list = byExperiment.get(e.experimentId);
      if (list) list.push(e);
      else byExperiment.set(e.experimentId, [e]);
    }
    await Promise.all([...byExperiment].map(([id, list]) => this.settle(id, list, rowIds)));
  }

  /**
   * settle.lua with the fence this queue saw last for the experiment: events queued after it
   * need no detail (no row ids, no per-event arguments). When the state's fence is another
   * one (first call, or a rebuild since), the events at or below it are detailed (their row
   * ids asked of `rowIds`) and the script is called again.
   */
  private async settle(id: string, events: readonly QueuedEvent[], rowIds?: RowIdLookup): Promise<void> {
    const entryIds = events.map((e) => e.queueId);
    let assumed = this.fences.get(id) ?? '';
    for (let attempt = 0; attempt < 4; attempt++) {
      const ks = [keys.events(id), keys.fence(id), keys.state(id)];
      const detailed: Array<string | number> = [];
      const below = assumed === '' ? [] : events.filter((e) => (e.type === 'select' || e.type === 'reward') && streamIdAtMost(e.queueId, assumed));
      const unknown = below.filter((e) => e.rowId === undefined);
      if (unknown.length > 0 && rowIds) await rowIds(unknown);
      const slots = new Map<number, number>();
      for (const e of below) {
        if (e.rowId === undefined) continue;
        let slot = slots.get(e.arm);
        if (slot === undefined) {
          slot = slots.size;
          slots.set(e.arm, slot);
          ks.push(keys.alpha(id, e.arm), keys.beta(id, e.arm), keys.pulls(id, e.arm), keys.rewards(id, e.arm));
        }
        const r = e.reward ?? 0;
        detailed.push(e.queueId, e.rowId, slot, e.type === 'select' ? 's' : 'r', String(r), String(1 - r));
      }
      const [done, fence] = await this.client.banditSettle(ks.length, ...ks, CONSUMER_GROUP, assumed, entryIds.length, ...entryIds, ...detailed);
      if (this.fences.size >= FENCE_CACHE_MAX) this.fences.clear();
      this.fences.set(id, String(fence));
      if (Number(done) === 1) return;
      assumed = String(fence);
    }
    throw new Error(`the fence of experiment ${JSON.stringify(id)} kept changing while its events were acknowledged`);
  }

  async stats(experimentIds: readonly string[]): Promise<QueueStats[]> {
    return Promise.all(
      experimentIds.map(async (id) => {
        const stream = keys.events(id);
        const [length, first] = await Promise.all([this.client.xlen(stream), this.client.xrange(stream, '-', '+', 'COUNT', 1)]);
        // entries are deleted once stored, so the first one left is the oldest waiting; its id starts with the ms it was added
        const oldestAt = first.length > 0 ? Number(first[0][0].split('-')[0]) : null;
        return { experimentId: id, length, oldestAt };
      }),
    );
  }
}

/** Stream entry ids `<ms>-<seq>` in order: whether `a` is at or below `b`. */
export function streamIdAtMost(a: string, b: string): boolean {
  const da = a.indexOf('-');
  const db = b.indexOf('-');
  const am = Number(a.slice(0, da));
  const bm = Number(b.slice(0, db));
  return am < bm || (am === bm && Number(a.slice(da + 1)) <= Number(b.slice(db + 1)));
}

/** Stream entry type → event type (`h…`: holdout decisions). */
const EVENT_TYPES: Record<string, EventType | undefined> = { s: 'select', r: 'reward', hs: 'hselect', hr: 'hreward' };

function toEvent(experimentId: string, queueId: string, fields: string[]): QueuedEvent | null {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]] = fields[i + 1];
  const type = EVENT_TYPES[f.t];
  if (type === undefined) return null;
  const reward = type === 'reward' || type === 'hreward';
  return {
    queueId,
    experimentId,
    type,
    decisionId: f.d,
    arm: Number(f.a),
    propensity: Number(f.p),
    reward: reward ? Number(f.r) : null,
    unitId: f.u ? f.u : null,
    at: Number(f.ts),
  };
}
