/**
 * Dragonfly / Redis loses its memory mid-load: a private redis-server is SIGKILLed under
 * steady /select + /reward traffic and restarted empty on the same port. The service
 * must stay up, report the outage on /readyz, rebuild the posteriors from the event store,
 * and end with α, β and pulls equal to the stored events exactly; no 5xx outside the
 * outage window.
 */
import * as fs from 'node:fs';
import { spawnService, startRedisServer, sleep, waitFor, type RedisServer, type ServiceProcess } from '../../support/processes';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../../support/services';
import { describeIf, hasBuiltCli, hasProgram } from '../../support/env';
import { ADMIN_TOKEN, call, countedRewards, countsFromEvents, createExperiment, doubled, liveCounts, settledEvents, startLoad, summarize } from './lib';

jest.setTimeout(180_000);

describeIf(() => hasBuiltCli() && hasProgram('redis-server') && hasPostgres())('Redis loses its memory under load', () => {
  let redis: RedisServer;
  let db: TestDatabase;
  let svc: ServiceProcess;

  beforeAll(async () => {
    redis = await startRedisServer();
    db = await createTestDatabase('bandit_rel_redis');
    svc = await spawnService({
      BANDIT_REDIS_URL: redis.url,
      BANDIT_DATABASE_URL: db.url,
      BANDIT_ADMIN_TOKEN: ADMIN_TOKEN,
      BANDIT_EVENT_FLUSH_MS: '50',
      BANDIT_SNAPSHOT_INTERVAL_SECONDS: '0',
      BANDIT_DATA_DIR: fs.mkdtempSync('/tmp/bandit-rel-'),
    });
  });

  afterAll(async () => {
    await svc?.stop();
    await redis?.stop();
    await db?.drop();
  });

  it('stays up, reports the outage, rebuilds from events and ends exactly equal to them', async () => {
    const id = 'redis-loss';
    await createExperiment(svc.url, id);
    const load = startLoad(svc.url, id, { workers: 6 });
    await sleep(3000);

    const killedAt = Date.now() - load.started;
    await redis.kill();
    // the outage is visible on /readyz
    const notReady = await waitFor('/readyz to report the outage', async () => {
      const r = await call(svc.url, 'GET', '/readyz');
      return r.status === 503 ? r : undefined;
    });
    expect(JSON.stringify(notReady.body)).toMatch(/posterior store/);
    await sleep(1500);
    await redis.start();
    await waitFor('/readyz to recover', async () => (await call(svc.url, 'GET', '/readyz')).status === 200, 20_000);
    const recoveredAt = Date.now() - load.started;
    await sleep(4000);
    const outcomes = await load.stop();

    // the process never went down
    expect(svc.child.exitCode).toBeNull();
    expect((await call(svc.url, 'GET', '/healthz')).status).toBe(200);

    // no 5xx (and no unanswered request) outside [kill, recovery]
    const outside = outcomes.filter((o) => (o.status >= 500 || o.status === 0) && (o.t1 < killedAt || o.t0 > recoveredAt));
    expect(outside).toEqual([]);
    const after = outcomes.filter((o) => o.t0 > recoveredAt);
    expect(after.filter((o) => o.op === 'select' && o.status === 200).length).toBeGreaterThan(50);
    expect(countedRewards(after).length).toBeGreaterThan(50);

    // posteriors rebuilt from the event store (once), and the live state equals the stored events exactly
    expect(svc.logs().match(/live state rebuilt from \d+ select and \d+ reward events/g)).toHaveLength(1);
    const rows = await settledEvents(db.url, id, 1);
    expect(doubled(rows)).toEqual([]);
    const fromEvents = countsFromEvents(rows, 3);
    const live = await liveCounts(svc.url, id);
    expect(live).toEqual(fromEvents);
    // every reward counted after the recovery is stored
    const storedRewards = new Set(rows.filter((r) => r.event_type === 'reward').map((r) => r.decision_id));
    const missingAfter = countedRewards(after).filter((o) => !storedRewards.has(o.decisionId as string));
    expect(missingAfter).toEqual([]);
    // for the report: acknowledged rewards that died with the server's memory before they were moved
    const lost = countedRewards(outcomes).filter((o) => !storedRewards.has(o.decisionId as string)).length;
    if (process.env.REL_LOGS) fs.writeFileSync(process.env.REL_LOGS, svc.logs());
    process.stderr.write(`redis-loss: ${JSON.stringify(summarize(outcomes))}; outage ${recoveredAt - killedAt} ms; stored events ${rows.length}; acknowledged rewards lost with Redis memory: ${lost}\n`);
  });
});
