/**
 * A stop is final. Status changes form one ordered state machine (running → concluded →
 * stopped; stopped is terminal and wins over a concurrent automatic conclusion), written
 * with a compare-and-set in Postgres and in Redis; a stop whose Redis half failed is
 * repaired (by its retry, and in the background), and /select never serves a stopped
 * experiment.
 */
import Redis from 'ioredis';
import { Client } from 'pg';
import { keys } from '../../../src/posterior-store/keys';
import { sleep, TcpProxy, viaProxy } from '../../support/processes';
import { claimRedisDb, type TestRedisDb } from '../../support/services';
import { call, startService, waitFor, type ServiceUnderTest } from '../service/harness';

jest.setTimeout(300_000);

/** Two arms served half and half; one reward on each arm decides: a wins (prior 50:1 vs 1:50). */
const decidable = (id: string) => ({
  id,
  arms: ['a', 'b'],
  prior: [
    { alpha: 50, beta: 1 },
    { alpha: 1, beta: 50 },
  ],
  floors: [0.5, 0.5],
  stopping: { minSamplesPerArm: 1, probBest: 0.9, expectedLoss: 0.5 },
});

/** Selects until it holds one decision of each arm. */
async function decisionPerArm(url: string, id: string): Promise<string[]> {
  const byArm: string[] = [];
  for (let i = 0; i < 200 && (byArm[0] === undefined || byArm[1] === undefined); i++) {
    const r = await call<{ decision_id: string; arm_index: number }>(url, 'POST', '/select', { experiment_id: id });
    expect(r.status).toBe(200);
    byArm[r.body.arm_index] ??= r.body.decision_id;
  }
  return byArm;
}

describe('a stop is final (Redis + Postgres)', () => {
  let s: ServiceUnderTest;
  let redis: Redis;

  beforeAll(async () => {
    s = await startService({ store: 'redis', events: 'postgres', env: { BANDIT_AUTO_CONCLUDE_INTERVAL_MS: '0', BANDIT_LOG_LEVEL: 'silent' } });
    redis = new Redis(s.redis?.url ?? '');
  });

  afterAll(async () => {
    redis?.disconnect();
    await s?.close();
  });

  it('stop sent 0–9 ms after the reward that makes the stopping rule pick a winner: 30 of 30 trials end stopped and serve nothing', async () => {
    const outcomes: string[] = [];
    for (let trial = 0; trial < 30; trial++) {
      const id = `race-${trial}`;
      expect((await call(s.url, 'POST', '/experiments', decidable(id))).status).toBe(201);
      const [da, db] = await decisionPerArm(s.url, id);
      expect((await call(s.url, 'POST', '/reward', { decision_id: db, reward: 0 })).status).toBe(200);
      await sleep(60); // the evaluation after this first reward ("continue") is over
      const deciding = call(s.url, 'POST', '/reward', { decision_id: da, reward: 1 });
      await sleep(trial % 10);
      const stop = await call<{ status: string }>(s.url, 'POST', `/experiments/${id}/stop`);
      expect((await deciding).status).toBe(200);
      expect(stop.status).toBe(200);
      expect(stop.body.status).toBe('stopped');
      await sleep(150); // let a concurrent automatic evaluation finish
      const got = await call<{ status: string }>(s.url, 'GET', `/experiments/${id}`);
      const live = await redis.get(keys.state(id));
      const sel = await call(s.url, 'POST', '/select', { experiment_id: id });
      outcomes.push(`${got.body.status}/${live}/${sel.status}`);
    }
    expect(outcomes).toEqual(Array.from({ length: 30 }, () => 'stopped/stopped/409'));
    // how often the race was real: the automatic evaluation picked a winner around the stop
    const pg = new Client({ connectionString: s.database?.url });
    await pg.connect();
    try {
      const raced = (await pg.query("SELECT count(DISTINCT experiment_id) AS n FROM verdicts WHERE status = 'winner' AND experiment_id LIKE 'race-%'")).rows[0].n;
      console.log(`stop-vs-conclude race: the stopping rule picked a winner in ${raced} of 30 trials; every trial ended stopped`);
    } finally {
      await pg.end();
    }
  });

  it('a conclusion never follows a stop, and a stopped experiment cannot be concluded or resumed', async () => {
    expect((await call(s.url, 'POST', '/experiments', decidable('final'))).status).toBe(201);
    expect((await call(s.url, 'POST', '/experiments/final/stop')).status).toBe(200);
    const conclude = await call<{ error: { code: string } }>(s.url, 'POST', '/experiments/final/conclude');
    expect(conclude.status).toBe(409);
    // a stale writer that still believes the experiment runs cannot move the live status back
    const pg = new Client({ connectionString: s.database?.url });
    await pg.connect();
    try {
      expect((await pg.query("SELECT status FROM experiments WHERE id = 'final'")).rows[0].status).toBe('stopped');
    } finally {
      await pg.end();
    }
    expect(await redis.get(keys.state('final'))).toBe('stopped');
  });
});

