/**
 * Twenty concurrent Seldon /route requests with the same Seldon-Puid, across two replicas:
 * one decision, one pull, one select event (the select script records a request key with
 * the decision, atomically).
 */
import Redis from 'ioredis';
import { Client } from 'pg';
import { keys } from '../../../src/posterior-store/keys';
import { seldonRouterEnv } from './seldon-env';
import { call, startService, waitFor, type ServiceUnderTest } from '../service/harness';

jest.setTimeout(180_000);

const SELDON_ENV = {
  ...seldonRouterEnv('puids', 'a,b,c'),
  BANDIT_LOG_LEVEL: 'silent',
};

describe('one decision per Seldon-Puid under concurrency', () => {
  let s: ServiceUnderTest;
  let other: ServiceUnderTest;
  let redis: Redis;
  let pg: Client;

  beforeAll(async () => {
    s = await startService({ store: 'redis', events: 'postgres', env: SELDON_ENV });
    other = await startService({ store: 'memory', events: 'sqlite', env: { ...SELDON_ENV, BANDIT_REDIS_URL: s.redis?.url ?? '', BANDIT_DATABASE_URL: s.database?.url ?? '' } });
    redis = new Redis(s.redis?.url ?? '');
    pg = new Client({ connectionString: s.database?.url });
    await pg.connect();
  });

  afterAll(async () => {
    redis?.disconnect();
    await pg?.end();
    await other?.close();
    await s?.close();
  });

  const pulls = async () => {
    let n = 0;
    for (let k = 0; k < 3; k++) n += Number(await redis.get(keys.pulls('puids', k)));
    return n;
  };

  it('20 concurrent /route with one puid over two replicas → one decision id, one pull, one select event; another puid is another decision', async () => {
    const route = (url: string, puid: string) => call<{ meta: { tags: { decision_id: string } } }>(url, 'POST', '/route', { data: { ndarray: [[1]] } }, { 'seldon-puid': puid });
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => route(i % 2 ? other.url : s.url, 'puid-one')));
    expect(replies.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 200));
    const ids = new Set(replies.map((r) => r.body.meta.tags.decision_id));
    expect(ids.size).toBe(1);
    expect(await pulls()).toBe(1);
    const second = await route(s.url, 'puid-two');
    expect(second.body.meta.tags.decision_id).not.toBe([...ids][0]);
    expect(await pulls()).toBe(2);
    const selects = async () => Number((await pg.query("SELECT count(*) AS n FROM bandit_events WHERE experiment_id = 'puids' AND event_type = 'select'")).rows[0].n);
    await waitFor('select events stored', async () => (await selects()) >= 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(await selects()).toBe(2);
  });
});
