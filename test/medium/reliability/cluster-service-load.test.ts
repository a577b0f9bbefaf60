/**
 * The service's 10,000-reward concurrency test, run on a three-node Redis Cluster started
 * here: 10,000 decisions over 200 concurrent connections, 20% of the rewards sent twice →
 * exact α, β and pulls on the cluster (read with the fixed key names) and exactly one
 * reward event per decision in Postgres.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Cluster } from 'ioredis';
import { Client } from 'pg';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../../src/app/create-app';
import { loadConfig } from '../../../src/config/config';
import { createRng } from '../../../src/core';
import { startRedisCluster, type RedisClusterHandle } from '../../support/processes';
import { describeIf, hasProgram } from '../../support/env';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../../support/services';
import { call, pool, waitFor } from '../service/harness';

jest.setTimeout(300_000);

const N = 10_000;
const CONNECTIONS = 200;

describeIf(() => hasProgram('redis-server') && hasPostgres())('10,000 concurrent rewards through the service on a Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let db: TestDatabase;
  let app: NestFastifyApplication | undefined;
  let url = '';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-rel-cload-'));

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    db = await createTestDatabase('bandit_rel_cload');
    const config = loadConfig({ BANDIT_REDIS_URL: cluster.url, BANDIT_DATABASE_URL: db.url, BANDIT_DATA_DIR: dataDir, BANDIT_LOG_LEVEL: 'error', BANDIT_EVENT_FLUSH_MS: '50', BANDIT_SNAPSHOT_INTERVAL_SECONDS: '0' });
    app = await createApp(config);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.getHttpServer().address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });

  afterAll(async () => {
    await app?.close();
    await cluster?.stop();
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('exact totals on the cluster and in Postgres', async () => {
    const arms = ['a', 'b', 'c', 'd'];
    expect((await call(url, 'POST', '/experiments', { id: 'cload', arms, stopping: { minSamplesPerArm: 1_000_000 } })).status).toBe(201);
    const rng = createRng(20261129);
    const plan = Array.from({ length: N }, () => ({ reward: rng.nextFloat() < 0.3 ? 1 : 0, twice: rng.nextFloat() < 0.2 }));
    const served = await pool(N, CONNECTIONS, async (i) => {
      const sel = await call<{ decision_id: string; arm_index: number }>(url, 'POST', '/select', { experiment_id: 'cload' });
      expect(sel.status).toBe(200);
      const send = () => call<{ duplicate: boolean }>(url, 'POST', '/reward', { decision_id: sel.body.decision_id, reward: plan[i].reward });
      const replies = plan[i].twice ? await Promise.all([send(), send()]) : [await send()];
      for (const r of replies) expect(r.status).toBe(200);
      expect(replies.filter((r) => !r.body.duplicate)).toHaveLength(1);
      return sel.body.arm_index;
    });
    const expected = arms.map((_, k) => {
      const mine = plan.filter((_p, i) => served[i] === k);
      const clicks = mine.filter((p) => p.reward === 1).length;
      return { alpha: 1 + clicks, beta: 1 + mine.length - clicks, pulls: mine.length };
    });

    const reader = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
    try {
      const live = await reader.mget(...arms.flatMap((_, k) => [`experiment:{cload}:arm:${k}:alpha`, `experiment:{cload}:arm:${k}:beta`, `experiment:{cload}:arm:${k}:pulls`]));
      expect(arms.map((_, k) => ({ alpha: Number(live[3 * k]), beta: Number(live[3 * k + 1]), pulls: Number(live[3 * k + 2]) }))).toEqual(expected);
    } finally {
      reader.disconnect();
    }

    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      await waitFor('all events in postgres', async () => (await pg.query("select count(*)::int as n from bandit_events where experiment_id = 'cload'")).rows[0].n === 2 * N, 60_000);
      const perDecision = await pg.query("select decision_id from bandit_events where experiment_id = 'cload' and event_type = 'reward' group by decision_id having count(*) <> 1");
      expect(perDecision.rows).toEqual([]);
      const rewards = await pg.query("select count(distinct decision_id)::int as n, sum(reward)::float as s from bandit_events where experiment_id = 'cload' and event_type = 'reward'");
      expect(rewards.rows[0]).toEqual({ n: N, s: plan.filter((p) => p.reward === 1).length });
    } finally {
      await pg.end();
    }
  });
});
