/**
 * One contract, both posterior stores: the in-process store and the Dragonfly store on
 * the machine's Redis (a DB index of its own). And one contract for both event stores:
 * SQLite and Postgres. The event queue each posterior store appends to has its own
 * contract (queue-contract.test.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DataSource } from 'typeorm';
import { DragonflyPosteriorStore } from '../../../src/posterior-store/dragonfly.store';
import { connectRedis } from '../../../src/posterior-store/redis-client';
import { MemoryPosteriorStore } from '../../../src/posterior-store/memory.store';
import { newDecisionId } from '../../../src/posterior-store/decision-id';
import { keys } from '../../../src/posterior-store/keys';
import type { QueuedEvent } from '../../../src/event-queue/event-queue';
import { priorCounters, type PosteriorStore } from '../../../src/posterior-store/posterior-store';
import { openDataSource } from '../../../src/event-store/data-source';
import { EventRepository } from '../../../src/event-store/event.repository';
import { SnapshotRepository } from '../../../src/event-store/snapshot.repository';
import { VerdictRepository } from '../../../src/event-store/verdict.repository';
import { ExperimentRepository } from '../../../src/experiments/experiment.repository';
import { claimRedisDb, createTestDatabase, hasPostgres, hasRedis, type TestDatabase, type TestRedisDb } from '../../support/services';
import { describeIf } from '../../support/env';

const RUNNING = { status: 'running' as const, winner: null };

interface StoreCase {
  name: string;
  needs: () => boolean;
  open(): Promise<{ store: PosteriorStore; close(): Promise<void> }>;
}

const storeCases: StoreCase[] = [
  { name: 'memory', needs: () => true, open: async () => ({ store: new MemoryPosteriorStore(), close: async () => undefined }) },
  {
    name: 'dragonfly (Redis)',
    needs: () => hasRedis(),
    open: async () => {
      const db: TestRedisDb = await claimRedisDb();
      const u = new URL(db.url);
      const client = connectRedis({ url: db.url, host: u.hostname, port: Number(u.port || 6379), db: db.db });
      const store = new DragonflyPosteriorStore(client);
      return {
        store,
        close: async () => {
          await store.close();
          await db.release();
        },
      };
    },
  },
];

function select(store: PosteriorStore, experimentId: string, arm: number, extra: { unitId?: string; sticky?: boolean; ttlSeconds?: number; propensity?: number } = {}) {
  const { decisionId, token } = newDecisionId(experimentId, arm);
  return store
    .recordSelection({ experimentId, decisionId, token, arm, propensity: extra.propensity ?? 0.5, unitId: extra.unitId, sticky: extra.sticky ?? false, ttlSeconds: extra.ttlSeconds ?? 60, at: 1_700_000_000_000 })
    .then((outcome) => ({ outcome, decisionId, token }));
}

function reward(store: PosteriorStore, experimentId: string, d: { decisionId: string; token: string }, arm: number, value: number) {
  return store.recordReward({ experimentId, decisionId: d.decisionId, token: d.token, arm, reward: value, at: 1_700_000_001_000 });
}

async function drain(store: PosteriorStore, ids: string[]): Promise<QueuedEvent[]> {
  const all: QueuedEvent[] = [];
  for (;;) {
    const batch = await store.queue.read(ids, 100);
    if (batch.length === 0) return all;
    all.push(...batch);
    await store.queue.ack(batch);
  }
}

for (const c of storeCases) describeIf(c.needs)(`posterior store contract: ${c.name}`, () => {
  let store: PosteriorStore;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await c.open());
  });
  afterAll(async () => close());

  it('creates once, reads α and β in one call, reports a missing experiment as null', async () => {
    expect(await store.readPosteriors('c1', 2)).toBeNull();
    expect(await store.writeState('c1', priorCounters([{ alpha: 2, beta: 3 }, { alpha: 1, beta: 1 }]), RUNNING, 'if-missing')).toBe(true);
    expect(await store.writeState('c1', priorCounters([{ alpha: 9, beta: 9 }, { alpha: 9, beta: 9 }]), RUNNING, 'if-missing')).toBe(false);
    const read = await store.readPosteriors('c1', 2);
    expect(read).toEqual({ status: RUNNING, alpha: [2, 1], beta: [3, 1] });
    expect(await store.writeState('c1', { alpha: [5, 1], beta: [3, 1], assignments: [4, 0], rewards: [3, 0] }, RUNNING, 'overwrite')).toBe(true);
    expect(await store.readCounters('c1', 2)).toEqual({ status: RUNNING, alpha: [5, 1], beta: [3, 1], assignments: [4, 0], rewards: [3, 0] });
  });

  it('records a selection with its event, counts a reward once, answers a retry with the first result', async () => {
    await store.writeState('c2', priorCounters([{ alpha: 1, beta: 1 }, { alpha: 1, beta: 1 }, { alpha: 1, beta: 1 }]), RUNNING, 'if-missing');
    const d = await select(store, 'c2', 2, { propensity: 0.25, unitId: 'user-7' });
    expect(d.outcome).toEqual({ kind: 'recorded', arm: 2, propensity: 0.25 });
    expect(await reward(store, 'c2', d, 2, 0.75)).toEqual({ kind: 'counted', alpha: 1.75, beta: 1.25 });
    expect(await reward(store, 'c2', d, 2, 0)).toEqual({ kind: 'duplicate', reward: 0.75, at: 1_700_000_001_000 });
    const c = await store.readCounters('c2', 3);
    expect(c).toEqual({ status: RUNNING, alpha: [1, 1, 1.75], beta: [1, 1, 1.25], assignments: [0, 0, 1], rewards: [0, 0, 0.75] });
    const events = await drain(store, ['c2']);
    expect(events.map(({ queueId: _q, ...e }) => e)).toEqual([
      { experimentId: 'c2', type: 'select', decisionId: d.decisionId, arm: 2, propensity: 0.25, reward: null, unitId: 'user-7', at: 1_700_000_000_000 },
      { experimentId: 'c2', type: 'reward', decisionId: d.decisionId, arm: 2, propensity: 0.25, reward: 0.75, unitId: 'user-7', at: 1_700_000_001_000 },
    ]);
    expect(await store.queue.read(['c2'], 10)).toEqual([]);
  });

  it('answers unknown for a decision never issued, or of another arm', async () => {
    await store.writeState('c3', priorCounters([{ alpha: 1, beta: 1 }, { alpha: 1, beta: 1 }]), RUNNING, 'if-missing');
    const forged = newDecisionId('c3', 0);
    expect(await reward(store, 'c3', forged, 0, 1)).toEqual({ kind: 'unknown' });
    const d = await select(store, 'c3', 0);
    expect(await reward(store, 'c3', { decisionId: d.decisionId, token: d.token.replace(/^0\./, '1.') }, 1, 1)).toEqual({ kind: 'unknown' });
    expect((await store.readCounters('c3', 2))?.alpha).toEqual([1, 1]);
  });

  it('keeps a sticky unit on its first arm and reports a conflicting concurrent assignment', async () => {
    await store.writeState('c4', priorCounters([{ alpha: 1, beta: 1 }, { alpha: 1, beta: 1 }]), RUNNING, 'if-missing');
    expect((await select(store, 'c4', 1, { unitId: 'u', sticky: true, propensity: 0.4 })).outcome).toEqual({ kind: 'recorded', arm: 1, propensity: 0.4 });
    expect((await store.readPosteriors('c4', 2, 'u'))?.sticky).toEqual({ arm: 1, propensity: 0.4 });
    expect((await select(store, 'c4', 0, { unitId: 'u', sticky: true })).outcome).toEqual({ kind: 'sticky', arm: 1, propensity: 0.4 });
    expect((await select(store, 'c4', 1, { unitId: 'u', sticky: true, propensity: 0.9 })).outcome).toEqual({ kind: 'recorded', arm: 1, propensity: 0.4 });
  });

  it('refuses selections and new rewards of a stopped experiment, still answers retries', async () => {
    await store.writeState('c5', priorCounters([{ alpha: 1, beta: 1 }, { alpha: 1, beta: 1 }]), RUNNING, 'if-missing');
    const a = await select(store, 'c5', 0);
    const b = await select(store, 'c5', 1);
    await reward(store, 'c5', a, 0, 1);
    expect(await store.setStatus('c5', { status: 'stopped', winner: null })).toBe(true);
    expect((await select(store, 'c5', 0)).outcome).toEqual({ kind: 'stopped' });
    expect(await reward(store, 'c5', b, 1, 1)).toEqual({ kind: 'stopped' });
    expect((await reward(store, 'c5', a, 0, 0)).kind).toBe('duplicate');
    // the status only moves forward: a conclusion after the stop changes nothing, nor does a rebuild
    expect(await store.setStatus('c5', { status: 'concluded', winner: 1 })).toBe(true);
    expect((await store.readPosteriors('c5', 2))?.status).toEqual({ status: 'stopped', winner: null });
    expect(await store.setStatus('c5', RUNNING)).toBe(true);
    expect(await store.writeState('c5', priorCounters([{ alpha: 1, beta: 1 }, { alpha: 1, beta: 1 }]), RUNNING, 'overwrite')).toBe(true);
    expect((await store.readPosteriors('c5', 2))?.status).toEqual({ status: 'stopped', winner: null });
    // a new experiment of the same id starts over
    expect(await store.writeState('c5', priorCounters([{ alpha: 1, beta: 1 }, { alpha: 1, beta: 1 }]), RUNNING, 'reset')).toBe(true);
    expect((await store.readPosteriors('c5', 2))?.status).toEqual(RUNNING);
  });

  it('reports a missing state on every write and never recreates it implicitly', async () => {
    await store.writeState('c6', priorCounters([{ alpha: 1, beta: 1 }, { alpha: 1, beta: 1 }]), RUNNING, 'if-missing');
    const d = await select(store, 'c6', 0);
    await store.drop('c6', 2);
    expect((await select(store, 'c6', 0)).outcome).toEqual({ kind: 'missing' });
    expect(await reward(store, 'c6', d, 0, 1)).toEqual({ kind: 'missing' });
    expect(await store.setStatus('c6', RUNNING)).toBe(false);
    expect(await store.readPosteriors('c6', 2)).toBeNull();
    expect(await store.readCounters('c6', 2)).toBeNull();
  });

  it('forgets a decision after its time to live', async () => {
    await store.writeState('c7', priorCounters([{ alpha: 1, beta: 1 }, { alpha: 1, beta: 1 }]), RUNNING, 'if-missing');
    const d = await select(store, 'c7', 1, { ttlSeconds: 1 });
    await new Promise((r) => setTimeout(r, 1200));
    expect(await reward(store, 'c7', d, 1, 1)).toEqual({ kind: 'unknown' });
  });

  it('uses the fixed key names with the experiment as hash tag', () => {
    expect(keys.alpha('exp-1', 3)).toBe('experiment:{exp-1}:arm:3:alpha');
    expect(keys.beta('exp-1', 0)).toBe('experiment:{exp-1}:arm:0:beta');
  });
});

interface EventCase {
  name: string;
  needs: () => boolean;
  open(): Promise<{ ds: DataSource; close(): Promise<void> }>;
}

const eventCases: EventCase[] = [
  {
    name: 'sqlite',
    needs: () => true,
    open: async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-ev-'));
      const ds = await openDataSource({ databaseUrl: undefined, sqlitePath: path.join(dir, 'events.sqlite') });
      return { ds, close: async () => (await ds.destroy(), fs.rmSync(dir, { recursive: true, force: true })) };
    },
  },
  {
    name: 'postgres',
    needs: () => hasPostgres(),
    open: async () => {
      const db: TestDatabase = await createTestDatabase('bandit_ev');
      const ds = await openDataSource({ databaseUrl: db.url, sqlitePath: '' });
      return { ds, close: async () => (await ds.destroy(), await db.drop()) };
    },
  },
];

const ev = (decisionId: string, type: 'select' | 'reward', arm: number, value: number | null): QueuedEvent => ({
  queueId: '0',
  experimentId: 'e1',
  type,
  decisionId,
  arm,
  propensity: 0.5,
  reward: value,
  unitId: null,
  at: 1_700_000_000_000,
});

for (const c of eventCases) describeIf(c.needs)(`event store contract: ${c.name}`, () => {
  let h: { ds: DataSource; close(): Promise<void> };
  beforeAll(async () => {
    h = await c.open();
  });
  afterAll(async () => h?.close());

  it('stores a batch delivered twice once, and sums rewards per arm', async () => {
    const repo = new EventRepository(h.ds);
    const batch = [ev('d1', 'select', 0, null), ev('d1', 'reward', 0, 1), ev('d2', 'select', 1, null), ev('d2', 'reward', 1, 0.25), ev('d3', 'select', 1, null)];
    await repo.insertEvents(batch);
    await repo.insertEvents(batch);
    await repo.insertEvents([ev('d3', 'reward', 1, 1), ev('d3', 'reward', 1, 0)]);
    expect(await repo.countEvents('e1')).toBe(6);
    const totals = (await repo.totals('e1')).sort((a, b) => a.armIndex - b.armIndex);
    expect(totals).toEqual([
      { armIndex: 0, selects: 1, rewardEvents: 1, rewardSum: 1 },
      { armIndex: 1, selects: 2, rewardEvents: 2, rewardSum: 1.25 },
    ]);
  });

  it('keeps every field, the time to the millisecond and the queue order of a large batch; skips repeats within it', async () => {
    const repo = new EventRepository(h.ds);
    const n = 1234;
    const batch: QueuedEvent[] = [];
    for (let i = 0; i < n; i++) {
      const reward = i % 2 === 1;
      batch.push({
        queueId: String(i),
        experimentId: 'big',
        type: reward ? 'reward' : 'select',
        decisionId: `big.${i >> 1}`,
        arm: i % 3,
        propensity: 1 / (1 + (i % 7)),
        reward: reward ? (i % 4) / 4 : null,
        unitId: i % 5 === 0 ? `unit-'"\\,{}-${i}` : null,
        at: 1_700_000_000_000 + i * 37 + (i % 1000),
      });
    }
    // a repeat of an earlier row inside the same batch, with other values: the first one stays
    await repo.insertEvents([...batch, { ...batch[10], arm: 2, propensity: 0.01, at: 1 }]);
    const rows = await repo.eventsOf('big', 10 * n);
    expect(rows).toHaveLength(n);
    rows.forEach((r, i) => {
      const e = batch[i];
      expect({ d: r.decisionId, t: r.eventType, a: r.armIndex, p: r.propensity, r: r.reward, u: r.unitId, at: new Date(r.createdAt).getTime() }).toEqual({
        d: e.decisionId,
        t: e.type,
        a: e.arm,
        p: e.propensity,
        r: e.reward,
        u: e.unitId,
        at: e.at,
      });
    });
  });

  it('stores a verdict with its snapshots and experiments with unique ids', async () => {
    const repo = new VerdictRepository(h.ds);
    const at = new Date(1_700_000_000_000);
    const id = await repo.insert(
      { experimentId: 'e1', status: 'winner', trigger: 'manual', winnerIndex: 1, leaderIndex: 1, probBest: '[0.01,0.99]', expectedLoss: '[0.1,0]', reasons: '[]', thresholds: '{}', totalSamples: 10, createdAt: at },
      [0, 1].map((k) => ({ experimentId: 'e1', armIndex: k, armName: `a${k}`, alpha: 1, beta: 2, assignments: 3, observations: 1, rewards: 0, mean: 1 / 3, ciLow: 0.01, ciHigh: 0.8, probBest: 0.5, expectedLoss: 0.1, reason: 'verdict', verdictId: null, createdAt: at })),
    );
    expect((await repo.byId(id))?.winnerIndex).toBe(1);
    const snaps = await new SnapshotRepository(h.ds).latest('e1');
    expect(snaps.map((s) => s.verdictId)).toEqual([id, id]);
    const experiments = new ExperimentRepository(h.ds);
    const def = { arms: ['a', 'b'] } as never;
    expect(await experiments.insert({ id: 'x1', definition: def, status: 'running', winnerIndex: null, createdAt: at, updatedAt: at })).toBe(true);
    expect(await experiments.insert({ id: 'x1', definition: def, status: 'running', winnerIndex: null, createdAt: at, updatedAt: at })).toBe(false);
    await experiments.setStatus('x1', 'concluded', 1, at);
    expect(await experiments.find('x1')).toMatchObject({ id: 'x1', status: 'concluded', winnerIndex: 1 });
  });
});
