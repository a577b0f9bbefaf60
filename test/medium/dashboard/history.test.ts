/**
 * The dashboard's history over both event stores the service can run on — the embedded
 * SQLite file and Postgres — migrated by the service's own migrations and filled through
 * its own EventRepository: bucketed events and snapshots against an independent
 * aggregation of the same rows (including times exactly on a bucket boundary), and the
 * running totals of the history endpoint against totals computed without buckets.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DataSource } from 'typeorm';
import { ManualClock } from '../../../src/clock/clock.repository';
import { HistoryRepository } from '../../../src/dashboard/history.repository';
import { HISTORY_CACHE_MS, HistoryService } from '../../../src/dashboard/history.service';
import { openDataSource } from '../../../src/event-store/data-source';
import type { PosteriorSnapshotRow } from '../../../src/event-store/entities';
import { EventRepository } from '../../../src/event-store/event.repository';
import { SnapshotRepository } from '../../../src/event-store/snapshot.repository';
import type { ExperimentView } from '../../../src/experiments/experiment.dto';
import type { QueuedEvent } from '../../../src/event-queue/event-queue';
import { describeIf } from '../../support/env';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../../support/services';
import { seeded } from './service-fixture';

const T0 = Date.UTC(2026, 0, 31, 12, 0, 0); // on a minute boundary
const ID = 'history-check';
const ARMS = ['control', 'a', 'b'];

interface Fixture {
  events: QueuedEvent[];
  snapshots: PosteriorSnapshotRow[];
}

/** Events over 30 minutes (some exactly on minute boundaries, some 1 ms before), plus another experiment's. */
function makeFixture(): Fixture {
  const random = seeded(42);
  const events: QueuedEvent[] = [];
  let n = 0;
  const push = (experimentId: string, at: number) => {
    const arm = Math.floor(random() * ARMS.length);
    const decisionId = `${experimentId}-${n++}`;
    events.push({ queueId: String(n), experimentId, type: 'select', decisionId, arm, propensity: 1 / 3, reward: null, unitId: null, at });
    if (random() < 0.6) {
      const reward = random() < 0.3 + 0.2 * arm ? 1 : random() < 0.1 ? 0.5 : 0;
      events.push({ queueId: `${n}r`, experimentId, type: 'reward', decisionId, arm, propensity: 1 / 3, reward, unitId: null, at: at + Math.floor(random() * 90_000) });
    }
  };
  for (let i = 0; i < 400; i++) push(ID, T0 + Math.floor(random() * 30 * 60_000));
  for (let m = 1; m <= 5; m++) {
    push(ID, T0 + m * 60_000);
    push(ID, T0 + m * 60_000 - 1);
  }
  for (let i = 0; i < 50; i++) push('someone-else', T0 + Math.floor(random() * 30 * 60_000));
  const snapshots: PosteriorSnapshotRow[] = [];
  for (let s = 0; s < 40; s++) {
    const at = T0 + s * 45_000 + (s % 4 === 0 ? 0 : 1234);
    const p = [random(), random(), random()];
    const sum = p[0] + p[1] + p[2];
    ARMS.forEach((name, k) =>
      snapshots.push({
        experimentId: ID,
        armIndex: k,
        armName: name,
        alpha: 1 + s,
        beta: 2 + s,
        assignments: s * 3,
        observations: 2 * s,
        rewards: s,
        mean: (1 + s) / (3 + 2 * s) + k / 100,
        ciLow: 0.01 * k,
        ciHigh: 0.5 + 0.01 * k,
        probBest: p[k] / sum,
        expectedLoss: 0.01 * (k + 1),
        reason: 'periodic',
        verdictId: null,
        createdAt: new Date(at),
      }),
    );
  }
  return { events, snapshots };
}

/** The same aggregation done in memory: per bucket and arm, select count and reward sum. */
function expectedBuckets(events: QueuedEvent[], width: number, from: number, to: number) {
  const m = new Map<string, { bucket: number; arm: number; type: string; count: number; rewardSum: number }>();
  for (const e of events) {
    if (e.experimentId !== ID || e.at < from || e.at > to) continue;
    const bucket = Math.floor(e.at / 1000 / width);
    const key = `${bucket}/${e.arm}/${e.type}`;
    const row = m.get(key) ?? { bucket, arm: e.arm, type: e.type, count: 0, rewardSum: 0 };
    row.count++;
    row.rewardSum += e.reward ?? 0;
    m.set(key, row);
  }
  return [...m.values()].sort((a, b) => a.bucket - b.bucket || a.arm - b.arm || a.type.localeCompare(b.type));
}

