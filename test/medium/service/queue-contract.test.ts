/**
 * One contract, both event queues: the in-process queue of the memory store and the Redis
 * streams of the Dragonfly store (a DB index of its own). Each queue is reached through the
 * posterior store that appends to it, as the service wires it. Then what only the shared
 * queue does: the acknowledgement fenced against rebuilds, entries of a crashed replica
 * taken over, entries that are no event removed.
 */
import Redis from 'ioredis';
import type { EventQueue, QueuedEvent } from '../../../src/event-queue/event-queue';
import { newDecisionId } from '../../../src/posterior-store/decision-id';
import { DragonflyPosteriorStore } from '../../../src/posterior-store/dragonfly.store';
import { keys } from '../../../src/posterior-store/keys';
import { MemoryPosteriorStore } from '../../../src/posterior-store/memory.store';
import { priorCounters, type PosteriorStore } from '../../../src/posterior-store/posterior-store';
import { connectRedis } from '../../../src/posterior-store/redis-client';
import { claimRedisDb, hasRedis, type TestRedisDb } from '../../support/services';
import { describeIf } from '../../support/env';

const RUNNING = { status: 'running' as const, winner: null };
const T0 = 1_700_000_000_000;
const TWO_ARMS = [
  { alpha: 1, beta: 1 },
  { alpha: 1, beta: 1 },
];

interface Opened {
  store: PosteriorStore;
  queue: EventQueue;
  close(): Promise<void>;
}

async function openRedisStore(db: TestRedisDb, opts: { claimIdleMs?: number } = {}): Promise<DragonflyPosteriorStore> {
  const u = new URL(db.url);
  return new DragonflyPosteriorStore(connectRedis({ url: db.url, host: u.hostname, port: Number(u.port || 6379), db: db.db }), { ...opts, address: 'redis test' });
}

const cases: Array<{ name: string; fenced: boolean; needs: () => boolean; open(): Promise<Opened> }> = [
  {
    name: 'memory',
    fenced: false,
    needs: () => true,
    open: async () => {
      const store = new MemoryPosteriorStore();
      return { store, queue: store.queue, close: async () => undefined };
    },
  },
  {
    name: 'dragonfly (Redis)',
    fenced: true,
    needs: () => hasRedis(),
    open: async () => {
      const db = await claimRedisDb();
      const store = await openRedisStore(db);
      return {
        store,
        queue: store.queue,
        close: async () => {
          await store.close();
          await db.release();
        },
      };
    },
  },
];

function select(store: PosteriorStore, experimentId: string, arm: number) {
  const { decisionId, token } = newDecisionId(experimentId, arm);
  return store
    .recordSelection({ experimentId, decisionId, token, arm, propensity: 0.5, sticky: false, ttlSeconds: 600, at: T0 })
    .then((outcome) => ({ outcome, decisionId, token }));
}

function reward(store: PosteriorStore, experimentId: string, d: { decisionId: string; token: string }, arm: number, value: number) {
  return store.recordReward({ experimentId, decisionId: d.decisionId, token: d.token, arm, reward: value, at: T0 + 1000 });
}

const shape = (events: readonly QueuedEvent[]) => events.map((e) => `${e.type}:${e.decisionId}`);

