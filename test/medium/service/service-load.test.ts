/**
 * Under load on the machine's Redis and Postgres:
 * - 10,000 rewards over 200 concurrent connections, 20% of them sent twice → exactly the
 *   expected α + β totals in Redis and exactly one reward event per decision in Postgres;
 * - rebuilding from the events reproduces the live state exactly.
 */
import Redis from 'ioredis';
import { Client } from 'pg';
import { createRng } from '../../../src/core';
import { ExperimentsService } from '../../../src/experiments/experiment.service';
import { describeIf } from '../../support/env';
import { hasPostgres, hasRedis } from '../../support/services';
import { call, pool, startService, waitFor, type ServiceUnderTest } from './harness';

jest.setTimeout(180_000);

const N = 10_000;
const CONNECTIONS = 200;

describeIf(() => hasRedis() && hasPostgres())('service under concurrent load (Redis + Postgres)', () => {
  let s: ServiceUnderTest;
  beforeAll(async () => {
    s = await startService({ store: 'redis', events: 'postgres' });
  });
  afterAll(async () => s?.close());

  it('counts every reward exactly once with 20% retries, in Redis and in Postgres, and rebuilds the same state', async () => {
    const arms = ['a', 'b', 'c', 'd'];
    expect((await call(s.url, 'POST', '/experiments', { id: 'load', arms, prior: { alpha: 1, beta: 1 }, stopping: { minSamplesPerArm: 1_000_000 } })).status).toBe(201);
    const rng = createRng(20260101);
    const plan = Array.from({ length: N }, () => ({ reward: rng.nextFloat() < 0.3 ? 1 : 0, twice: rng.nextFloat() < 0.2 }));
    const served = await pool(N, CONNECTIONS, async (i) => {
      const sel = await call<{ decision_id: string; arm_index: number }>(s.url, 'POST', '/select', { experiment_id: 'load', unit_id: `u${i}` });
      expect(sel.status).toBe(200);
      const send = () => call<{ duplicate: boolean; reward: number }>(s.url, 'POST', '/reward', { decision_id: sel.body.decision_id, reward: plan[i].reward });
      const replies = plan[i].twice ? await Promise.all([send(), send()]) : [await send()];
      for (const r of replies) expect(r.status).toBe(200);
      expect(replies.filter((r) => !r.body.duplicate)).toHaveLength(1);
      for (const r of replies) expect(r.body.reward).toBe(plan[i].reward);
      return { arm: sel.body.arm_index, decision: sel.body.decision_id };
    });
    const expected = arms.map((_, k) => {
      const mine = plan.filter((_p, i) => served[i].arm === k);
      const clicks = mine.filter((p) => p.reward === 1).length;
      return { alpha: 1 + clicks, beta: 1 + mine.length - clicks, pulls: mine.length };
    });

    const redis = new Redis(s.redis!.url);
    try {
      const live = await redis.mget(...arms.flatMap((_, k) => [`experiment:{load}:arm:${k}:alpha`, `experiment:{load}:arm:${k}:beta`, `experiment:{load}:arm:${k}:pulls`]));
      expect(arms.map((_, k) => ({ alpha: Number(live[3 * k]), beta: Number(live[3 * k + 1]), pulls: Number(live[3 * k + 2]) }))).toEqual(expected);
      const total = expected.reduce((sum, e) => sum + e.alpha + e.beta, 0);
      expect(total).toBe(N + 2 * arms.length);
    } finally {
      redis.disconnect();
    }

    const pg = new Client({ connectionString: s.database!.url });
    await pg.connect();
    try {
      await waitFor(
        'all events in postgres',
        async () => (await pg.query("select count(*)::int as n from bandit_events where experiment_id = 'load'")).rows[0].n === 2 * N,
        60_000,
      );
      const perDecision = await pg.query("select count(*)::int as n from bandit_events where experiment_id = 'load' and event_type = 'reward' group by decision_id having count(*) <> 1");
      expect(perDecision.rows).toEqual([]);
      const rewards = await pg.query("select count(distinct decision_id)::int as n, sum(reward)::float as s from bandit_events where experiment_id = 'load' and event_type = 'reward'");
      expect(rewards.rows[0]).toEqual({ n: N, s: plan.filter((p) => p.reward === 1).length });
      const selects = await pg.query("select arm_index, count(*)::int as n from bandit_events where experiment_id = 'load' and event_type = 'select' group by arm_index order by arm_index");
      expect(selects.rows.map((r: { n: number }) => r.n)).toEqual(expected.map((e) => e.pulls));
    } finally {
      await pg.end();
    }

    // rebuild from the events equals the live state
    const before = await call<{ arms: Array<{ alpha: number; beta: number; assignments: number; rewards: number }> }>(s.url, 'GET', '/experiments/load');
    const report = await s.app.get(ExperimentsService).rebuild('load', 'overwrite');
    expect(report.wrote).toBe(true);
    const after = await call<{ arms: Array<{ alpha: number; beta: number; assignments: number; rewards: number }> }>(s.url, 'GET', '/experiments/load');
    expect(after.body.arms.map(({ alpha, beta, assignments, rewards }) => ({ alpha, beta, assignments, rewards }))).toEqual(
      before.body.arms.map(({ alpha, beta, assignments, rewards }) => ({ alpha, beta, assignments, rewards })),
    );
  });
});
