/**
 * Partial eviction: one α, β, pulls or reward-sum key of an experiment disappears while
 * the status marker stays. Any missing key triggers the same rebuild from the events as a
 * missing marker; nothing is silently reset and nothing answers 503 forever.
 */
import Redis from 'ioredis';
import { EventRepository } from '../../../src/event-store/event.repository';
import { keys } from '../../../src/posterior-store/keys';
import { call, startService, waitFor, type ServiceUnderTest } from '../service/harness';

jest.setTimeout(180_000);

describe('one missing key of an experiment triggers a rebuild', () => {
  let s: ServiceUnderTest;
  let redis: Redis;

  beforeAll(async () => {
    s = await startService({ store: 'redis', events: 'postgres', env: { BANDIT_LOG_LEVEL: 'silent' } });
    redis = new Redis(s.redis?.url ?? '');
  });

  afterAll(async () => {
    redis?.disconnect();
    await s?.close();
  });

  /** Serves and rewards `n` decisions with reward 1; returns them per arm. */
  async function traffic(id: string, n: number): Promise<number[]> {
    const perArm = [0, 0];
    for (let i = 0; i < n; i++) {
      const sel = await call<{ decision_id: string; arm_index: number }>(s.url, 'POST', '/select', { experiment_id: id });
      expect(sel.status).toBe(200);
      expect((await call(s.url, 'POST', '/reward', { decision_id: sel.body.decision_id, reward: 1 })).status).toBe(200);
      perArm[sel.body.arm_index]++;
    }
    return perArm;
  }

  const events = async (id: string) => s.app.get(EventRepository).countEvents(id);

  it('a missing α: the next reward rebuilds it (prior 50 + rewards), never restarts it from 0', async () => {
    const id = 'evict-alpha';
    expect((await call(s.url, 'POST', '/experiments', { id, arms: ['a', 'b'], prior: { alpha: 50, beta: 1 }, floors: [0.5, 0.5], stopping: { minSamplesPerArm: 1_000_000 } })).status).toBe(201);
    const served = await traffic(id, 20);
    await waitFor('events stored', async () => (await events(id)) === 40);
    await redis.del(keys.alpha(id, 0));
    const more = await traffic(id, 10);
    const alpha0 = Number(await redis.get(keys.alpha(id, 0)));
    expect(alpha0).toBe(50 + served[0] + more[0]);
    expect(Number(await redis.get(keys.beta(id, 0)))).toBe(1);
  });

  it('a missing β, pulls or reward sum: select and reward keep answering 200 and the counters equal the events', async () => {
    for (const [n, drop] of [
      [0, (id: string) => keys.beta(id, 1)],
      [1, (id: string) => keys.pulls(id, 0)],
      [2, (id: string) => keys.rewards(id, 1)],
    ] as const) {
      const id = `evict-${n}`;
      expect((await call(s.url, 'POST', '/experiments', { id, arms: ['a', 'b'], prior: { alpha: 3, beta: 7 }, floors: [0.5, 0.5], stopping: { minSamplesPerArm: 1_000_000 } })).status).toBe(201);
      const first = await traffic(id, 10);
      await waitFor('events stored', async () => (await events(id)) === 20);
      await redis.del(drop(id));
      const second = await traffic(id, 10);
      const total = [first[0] + second[0], first[1] + second[1]];
      for (const k of [0, 1]) {
        expect(Number(await redis.get(keys.alpha(id, k)))).toBe(3 + total[k]);
        expect(Number(await redis.get(keys.beta(id, k)))).toBe(7);
        expect(Number(await redis.get(keys.pulls(id, k)))).toBe(total[k]);
        expect(Number(await redis.get(keys.rewards(id, k)))).toBe(total[k]);
      }
    }
  });
});