for (const driver of ['sqlite', 'postgres'] as const) describeIf(() => driver === 'sqlite' || hasPostgres())(`history on the ${driver} event store`, () => {
  let ds: DataSource;
  let db: TestDatabase | undefined;
  let dir: string;
  const fx = makeFixture();

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-history-'));
    if (driver === 'postgres') db = await createTestDatabase('bandit_hist');
    ds = await openDataSource({ databaseUrl: db?.url, sqlitePath: path.join(dir, 'events.sqlite') });
    const events = new EventRepository(ds);
    await events.insertEvents(fx.events);
    await new SnapshotRepository(ds).insert(fx.snapshots);
  }, 60_000);

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each([60, 300, 7])('buckets events of %i s exactly as an in-memory count of the same rows', async (width) => {
    const repo = new HistoryRepository(ds);
    const from = T0;
    const to = T0 + 32 * 60_000;
    const rows = await repo.eventBuckets(ID, width, from, to);
    expect(rows.map((r) => ({ ...r, rewardSum: Math.round(r.rewardSum * 2) / 2 }))).toEqual(expectedBuckets(fx.events, width, from, to));
  });

  it('keeps the range inclusive at both ends and leaves other experiments out', async () => {
    const repo = new HistoryRepository(ds);
    const from = T0 + 60_000;
    const to = T0 + 5 * 60_000;
    const rows = await repo.eventBuckets(ID, 60, from, to);
    const total = rows.reduce((a, r) => a + r.count, 0);
    const expected = fx.events.filter((e) => e.experimentId === ID && e.at >= from && e.at <= to).length;
    expect(total).toBe(expected);
    // the boundary events: T0 + 1 min is in bucket 1 min, T0 + 1 min − 1 ms is not in the range
    expect(rows[0].bucket).toBe((T0 + 60_000) / 60_000);
  });

  it('takes the last snapshot of each arm in each bucket', async () => {
    const repo = new HistoryRepository(ds);
    const width = 120;
    const rows = await repo.snapshotBuckets(ID, width, T0, T0 + 60 * 60_000);
    const last = new Map<string, PosteriorSnapshotRow>();
    for (const s of fx.snapshots) {
      const key = `${Math.floor(s.createdAt.getTime() / 1000 / width)}/${s.armIndex}`;
      const prev = last.get(key);
      if (!prev || prev.createdAt <= s.createdAt) last.set(key, s);
    }
    expect(rows.length).toBe(last.size);
    for (const r of rows) {
      const s = last.get(`${r.bucket}/${r.arm}`) as PosteriorSnapshotRow;
      expect(r.at).toBe(s.createdAt.getTime());
      expect(r.probBest).toBeCloseTo(s.probBest, 12);
      expect(r.mean).toBeCloseTo(s.mean, 12);
    }
  });

  it('reports running totals that end at the totals of the whole range', async () => {
    const means = [0.3, 0.5, 0.45];
    const view = {
      id: ID,
      createdAt: new Date(T0).toISOString(),
      arms: ARMS.map((name, k) => ({ index: k, name, mean: means[k] })),
    } as unknown as ExperimentView;
    const service = new HistoryService(new HistoryRepository(ds), new ManualClock(T0 + 40 * 60_000));
    const h = await service.history(view, {});
    expect(h.bucketSeconds).toBe(10); // 40 min in at most 240 buckets
    const mine = fx.events.filter((e) => e.experimentId === ID);
    const selects = ARMS.map((_, k) => mine.filter((e) => e.type === 'select' && e.arm === k).length);
    const rewards = mine.filter((e) => e.type === 'reward').reduce((a, e) => a + (e.reward ?? 0), 0);
    const last = h.cumulative[h.cumulative.length - 1];
    expect(last.assignments).toBe(selects.reduce((a, b) => a + b, 0));
    expect(last.reward).toBeCloseTo(rewards, 9);
    const best = Math.max(...means);
    expect(last.regret).toBeCloseTo(selects.reduce((a, n, k) => a + n * (best - means[k]), 0), 9);
    // cumulative totals never go down, and each bucket's selects add up to them
    let running = 0;
    h.buckets.forEach((b, i) => {
      running += b.selects.reduce((a, x) => a + x, 0);
      expect(h.cumulative[i].assignments).toBe(running);
    });
    // P(best) of each snapshot row sums to 1 across the arms
    for (const s of h.snapshots) expect((s.probBest as number[]).reduce((a, x) => a + x, 0)).toBeCloseTo(1, 9);
  });

  it('shares the default history between requests for a moment, then reads again', async () => {
    const id = 'cache-check';
    const view = { id, createdAt: new Date(T0).toISOString(), arms: [{ index: 0, name: 'only', mean: 0.5 }] } as unknown as ExperimentView;
    const clock = new ManualClock(T0 + 60_000);
    const service = new HistoryService(new HistoryRepository(ds), clock);
    const select = (n: number): QueuedEvent => ({ queueId: String(n), experimentId: id, type: 'select', decisionId: `${id}-${n}`, arm: 0, propensity: 1, reward: null, unitId: null, at: T0 + n });
    const events = new EventRepository(ds);
    await events.insertEvents([select(1)]);
    const first = await service.history(view, {});
    await events.insertEvents([select(2)]);
    expect(await service.history(view, {})).toBe(first);
    // a request with parameters is never served from the cache
    expect((await service.history(view, { bucket: 60 })).cumulative.at(-1)?.assignments).toBe(2);
    clock.advance(HISTORY_CACHE_MS + 1);
    const later = await service.history(view, {});
    expect(first.cumulative.at(-1)?.assignments).toBe(1);
    expect(later.cumulative.at(-1)?.assignments).toBe(2);
  });

  it('rejects a range that would need too many buckets, naming the limit', async () => {
    const view = { id: ID, createdAt: new Date(T0).toISOString(), arms: [] } as unknown as ExperimentView;
    const service = new HistoryService(new HistoryRepository(ds), new ManualClock(T0 + 7 * 86_400_000));
    await expect(service.history(view, { bucket: 1 })).rejects.toThrow(/at most 5000/);
    await expect(service.history(view, { from: new Date(T0 + 1000).toISOString(), to: new Date(T0).toISOString() })).rejects.toThrow(/must be later/);
  });
});
