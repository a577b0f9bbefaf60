/**
 * The posterior store's lifecycle and window operations, on both implementations (the
 * in-process store and Dragonfly / Redis): pause / resume compare-and-set, arms added at
 * their prior without overwriting, conversion windows closed exactly once even when two
 * store clients sweep at the same time, late rewards refused, holdout decisions kept out
 * of α and β.
 */
import { DragonflyPosteriorStore } from '../../../src/posterior-store/dragonfly.store';
import { connectRedis } from '../../../src/posterior-store/redis-client';
import { MemoryPosteriorStore } from '../../../src/posterior-store/memory.store';
import { newDecisionId } from '../../../src/posterior-store/decision-id';
import { priorCounters, type PosteriorStore } from '../../../src/posterior-store/posterior-store';
import { claimRedisDb, hasRedis, type TestRedisDb } from '../../support/services';
import { describeIf } from '../../support/env';

const RUNNING = { status: 'running' as const, winner: null };
const T0 = 1_700_000_000_000;

interface Opened {
  stores: [PosteriorStore, PosteriorStore];
  close(): Promise<void>;
}

/** Two clients of one store: two Redis connections, or the same in-process store twice. */
const cases: Array<{ name: string; needs: () => boolean; open(): Promise<Opened> }> = [
  {
    name: 'memory',
    needs: () => true,
    open: async () => {
      const s = new MemoryPosteriorStore(() => T0);
      return { stores: [s, s], close: async () => undefined };
    },
  },
  {
    name: 'dragonfly (Redis)',
    needs: () => hasRedis(),
    open: async () => {
      const db: TestRedisDb = await claimRedisDb();
      const u = new URL(db.url);
      const mk = () => new DragonflyPosteriorStore(connectRedis({ url: db.url, host: u.hostname, port: Number(u.port || 6379), db: db.db }));
      const a = mk();
      const b = mk();
      return {
        stores: [a, b],
        close: async () => {
          await a.close();
          await b.close();
          await db.release();
        },
      };
    },
  },
];

for (const c of cases) {
  describeIf(c.needs)(`posterior store lifecycle operations: ${c.name}`, () => {
    let o: Opened;
    beforeAll(async () => {
      o = await c.open();
    });
    afterAll(async () => o?.close());

    const select = (store: PosteriorStore, id: string, arm: number, extra: { windowDeadline?: number; holdout?: boolean } = {}) => {
      const { decisionId, token } = newDecisionId(id, arm);
      return store
        .recordSelection({ experimentId: id, decisionId, token, arm, propensity: 0.5, sticky: false, ttlSeconds: 3600, at: T0, ...extra })
        .then((outcome) => ({ outcome, decisionId, token }));
    };

    it('pause and resume are a compare-and-set; a paused experiment records no decision; stop is not undone', async () => {
      const [s] = o.stores;
      await s.writeState('p', priorCounters([{ alpha: 1, beta: 1 }, { alpha: 1, beta: 1 }]), RUNNING, 'reset');
      expect(await s.swapStatus('p', 'running', 'paused')).toBe('changed');
      expect(await s.swapStatus('p', 'running', 'paused')).toBe('same');
      expect((await select(s, 'p', 1)).outcome.kind).toBe('paused');
      expect((await s.readCounters('p', 2))?.assignments).toEqual([0, 0]);
      expect(await s.swapStatus('p', 'paused', 'running')).toBe('changed');
      expect((await select(s, 'p', 1)).outcome.kind).toBe('recorded');
      await s.setStatus('p', { status: 'stopped', winner: null });
      expect(await s.swapStatus('p', 'running', 'paused')).toBe('mismatch');
      expect(await s.swapStatus('nope', 'running', 'paused')).toBe('missing');
    });

    it('added arms start at their prior and never overwrite', async () => {
      const [s] = o.stores;
      await s.writeState('a', priorCounters([{ alpha: 1, beta: 1 }, { alpha: 1, beta: 1 }]), RUNNING, 'reset');
      await s.addArms('a', 2, [{ alpha: 2, beta: 3 }]);
      const { decisionId, token } = (await select(s, 'a', 2)) as { decisionId: string; token: string };
      expect((await s.recordReward({ experimentId: 'a', decisionId, token, arm: 2, reward: 1, at: T0 })).kind).toBe('counted');
      await s.addArms('a', 2, [{ alpha: 2, beta: 3 }]);
      const read = await s.readCounters('a', 3);
      expect(read?.alpha).toEqual([1, 1, 3]);
      expect(read?.assignments).toEqual([0, 0, 1]);
    });

    it('windows close exactly once with two sweepers at once; late rewards are refused; holdout stays out of α and β', async () => {
      const [s1, s2] = o.stores;
      await s1.writeState('w', priorCounters([{ alpha: 1, beta: 1 }, { alpha: 1, beta: 1 }]), RUNNING, 'reset');
      const ds = [];
      for (let i = 0; i < 40; i++) ds.push(await select(i % 2 ? s1 : s2, 'w', i % 2, { windowDeadline: T0 + 1000, holdout: i >= 36 }));
      // a click inside the window, on a bandit decision and on a holdout one
      expect((await s2.recordReward({ experimentId: 'w', decisionId: ds[0].decisionId, token: ds[0].token, arm: 0, reward: 1, at: T0 + 10, windowed: true })).kind).toBe('counted');
      expect((await s2.recordReward({ experimentId: 'w', decisionId: ds[37].decisionId, token: ds[37].token, arm: 1, reward: 1, at: T0 + 10, windowed: true })).kind).toBe('counted');
      expect(await s1.openAssignments('w', 2)).toEqual([19, 19]);
      expect(await s1.sweepWindows('w', T0 + 999, 0, 100)).toBe(0);
      const counted = await Promise.all([s1.sweepWindows('w', T0 + 1000, 0, 100), s2.sweepWindows('w', T0 + 1000, 0, 100), s1.sweepWindows('w', T0 + 1000, 0, 100)]);
      expect(counted.reduce((a, b) => a + b, 0)).toBe(38);
      expect(await s1.openAssignments('w', 2)).toEqual([0, 0]);
      const read = await s1.readCounters('w', 2);
      // 36 bandit decisions (18 per arm), one click on arm 0; the 4 holdout decisions change nothing
      expect(read?.alpha).toEqual([2, 1]);
      expect(read?.beta).toEqual([1 + 17, 1 + 18]);
      expect(read?.assignments).toEqual([18, 18]);
      const late = await s2.recordReward({ experimentId: 'w', decisionId: ds[1].decisionId, token: ds[1].token, arm: 1, reward: 1, at: T0 + 2000, windowed: true });
      expect(late.kind).toBe('window_closed');
      expect((await s1.readCounters('w', 2))?.alpha).toEqual([2, 1]);
      // one reward event per decision, holdout ones typed apart
      const events = await s1.queue.read(['w'], 1000);
      const rewards = events.filter((e) => e.type === 'reward');
      expect(rewards.length).toBe(36);
      expect(new Set(rewards.map((e) => e.decisionId)).size).toBe(36);
      expect(events.filter((e) => e.type === 'hreward').length).toBe(4);
      expect(events.filter((e) => e.type === 'hselect').length).toBe(4);
    });
  });
}
