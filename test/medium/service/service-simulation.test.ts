/**
 * A simulated 3-arm experiment (click rates 0.02 / 0.03 / 0.05) through the HTTP API on
 * the machine's Redis and Postgres: traffic shifts towards the best arm and the automatic
 * stopping rule concludes with it as the winner; afterwards /select serves the winner
 * and the decision that declared it is stored with its numbers. Then the service is
 * restarted on an emptied Redis and rebuilds the same posteriors from Postgres.
 */
import Redis from 'ioredis';
import { Client } from 'pg';
import { createRng } from '../../../src/core';
import { describeIf } from '../../support/env';
import { hasPostgres, hasRedis } from '../../support/services';
import { call, pool, startService, waitFor, type ServiceUnderTest } from './harness';

jest.setTimeout(300_000);

const RATES = [0.02, 0.03, 0.05];
const MAX_REQUESTS = 30_000;
const BATCH = 500;

interface ArmOut {
  name: string;
  alpha: number;
  beta: number;
  assignments: number;
  rewards: number;
}
interface ExperimentOut {
  status: string;
  arms: ArmOut[];
  winner: { index: number; name: string; decision: { status: string; probBest: number[]; expectedLoss: number[]; trigger: string } | null } | null;
}

describeIf(() => hasRedis() && hasPostgres())('simulated experiment (Redis + Postgres)', () => {
  let s: ServiceUnderTest;
  beforeAll(async () => {
    s = await startService({ store: 'redis', events: 'postgres', env: { BANDIT_AUTO_CONCLUDE_INTERVAL_MS: '200' } });
  });
  afterAll(async () => s?.close());

  it('sends most traffic to the best arm, declares it the winner, then serves it; a lost Redis is rebuilt from Postgres', async () => {
    const created = await call(s.url, 'POST', '/experiments', { id: 'sim', arms: ['low', 'mid', 'high'], stopping: { probBest: 0.95, expectedLoss: 0.001, minSamplesPerArm: 100 } });
    expect(created.status).toBe(201);
    const rng = createRng(7);
    let sent = 0;
    let view: ExperimentOut | undefined;
    while (sent < MAX_REQUESTS) {
      const draws = Array.from({ length: BATCH }, () => rng.nextFloat());
      await pool(BATCH, 16, async (i) => {
        const sel = await call<{ decision_id: string; arm_index: number }>(s.url, 'POST', '/select', { experiment_id: 'sim' });
        expect(sel.status).toBe(200);
        const r = await call(s.url, 'POST', '/reward', { decision_id: sel.body.decision_id, reward: draws[i] < RATES[sel.body.arm_index] ? 1 : 0 });
        expect(r.status).toBe(200);
      });
      sent += BATCH;
      view = (await call<ExperimentOut>(s.url, 'GET', '/experiments/sim')).body;
      if (view.status === 'concluded') break;
    }
    expect(view?.status).toBe('concluded');
    expect(view?.winner?.name).toBe('high');
    const pulls = view!.arms.map((a) => a.assignments);
    const total = pulls.reduce((a, b) => a + b, 0);
    // more than its uniform share and more than each other arm (a majority is not assured: the
    // burn-in serves every arm equally until the minimum sample, and the rule may conclude soon after)
    expect(pulls[2] / total).toBeGreaterThan(1 / 3);
    expect(pulls[2]).toBeGreaterThan(pulls[1]);
    expect(pulls[2]).toBeGreaterThan(pulls[0]);
    const decision = view!.winner!.decision!;
    expect(decision.status).toBe('winner');
    expect(decision.probBest[2]).toBeGreaterThanOrEqual(0.95);
    expect(decision.expectedLoss[2]).toBeLessThanOrEqual(0.001);

    // concluded without exploration: every select serves the winner with propensity 1
    for (let i = 0; i < 20; i++) {
      const sel = await call<{ arm: string; propensity: number }>(s.url, 'POST', '/select', { experiment_id: 'sim' });
      expect(sel.body).toMatchObject({ arm: 'high', propensity: 1 });
    }

    const pg = new Client({ connectionString: s.database!.url });
    await pg.connect();
    try {
      const rows = await pg.query("select status, winner_index, prob_best from verdicts where experiment_id = 'sim' order by id");
      expect(rows.rows.at(-1)).toMatchObject({ status: 'winner', winner_index: 2 });
      const snaps = await pg.query("select count(*)::int as n from posterior_snapshots where experiment_id = 'sim' and reason = 'verdict'");
      expect(snaps.rows[0].n).toBeGreaterThanOrEqual(3);
      const live = (await call<ExperimentOut>(s.url, 'GET', '/experiments/sim')).body;
      await waitFor('every event in postgres', async () => {
        const n = (await pg.query("select count(*)::int as n from bandit_events where experiment_id = 'sim' and event_type = 'select'")).rows[0].n;
        return n === live.arms.reduce((a, b) => a + b.assignments, 0);
      });

      // Redis loses everything; a restarted service rebuilds the posteriors from the events
      await s.stop();
      const redis = new Redis(s.redis!.url);
      await redis.flushdb();
      redis.disconnect();
      s = await s.restart();
      const rebuilt = (await call<ExperimentOut>(s.url, 'GET', '/experiments/sim')).body;
      expect(rebuilt.status).toBe('concluded');
      expect(rebuilt.arms.map(({ alpha, beta, assignments, rewards }) => ({ alpha, beta, assignments, rewards }))).toEqual(
        live.arms.map(({ alpha, beta, assignments, rewards }) => ({ alpha, beta, assignments, rewards })),
      );
    } finally {
      await pg.end();
    }
  });
});
