/**
 * Event storage never wedges: hostile unit ids are refused at the edge (HTTP and Seldon),
 * and a row the database refuses anyway (written straight into the stream here) is moved
 * to the dead-letter table with its reason, acknowledged, and never holds back the other
 * rows of its experiment or of other experiments. Queue length, oldest pending age and
 * dead letters are metrics; /readyz reports a lagging queue.
 */
import Redis from 'ioredis';
import { Client } from 'pg';
import { keys } from '../../../src/posterior-store/keys';
import { seldonRouterEnv } from './seldon-env';
import { call, pool, startService, waitFor, type ServiceUnderTest } from '../service/harness';

jest.setTimeout(180_000);

const SELDON_ENV = {
  ...seldonRouterEnv('sx', 'a,b'),
};

describe('event storage never wedges (Redis + Postgres)', () => {
  let s: ServiceUnderTest;
  let pg: Client;
  let redis: Redis;

  beforeAll(async () => {
    s = await startService({ store: 'redis', events: 'postgres', env: SELDON_ENV });
    pg = new Client({ connectionString: s.database?.url });
    await pg.connect();
    redis = new Redis(s.redis?.url ?? '');
    for (const id of ['poisoned', 'healthy', 'lagging']) expect((await call(s.url, 'POST', '/experiments', { id, arms: ['a', 'b'], stopping: { minSamplesPerArm: 1_000_000 } })).status).toBe(201);
  });

  afterAll(async () => {
    redis?.disconnect();
    await pg?.end();
    await s?.close();
  });

  it('refuses unit ids with NUL / control characters or over 256 characters with a 400 naming unit_id (HTTP and Seldon /route)', async () => {
    for (const unit of ['u\u0000x', 'line\nbreak', 'x'.repeat(257), '']) {
      const r = await call<{ error: { code: string; message: string } }>(s.url, 'POST', '/select', { experiment_id: 'poisoned', unit_id: unit });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('invalid_input');
      expect(r.body.error.message).toMatch(/unit_id/);
    }
    expect((await call(s.url, 'POST', '/select', { experiment_id: 'poisoned', unit_id: 'x'.repeat(256) })).status).toBe(200);
    expect((await call(s.url, 'POST', '/select', { experiment_id: 'poisoned', unit_id: 'ünï cødé 用户 😀' })).status).toBe(200);
    for (const unit of ['y'.repeat(300), 'a\u0000b']) {
      const r = await call<{ status?: { code: number; info: string } }>(s.url, 'POST', '/route', { meta: { tags: { unit_id: unit } }, data: { ndarray: [[1]] } });
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.body)).toMatch(/unit_id/);
    }
    const ok = await call(s.url, 'POST', '/route', { meta: { tags: { unit_id: 'fine' } }, data: { ndarray: [[1]] } });
    expect(ok.status).toBe(200);
  });

  it('a row Postgres refuses goes to the dead-letter table with its reason; every other row of every experiment is stored', async () => {
    // rows that got past the edge (older versions, another writer): NUL byte, 300 characters
    const stream = keys.events('poisoned');
    const poison = [
      ['t', 's', 'd', 'poisoned.0.nulnulnulnulnulnulnulnu', 'a', '0', 'p', '0.5', 'u', 'u\u0000x', 'ts', String(Date.now())],
      ['t', 's', 'd', 'poisoned.1.longlonglonglonglonglon', 'a', '1', 'p', '0.5', 'u', 'z'.repeat(300), 'ts', String(Date.now())],
    ];
    const sent = await pool(200, 10, async (i) => {
      if (i === 50 || i === 120) await redis.xadd(stream, '*', ...poison[i === 50 ? 0 : 1]);
      const exp = i % 2 === 0 ? 'poisoned' : 'healthy';
      const sel = await call<{ decision_id: string }>(s.url, 'POST', '/select', { experiment_id: exp, unit_id: `unit-${i}` });
      expect(sel.status).toBe(200);
      const rew = await call(s.url, 'POST', '/reward', { decision_id: sel.body.decision_id, reward: i % 3 === 0 ? 1 : 0 });
      expect(rew.status).toBe(200);
      return exp;
    });
    const count = async (exp: string) => Number((await pg.query('SELECT count(*) AS n FROM bandit_events WHERE experiment_id = $1', [exp])).rows[0].n);
    const expected = (exp: string) => 2 * sent.filter((e) => e === exp).length;
    await waitFor('every good event stored', async () => (await count('poisoned')) >= expected('poisoned') + 2 && (await count('healthy')) === expected('healthy'), 30_000);
    expect(await count('healthy')).toBe(expected('healthy'));
    // poisoned: 2 events per request + the 256-character and unicode selects of the first test
    expect(await count('poisoned')).toBe(expected('poisoned') + 2);
    const dead = (await pg.query('SELECT experiment_id, decision_id, event_type, payload, reason FROM bandit_dead_letters ORDER BY id')).rows;
    expect(dead.map((d) => d.decision_id).sort()).toEqual(['poisoned.0.nulnulnulnulnulnulnulnu', 'poisoned.1.longlonglonglonglonglon']);
    for (const d of dead) {
      expect(d.experiment_id).toBe('poisoned');
      expect(d.event_type).toBe('select');
      expect(d.reason).toMatch(/0x00|too long/);
      expect(JSON.parse(d.payload)).toMatchObject({ type: 'select' });
    }
    await waitFor('streams empty', async () => (await redis.xlen(stream)) === 0 && (await redis.xlen(keys.events('healthy'))) === 0);
    // the per-experiment gauges list the consumer's experiment list, reread every 2 s (IDS_TTL_MS):
    // an experiment created less than that ago may not be listed yet
    const scrape = async () => (await fetch(`${s.url}/metrics`)).text();
    let metrics = '';
    await waitFor('both experiments in the queue gauges', async () => {
      metrics = await scrape();
      return /bandit_event_queue_length\{experiment="poisoned"\}/.test(metrics) && /bandit_event_queue_oldest_age_seconds\{experiment="healthy"\}/.test(metrics);
    });
    expect(metrics).toMatch(/bandit_event_dead_letters_total 2/);
    expect(metrics).toMatch(/bandit_event_queue_length\{experiment="poisoned"\} 0/);
    expect(metrics).toMatch(/bandit_event_queue_oldest_age_seconds\{experiment="healthy"\} 0/);
  });

  it('/readyz answers 503 "degraded" while the oldest queued event is older than the threshold, and ready again once moved', async () => {
    const lagging = await s.restart({ BANDIT_EVENT_FLUSH_MS: '600000', BANDIT_READY_MAX_EVENT_LAG_SECONDS: '30' });
    s = lagging;
    expect((await call(s.url, 'GET', '/readyz')).status).toBe(200);
    // an event queued two minutes ago that nobody moved
    // an entry queued 120 s ago: a stream whose ids start in the past (a state write moves the next id to its own time)
    await redis.del(keys.events('lagging'));
    await redis.xadd(keys.events('lagging'), `${Date.now() - 120_000}-0`, 't', 's', 'd', 'lagging.0.AAAAAAAAAAAAAAAAAAAAAA', 'a', '0', 'p', '0.5', 'u', '', 'ts', String(Date.now() - 120_000));
    const r = await call<{ error: { message: string } }>(s.url, 'GET', '/readyz');
    expect(r.status).toBe(503);
    expect(r.body.error.message).toMatch(/degraded: .*"lagging".* 1[12]\d s .*30 s/);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/bandit_event_queue_length\{experiment="lagging"\} 1/);
    expect(metrics).toMatch(/bandit_event_queue_oldest_age_seconds\{experiment="lagging"\} 1[12]\d/);
    s = await s.restart({ BANDIT_EVENT_FLUSH_MS: '50' });
    await waitFor('queue moved', async () => (await redis.xlen(keys.events('lagging'))) === 0);
    expect((await call(s.url, 'GET', '/readyz')).status).toBe(200);
  });
});
