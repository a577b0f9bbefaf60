/**
 * Holdout on the machine's Redis and Postgres: `holdout: 0.3` serves that share uniformly at
 * random and keeps it out of the posterior (no pulls, α and β unchanged by its rewards, also
 * after a rebuild from the events); the lift of the bandit over the holdout is reported with
 * its interval.
 */
import Redis from 'ioredis';
import { Client } from 'pg';
import { describeIf } from '../../support/env';
import { hasPostgres, hasRedis } from '../../support/services';
import { call, startService, waitFor, type ServiceUnderTest } from './harness';

jest.setTimeout(180_000);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const common = (require('../../../src/dashboard/static/common.js') as { BanditCommon: { normalize(v: unknown): { holdout: unknown } } }).BanditCommon;

interface View {
  arms: Array<{ alpha: number; beta: number; assignments: number }>;
  holdout: {
    share: number;
    bandit: { decisions: number; rewarded: number; mean: number | null };
    holdout: { decisions: number; rewarded: number; mean: number | null };
    lift: number | null;
    ci95: [number, number] | null;
  } | null;
}

describeIf(() => hasRedis() && hasPostgres())('holdout on Redis + Postgres', () => {
  let s: ServiceUnderTest;
  beforeAll(async () => {
    s = await startService({ store: 'redis', events: 'postgres' });
  });
  afterAll(async () => s?.close());

  it('the holdout share is served at random, kept out of the posterior, and the lift is measured', async () => {
    // a short burn-in (equal shares until 10 observations per arm), so the bandit learns within these 300 visitors
    expect((await call(s.url, 'POST', '/experiments', { id: 'ho', arms: ['control', 'b'], holdout: 0.3, stopping: { minSamplesPerArm: 10 } })).status).toBe(201);
    let held = 0;
    const heldArms = [0, 0];
    for (let i = 0; i < 300; i++) {
      const sel = (await call<{ decision_id: string; arm: string; arm_index: number; holdout?: boolean; propensity: number }>(s.url, 'POST', '/select', { experiment_id: 'ho' })).body;
      if (sel.holdout) {
        held++;
        heldArms[sel.arm_index]++;
        expect(sel.propensity).toBe(0.5);
      }
      expect((await call(s.url, 'POST', '/reward', { decision_id: sel.decision_id, reward: sel.arm === 'b' ? 1 : 0 })).status).toBe(200);
    }
    // Binomial(300, 0.3): mean 90, sd 7.9
    expect(held).toBeGreaterThan(50);
    expect(held).toBeLessThan(130);
    expect(Math.min(...heldArms)).toBeGreaterThan(15);
    let v = (await call<View>(s.url, 'GET', '/experiments/ho')).body;
    expect(v.arms.reduce((a, x) => a + x.assignments, 0)).toBe(300 - held);
    expect(v.arms.reduce((a, x) => a + x.alpha + x.beta - 2, 0)).toBe(300 - held);
    const c = new Client({ connectionString: s.database?.url });
    await c.connect();
    try {
      await waitFor('the events in Postgres', async () => Number((await c.query("SELECT count(*) AS n FROM bandit_events WHERE experiment_id = 'ho'")).rows[0].n) >= 600);
    } finally {
      await c.end();
    }
    v = (await call<View>(s.url, 'GET', '/experiments/ho')).body;
    expect(v.holdout).toMatchObject({ share: 0.3, bandit: { decisions: 300 - held, rewarded: 300 - held }, holdout: { decisions: held, rewarded: held } });
    expect(v.holdout?.holdout.mean).toBeCloseTo(heldArms[1] / held, 12);
    expect(v.holdout?.lift).toBeGreaterThan(0);
    expect(v.holdout?.ci95?.[0]).toBeGreaterThan(0);
    // the dashboard's view model (common.js, run under Node) carries the lift
    expect(common.normalize(v).holdout).toMatchObject({ share: 0.3, lift: v.holdout?.lift, ciLow: v.holdout?.ci95?.[0] });
    // a rebuild from the events keeps the holdout out of the posterior
    const before = v.arms.map((x) => [x.alpha, x.beta, x.assignments]);
    await s.stop();
    const r = new Redis(s.redis?.url as string);
    await r.flushdb();
    r.disconnect();
    s = await s.restart();
    expect((await call<View>(s.url, 'GET', '/experiments/ho')).body.arms.map((x) => [x.alpha, x.beta, x.assignments])).toEqual(before);
  });

  it('refuses a holdout with sticky units', async () => {
    const r = await call<{ error: { message: string } }>(s.url, 'POST', '/experiments', { id: 'ho-sticky', arms: ['a', 'b'], holdout: 0.1, sticky: true });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/holdout/);
  });
});

describe('holdout on the in-process store and SQLite', () => {
  let s: ServiceUnderTest;
  beforeAll(async () => {
    s = await startService({ store: 'memory', events: 'sqlite' });
  });
  afterAll(async () => s?.close());

  it('keeps holdout decisions out of the posterior and stores their events', async () => {
    expect((await call(s.url, 'POST', '/experiments', { id: 'ho-mem', arms: ['a', 'b'], holdout: 0.5, stopping: { minSamplesPerArm: 1e6 } })).status).toBe(201);
    let held = 0;
    for (let i = 0; i < 60; i++) {
      const sel = (await call<{ decision_id: string; holdout?: boolean }>(s.url, 'POST', '/select', { experiment_id: 'ho-mem' })).body;
      if (sel.holdout) held++;
      expect((await call(s.url, 'POST', '/reward', { decision_id: sel.decision_id, reward: 1 })).status).toBe(200);
    }
    expect(held).toBeGreaterThan(10);
    const v = (await call<View>(s.url, 'GET', '/experiments/ho-mem')).body;
    expect(v.arms.reduce((a, x) => a + x.alpha - 1, 0)).toBe(60 - held);
    await waitFor('the holdout events in SQLite', async () => (await call<View>(s.url, 'GET', '/experiments/ho-mem')).body.holdout?.holdout.rewarded === held);
  });
});