for (const c of cases) {
  describeIf(c.needs)(`event queue contract: ${c.name}`, () => {
    let o: Opened;
    beforeAll(async () => {
      o = await c.open();
    });
    afterAll(async () => o?.close());

    it(`says whether its acknowledgement is fenced (${c.fenced}) and names its kind`, () => {
      expect(o.queue.fenced).toBe(c.fenced);
      expect(o.queue.kind).toBe(o.store.kind);
    });

    it('holds exactly one event per recorded state change and none for a refused one', async () => {
      await o.store.writeState('q1', priorCounters(TWO_ARMS), RUNNING, 'reset');
      const a = await select(o.store, 'q1', 0);
      const b = await select(o.store, 'q1', 1);
      expect((await reward(o.store, 'q1', a, 0, 1)).kind).toBe('counted');
      // refused: a second reward, a reward for a decision never issued, a select after the stop
      expect((await reward(o.store, 'q1', a, 0, 0)).kind).toBe('duplicate');
      expect((await reward(o.store, 'q1', newDecisionId('q1', 1), 1, 1)).kind).toBe('unknown');
      await o.store.setStatus('q1', { status: 'stopped', winner: null });
      expect((await select(o.store, 'q1', 0)).outcome.kind).toBe('stopped');
      expect((await reward(o.store, 'q1', b, 1, 1)).kind).toBe('stopped');
      const events = await o.queue.read(['q1'], 100);
      expect(shape(events)).toEqual([`select:${a.decisionId}`, `select:${b.decisionId}`, `reward:${a.decisionId}`]);
      expect(events[2]).toMatchObject({ experimentId: 'q1', arm: 0, propensity: 0.5, reward: 1, at: T0 + 1000 });
      await o.queue.ack(events);
      expect(await o.queue.read(['q1'], 100)).toEqual([]);
    });

    it('delivers again until acknowledged, only the asked experiments, at most `max`', async () => {
      for (const id of ['q2', 'q3']) await o.store.writeState(id, priorCounters(TWO_ARMS), RUNNING, 'reset');
      for (let i = 0; i < 5; i++) await select(o.store, 'q2', i % 2);
      await select(o.store, 'q3', 0);
      const first = await o.queue.read(['q2'], 100);
      expect(first).toHaveLength(5);
      expect(new Set(first.map((e) => e.experimentId))).toEqual(new Set(['q2']));
      expect(shape(await o.queue.read(['q2'], 100))).toEqual(shape(first));
      expect((await o.queue.read(['q2'], 3)).length).toBeLessThanOrEqual(3);
      await o.queue.ack(first.slice(0, 2));
      expect(shape(await o.queue.read(['q2'], 100))).toEqual(shape(first.slice(2)));
      expect(shape(await o.queue.read(['q3'], 100))).toHaveLength(1);
      await o.queue.ack(first.slice(2));
      expect(await o.queue.read(['q2'], 100)).toEqual([]);
      expect(await o.queue.read(['never-created'], 100)).toEqual([]);
    });

    it("reports each experiment's length and when its oldest event was queued", async () => {
      await o.store.writeState('q4', priorCounters(TWO_ARMS), RUNNING, 'reset');
      const before = Date.now();
      await select(o.store, 'q4', 0);
      const after = Date.now();
      await select(o.store, 'q4', 1);
      const [q4, none] = await o.queue.stats(['q4', 'q4-none']);
      expect(q4.experimentId).toBe('q4');
      expect(q4.length).toBe(2);
      // wall-clock time of queueing (Redis: the server's clock, on this machine), not the event's own time
      expect(q4.oldestAt).toBeGreaterThanOrEqual(before - 5);
      expect(q4.oldestAt).toBeLessThanOrEqual(after + 5);
      expect(none).toEqual({ experimentId: 'q4-none', length: 0, oldestAt: null });
      await o.queue.ack(await o.queue.read(['q4'], 100));
      expect(await o.queue.stats(['q4'])).toEqual([{ experimentId: 'q4', length: 0, oldestAt: null }]);
    });

    it('asks no row ids for events queued after the state was written', async () => {
      await o.store.writeState('q5', priorCounters(TWO_ARMS), RUNNING, 'reset');
      const d = await select(o.store, 'q5', 1);
      await reward(o.store, 'q5', d, 1, 1);
      const asked: QueuedEvent[] = [];
      await o.queue.ack(await o.queue.read(['q5'], 100), async (events) => void asked.push(...events));
      expect(asked).toEqual([]);
      // acknowledging counted nothing twice
      expect(await o.store.readCounters('q5', 2)).toMatchObject({ alpha: [1, 2], beta: [1, 1], assignments: [0, 1], rewards: [0, 1] });
    });

    it("forgets a dropped experiment's events, and only those", async () => {
      for (const id of ['q6', 'q7']) await o.store.writeState(id, priorCounters(TWO_ARMS), RUNNING, 'reset');
      await select(o.store, 'q6', 0);
      await select(o.store, 'q7', 0);
      await o.store.drop('q6', 2);
      expect(await o.queue.read(['q6'], 100)).toEqual([]);
      expect(await o.queue.read(['q7'], 100)).toHaveLength(1);
    });
  });
}

