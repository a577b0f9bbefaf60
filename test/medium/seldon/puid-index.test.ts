/** The Redis puid index on the machine's Redis (a DB index of its own): bind-once under concurrency, expiry, shared by two clients. */
import Redis from 'ioredis';
import { RedisPuidIndex } from '../../../src/seldon/puid-index';
import { claimRedisDb, hasRedis, type TestRedisDb } from '../../support/services';
import { describeIf } from '../../support/env';

// servers start slowly on a busy machine (jest applied its 5 s default here, not the project timeout)
jest.setTimeout(120_000);

const d = (id: string, armIndex = 1) => ({ decisionId: id, arm: `arm-${armIndex}`, armIndex, propensity: 0.25 });

describeIf(() => hasRedis())('RedisPuidIndex', () => {
  let db: TestRedisDb | undefined;
  let a: RedisPuidIndex;
  let b: RedisPuidIndex;
  let raw: Redis;

  beforeAll(async () => {
    db = await claimRedisDb();
    a = new RedisPuidIndex(new Redis(db.url));
    b = new RedisPuidIndex(new Redis(db.url));
    raw = new Redis(db.url);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    raw?.disconnect();
    await db?.release();
  });

  it("binds once across replicas: concurrent binds agree on one decision, stored under the experiment's hash tag", async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).bind('exp', 'puid-1', d(`d${i}`, i % 3), 60)));
    const winner = results[0];
    expect(results.every((r) => r.decisionId === winner.decisionId)).toBe(true);
    expect(await a.lookup('exp', 'puid-1')).toEqual(winner);
    expect(await b.lookup('exp', 'puid-1')).toEqual(winner);
    const ttl = await raw.ttl('experiment:{exp}:seldon:puid:puid-1');
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('expires with the decision TTL', async () => {
    await a.bind('exp', 'short', d('s'), 1);
    expect(await b.lookup('exp', 'short')).toEqual(d('s'));
    await new Promise((r) => setTimeout(r, 1200));
    expect(await b.lookup('exp', 'short')).toBeNull();
  });

  it('ignores a corrupted value instead of crediting a wrong decision', async () => {
    await raw.set('experiment:{exp}:seldon:puid:bad', 'not json');
    expect(await a.lookup('exp', 'bad')).toBeNull();
  });
});
