/**
 * The routed-arm reward (a Seldon feedback that names the routed child but no decision) in
 * both posterior stores: the in-process store and the Dragonfly store on the machine's Redis
 * (a DB index of its own). Counted once per token, atomically with its event (propensity 0,
 * no decision); a duplicate returns the first reward and its arm; a stopped experiment counts
 * nothing; the outstanding decisions are untouched.
 */
import { DragonflyPosteriorStore } from '../../../src/posterior-store/dragonfly.store';
import { connectRedis } from '../../../src/posterior-store/redis-client';
import { MemoryPosteriorStore } from '../../../src/posterior-store/memory.store';
import { keys } from '../../../src/posterior-store/keys';
import { priorCounters, type PosteriorStore } from '../../../src/posterior-store/posterior-store';
import { claimRedisDb, hasRedis, type TestRedisDb } from '../../support/services';
import { describeIf } from '../../support/env';

jest.setTimeout(60_000);

const RUNNING = { status: 'running' as const, winner: null };
const rec = (token: string, arm: number, reward: number, ttlSeconds = 60) => ({ experimentId: 'fb', token, eventId: `fb.feedback.${token}`, arm, reward, ttlSeconds, at: 1_700_000_000_000 });

const cases = [
  ['memory', () => true, async () => ({ store: new MemoryPosteriorStore() as PosteriorStore, close: async () => undefined, raw: undefined })],
  [
    'dragonfly (Redis)',
    () => hasRedis(),
    async () => {
      const db: TestRedisDb = await claimRedisDb();
      const u = new URL(db.url);
      const client = connectRedis({ url: db.url, host: u.hostname, port: Number(u.port || 6379), db: db.db });
      const store = new DragonflyPosteriorStore(client);
      return {
        store: store as PosteriorStore,
        raw: client,
        close: async () => {
          await store.close();
          await db.release();
        },
      };
    },
  ],
] as const;

for (const [name, needs, open] of cases) describeIf(needs)(`recordArmReward (${name} store)`, () => {
  let s!: Awaited<ReturnType<typeof open>>;
  beforeAll(async () => {
    s = await open();
    await s.store.writeState('fb', priorCounters([{ alpha: 1, beta: 1 }, { alpha: 1, beta: 1 }, { alpha: 1, beta: 1 }]), RUNNING, 'overwrite');
  });
  afterAll(async () => s?.close());

  it('counts once per token, with its event; a duplicate returns the first reward and arm', async () => {
    const { store } = s;
    expect(await store.recordArmReward(rec('tok-a', 2, 0.25))).toEqual({ kind: 'counted', alpha: 1.25, beta: 1.75 });
    // the same token again — another reward, another arm — changes nothing
    expect(await store.recordArmReward({ ...rec('tok-a', 0, 1), at: 1_700_000_009_000 })).toEqual({ kind: 'duplicate', reward: 0.25, at: 1_700_000_000_000, arm: 2 });
    expect(await store.recordArmReward(rec('tok-b', 2, 1))).toEqual({ kind: 'counted', alpha: 2.25, beta: 1.75 });
    const c = await store.readCounters('fb', 3);
    expect(c).toMatchObject({ alpha: [1, 1, 2.25], beta: [1, 1, 1.75], assignments: [0, 0, 0], rewards: [0, 0, 1.25] });
    const events = await store.queue.read(['fb'], 100);
    expect(events.map((e) => ({ type: e.type, d: e.decisionId, arm: e.arm, p: e.propensity, r: e.reward, u: e.unitId }))).toEqual([
      { type: 'reward', d: 'fb.feedback.tok-a', arm: 2, p: 0, r: 0.25, u: null },
      { type: 'reward', d: 'fb.feedback.tok-b', arm: 2, p: 0, r: 1, u: null },
    ]);
    await store.queue.ack(events);
  });

  it('concurrent copies of one token count once', async () => {
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => s?.store.recordArmReward(rec('tok-c', 1, 1))));
    expect(outcomes.filter((o) => o?.kind === 'counted')).toHaveLength(1);
    expect((await s.store.readCounters('fb', 3))?.alpha[1]).toBe(2);
  });

  // the memory store has no TTL to read: this case exists for the Redis store only
  if (name !== 'memory') it('the marker expires with the TTL (Redis: under the experiment hash tag)', async () => {
    await s.store.recordArmReward(rec('tok-ttl', 0, 1, 30));
    const ttl = await s.raw!.ttl(keys.armFeedback('fb', 'tok-ttl'));
    expect(ttl).toBeGreaterThan(20);
    expect(ttl).toBeLessThanOrEqual(30);
  });

  it('a stopped experiment counts nothing; a missing one says so', async () => {
    await s.store.setStatus('fb', { status: 'stopped', winner: null });
    expect(await s.store.recordArmReward(rec('tok-stopped', 0, 1))).toEqual({ kind: 'stopped' });
    expect(await s.store.recordArmReward({ ...rec('tok-x', 0, 1), experimentId: 'nope' })).toEqual({ kind: 'missing' });
  });
});
