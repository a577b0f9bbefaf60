/**
 * A connection reset after Redis ran a script but before its reply arrived makes ioredis
 * send the script again. Select and reward are idempotent per request: the replayed
 * select records nothing more (one pull, one event), the replayed reward answers
 * `duplicate: false` and counts nothing more.
 */
import Redis from 'ioredis';
import { keys } from '../../../src/posterior-store/keys';
import { FaultProxy } from '../../support/fault-proxy';
import { claimRedisDb, type TestRedisDb } from '../../support/services';
import { call, startService, type ServiceUnderTest } from '../service/harness';

jest.setTimeout(180_000);

describe('select and reward are idempotent when ioredis replays them after a connection reset', () => {
  let s: ServiceUnderTest;
  let redisDb: TestRedisDb;
  let dropper: FaultProxy;
  let redis: Redis;

  beforeAll(async () => {
    redisDb = await claimRedisDb();
    dropper = await new FaultProxy(Number(new URL(redisDb.url).port || 6379)).listen();
    // no event moves, no background refresh: the only script replies on the wire are the requests'
    s = await startService({
      store: 'memory',
      events: 'postgres',
      env: { BANDIT_REDIS_URL: dropper.via(redisDb.url), BANDIT_EVENT_FLUSH_MS: '600000', BANDIT_ALLOCATION_REFRESH_MS: '1000000000', BANDIT_LOG_LEVEL: 'silent' },
    });
    redis = new Redis(redisDb.url);
    expect((await call(s.url, 'POST', '/experiments', { id: 'replay', arms: ['a', 'b'], stopping: { minSamplesPerArm: 1_000_000 } })).status).toBe(201);
  });

  afterAll(async () => {
    redis?.disconnect();
    await s?.close();
    await dropper?.close();
    await redisDb?.release();
  });

  it('20 resets during /select and 20 during /reward: pulls, events and α + β equal what clients were told', async () => {
    const decisions: string[] = [];
    // warm: the allocation is computed once, later selects are one script each
    decisions.push((await call<{ decision_id: string }>(s.url, 'POST', '/select', { experiment_id: 'replay' })).body.decision_id);
    for (let i = 0; i < 20; i++) {
      dropper.dropReplyWith('recorded');
      const r = await call<{ decision_id: string }>(s.url, 'POST', '/select', { experiment_id: 'replay' });
      expect(r.status).toBe(200);
      decisions.push(r.body.decision_id);
    }
    let duplicates = 0;
    for (const d of decisions.slice(0, 20)) {
      dropper.dropReplyWith('counted');
      const r = await call<{ duplicate: boolean }>(s.url, 'POST', '/reward', { decision_id: d, reward: 1 });
      expect(r.status).toBe(200);
      if (r.body.duplicate) duplicates++;
    }
    expect(dropper.drops).toBe(40);
    const pulls = Number(await redis.get(keys.pulls('replay', 0))) + Number(await redis.get(keys.pulls('replay', 1)));
    const alphaBeta = [0, 1].map(async (k) => Number(await redis.get(keys.alpha('replay', k))) + Number(await redis.get(keys.beta('replay', k))));
    const observations = (await Promise.all(alphaBeta)).reduce((a, b) => a + b, 0) - 4;
    const entries = (await redis.xrange(keys.events('replay'), '-', '+')).map(([, f]) => f[1]);
    expect({ duplicates, pulls, observations, selectEvents: entries.filter((t) => t === 's').length, rewardEvents: entries.filter((t) => t === 'r').length }).toEqual({
      duplicates: 0,
      pulls: 21,
      observations: 20,
      selectEvents: 21,
      rewardEvents: 20,
    });
  });
});