describe('a stop while Redis is unreachable is repaired', () => {
  let s: ServiceUnderTest;
  let redisDb: TestRedisDb;
  let proxy: TcpProxy;
  let redis: Redis;

  beforeAll(async () => {
    redisDb = await claimRedisDb();
    const direct = new URL(redisDb.url);
    proxy = new TcpProxy('127.0.0.1', Number(direct.port || 6379));
    await proxy.listen();
    s = await startService({ store: 'memory', events: 'postgres', env: { BANDIT_REDIS_URL: viaProxy(redisDb.url, proxy.port), BANDIT_LOG_LEVEL: 'silent' } });
    redis = new Redis(redisDb.url);
  });

  afterAll(async () => {
    redis?.disconnect();
    await s?.close();
    await proxy?.close();
    await redisDb?.release();
  });

  it('the first stop answers 503 with Redis down; GET says stopped; /select and /reward answer 409 once Redis is back, with or without a retry', async () => {
    expect((await call(s.url, 'POST', '/experiments', { id: 'halt', arms: ['a', 'b'] })).status).toBe(201);
    const before = await call<{ decision_id: string }>(s.url, 'POST', '/select', { experiment_id: 'halt' });
    expect(before.status).toBe(200);
    proxy.cut();
    const first = await call<{ error: { code: string } }>(s.url, 'POST', '/experiments/halt/stop');
    expect(first.status).toBe(503);
    proxy.restore();
    await waitFor('Redis reachable again', async () => (await call(s.url, 'GET', '/readyz')).status === 200, 30_000);
    expect((await call<{ status: string }>(s.url, 'GET', '/experiments/halt')).body.status).toBe('stopped');
    // without any retry: never served again
    for (let i = 0; i < 20; i++) expect((await call(s.url, 'POST', '/select', { experiment_id: 'halt' })).status).toBe(409);
    await waitFor('the live status repaired in the background', async () => (await redis.get(keys.state('halt'))) === 'stopped', 10_000);
    const retry = await call<{ status: string }>(s.url, 'POST', '/experiments/halt/stop');
    expect(retry.status).toBe(200);
    expect(retry.body.status).toBe('stopped');
    expect((await call(s.url, 'POST', '/reward', { decision_id: before.body.decision_id, reward: 1 })).status).toBe(409);
  });

  it('a retried stop repairs Redis when the stop reached only Postgres, also seen by a replica that never saw the stop', async () => {
    expect((await call(s.url, 'POST', '/experiments', { id: 'halt2', arms: ['a', 'b'] })).status).toBe(201);
    const other = await startService({ store: 'memory', events: 'sqlite', env: { BANDIT_REDIS_URL: redisDb.url, BANDIT_DATABASE_URL: s.database?.url ?? '', BANDIT_LOG_LEVEL: 'silent' } });
    try {
      expect((await call(other.url, 'POST', '/select', { experiment_id: 'halt2' })).status).toBe(200);
      proxy.cut();
      expect((await call(s.url, 'POST', '/experiments/halt2/stop')).status).toBe(503);
      proxy.restore();
      await waitFor('Redis reachable again', async () => (await call(s.url, 'GET', '/readyz')).status === 200, 30_000);
      expect((await call(s.url, 'POST', '/experiments/halt2/stop')).status).toBe(200);
      expect(await redis.get(keys.state('halt2'))).toBe('stopped');
      expect((await call(other.url, 'POST', '/select', { experiment_id: 'halt2' })).status).toBe(409);
    } finally {
      await other.close();
    }
  });
});