describeIf(() => hasRedis())('Dragonfly event queue: what the shared queue adds', () => {
  let db: TestRedisDb;
  let store: DragonflyPosteriorStore;
  let redis: Redis;
  beforeAll(async () => {
    db = await claimRedisDb();
    store = await openRedisStore(db);
    redis = new Redis(db.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await store?.close();
    await db?.release();
  });

  it('counts, on acknowledgement, the events a rebuild could not see — and only those', async () => {
    const prior = [
      { alpha: 2, beta: 3 },
      { alpha: 1, beta: 1 },
    ];
    await store.writeState('f1', priorCounters(prior), RUNNING, 'reset');
    // in flight: a select and its reward (1), read by a consumer that has not stored them yet
    const d = await select(store, 'f1', 0);
    await reward(store, 'f1', d, 0, 1);
    const inFlight = await store.queue.read(['f1'], 100);
    expect(inFlight).toHaveLength(2);
    // meanwhile a rebuild writes the counters of an event log without them (its base: row 7)
    await store.writeState('f1', priorCounters(prior), RUNNING, 'overwrite', 7);
    expect((await store.readCounters('f1', 2))?.assignments).toEqual([0, 0]);
    // the consumer stores them (rows 8, 9) and acknowledges: both are counted, once
    const asked: QueuedEvent[] = [];
    await store.queue.ack(inFlight, async (events) => {
      asked.push(...events);
      for (const e of events) e.rowId = e.type === 'select' ? 8 : 9;
    });
    expect(shape(asked).sort()).toEqual(shape(inFlight).sort());
    expect(await store.readCounters('f1', 2)).toMatchObject({ alpha: [3, 1], beta: [3, 1], assignments: [1, 0], rewards: [1, 0] });
    expect(await store.queue.stats(['f1'])).toEqual([{ experimentId: 'f1', length: 0, oldestAt: null }]);

    // an event the rebuild did read (its row at or below the base) is not counted again
    const e = await select(store, 'f1', 1);
    const seen = await store.queue.read(['f1'], 100);
    expect(shape(seen)).toEqual([`select:${e.decisionId}`]);
    await store.writeState('f1', { alpha: [3, 1], beta: [3, 1], assignments: [1, 1], rewards: [1, 0] }, RUNNING, 'overwrite', 10);
    await store.queue.ack(seen, async (events) => {
      for (const x of events) x.rowId = 10;
    });
    expect((await store.readCounters('f1', 2))?.assignments).toEqual([1, 1]);
  });

  it('removes an entry that is no event: never delivered, not left in the queue', async () => {
    await store.writeState('u1', priorCounters(TWO_ARMS), RUNNING, 'reset');
    await redis.xadd(keys.events('u1'), '*', 't', 'not-an-event', 'd', 'x');
    const good = await select(store, 'u1', 0);
    const events = await store.queue.read(['u1'], 100);
    expect(shape(events)).toEqual([`select:${good.decisionId}`]);
    await store.queue.ack(events);
    expect(await store.queue.read(['u1'], 100)).toEqual([]);
    // the queue is empty: its length and age gauges do not report the unreadable entry forever
    expect(await store.queue.stats(['u1'])).toEqual([{ experimentId: 'u1', length: 0, oldestAt: null }]);
  });

  it("hands a crashed replica's unacknowledged events to another after the idle time", async () => {
    const a = await openRedisStore(db, { claimIdleMs: 200 });
    const b = await openRedisStore(db, { claimIdleMs: 200 });
    try {
      await a.writeState('r1', priorCounters(TWO_ARMS), RUNNING, 'if-missing');
      for (let i = 0; i < 4; i++) await select(a, 'r1', i % 2);
      const readByA = await a.queue.read(['r1'], 100); // a reads them, then "crashes" before acknowledging
      expect(readByA).toHaveLength(4);
      expect(await b.queue.read(['r1'], 100)).toEqual([]); // not yet idle: not b's to take
      await new Promise((r) => setTimeout(r, 450));
      const taken = await b.queue.read(['r1'], 100);
      expect(taken.map((e) => e.decisionId).sort()).toEqual(readByA.map((e) => e.decisionId).sort());
      await b.queue.ack(taken);
      await new Promise((r) => setTimeout(r, 450));
      expect(await b.queue.read(['r1'], 100)).toEqual([]);
      expect(await a.queue.read(['r1'], 100)).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('reports an unreachable server as the event queue being unavailable', async () => {
    const dead = new DragonflyPosteriorStore(connectRedis({ url: 'redis://127.0.0.1:1', host: '127.0.0.1', port: 1, db: 0 }, { maxRetriesPerRequest: 0, retryStrategy: () => null }), { address: 'redis 127.0.0.1:1' });
    try {
      await expect(dead.queue.read(['x'], 10)).rejects.toThrow(/^the event queue \(redis 127\.0\.0\.1:1\) is unavailable: .+; retry$/);
    } finally {
      await dead.close();
    }
  });
});
