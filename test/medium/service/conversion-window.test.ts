/**
 * Conversion windows on the machine's Redis and Postgres, with two replicas of the service
 * (two applications on the same stores) sweeping at once: 50 decisions with a 2 s window
 * and 10 clicks end with α+β grown by exactly 50 and 40 zero-reward events in
 * bandit_events; a reward after the window closed is refused (409 window_closed) and
 * changes nothing; pending decisions per arm are shown until their window closes. A
 * replica that restarts while windows are open closes them after the restart. The
 * in-process store keeps the same rules.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import { createApp } from '../../../src/app/create-app';
import { describeIf } from '../../support/env';
import { hasPostgres, hasRedis } from '../../support/services';
import { call, pool, startService, waitFor, type ServiceUnderTest } from './harness';

jest.setTimeout(180_000);

interface View {
  status: string;
  arms: Array<{ alpha: number; beta: number; assignments: number; pending: number }>;
  definition: { conversionWindowSeconds: number | null; defaultReward: number };
}
interface Selected {
  decision_id: string;
}

const grown = (v: View) => v.arms.reduce((a, x) => a + x.alpha + x.beta, 0) - 2 * v.arms.length;

async function second(s: ServiceUnderTest): Promise<{ url: string; app: NestFastifyApplication }> {
  const app = await createApp(s.config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.getHttpServer().address();
  return { url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, app };
}

async function rewardEvents(url: string, id: string): Promise<Array<{ reward: number; n: number }>> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ reward: number; n: string }>(
      "SELECT reward, count(*) AS n FROM bandit_events WHERE experiment_id = $1 AND event_type = 'reward' GROUP BY reward ORDER BY reward",
      [id],
    );
    return r.rows.map((x) => ({ reward: Number(x.reward), n: Number(x.n) }));
  } finally {
    await c.end();
  }
}

describeIf(() => hasRedis() && hasPostgres())('conversion windows on Redis + Postgres, two replicas', () => {
  let s: ServiceUnderTest;
  let b: { url: string; app: NestFastifyApplication } | undefined;
  beforeAll(async () => {
    s = await startService({ store: 'redis', events: 'postgres' });
    b = await second(s);
  });
  afterAll(async () => {
    await b?.app.close();
    await s?.close();
  });

  it('50 decisions, 2 s window, 10 clicks: α+β grows by exactly 50, 40 zero rewards stored, a late reward refused', async () => {
    const other = b as { url: string };
    const created = await call<View>(s.url, 'POST', '/experiments', { id: 'win', arms: ['a', 'b'], conversion_window_seconds: 2 });
    expect(created.status).toBe(201);
    expect(created.body.definition).toMatchObject({ conversionWindowSeconds: 2, defaultReward: 0 });
    const urls = [s.url, other.url];
    const decisions = await pool(50, 8, async (i) => (await call<Selected>(urls[i % 2], 'POST', '/select', { experiment_id: 'win' })).body.decision_id);
    expect(new Set(decisions).size).toBe(50);
    const clicks = await pool(10, 5, async (i) => call(urls[(i + 1) % 2], 'POST', '/reward', { decision_id: decisions[i], reward: 1 }));
    for (const c of clicks) expect(c.status).toBe(200);
    let v = (await call<View>(s.url, 'GET', '/experiments/win')).body;
    expect(grown(v)).toBe(10);
    expect(v.arms.reduce((a, x) => a + x.pending, 0)).toBe(40);
    // both replicas sweep; every closed window is counted once
    await waitFor('the windows to close', async () => grown((await call<View>(other.url, 'GET', '/experiments/win')).body) >= 50, 15_000);
    await new Promise((r) => setTimeout(r, 1000));
    v = (await call<View>(s.url, 'GET', '/experiments/win')).body;
    expect(grown(v)).toBe(50);
    expect(v.arms.map((x) => x.pending)).toEqual([0, 0]);
    expect(v.arms.reduce((a, x) => a + x.alpha, 0) - 2).toBe(10);
    // a click after the window closed changes nothing
    const late = await call<{ error: { code: string } }>(other.url, 'POST', '/reward', { decision_id: decisions[20], reward: 1 });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('window_closed');
    // a clicked decision stays clicked
    expect((await call<{ duplicate: boolean; reward: number }>(s.url, 'POST', '/reward', { decision_id: decisions[0], reward: 1 })).body).toMatchObject({ duplicate: true, reward: 1 });
    expect(grown((await call<View>(s.url, 'GET', '/experiments/win')).body)).toBe(50);
    const db = s.database?.url as string;
    await waitFor('the events to reach Postgres', async () => (await rewardEvents(db, 'win')).reduce((a, x) => a + x.n, 0) >= 50, 15_000);
    expect(await rewardEvents(db, 'win')).toEqual([
      { reward: 0, n: 40 },
      { reward: 1, n: 10 },
    ]);
  });

  it('windows open across a restart are closed after it; a reward inside the window counts once', async () => {
    await b?.app.close();
    b = undefined;
    expect((await call(s.url, 'POST', '/experiments', { id: 'win-restart', arms: ['a', 'b'], conversion_window_seconds: 2, default_reward: 0.25 })).status).toBe(201);
    const decisions = await pool(8, 4, async () => (await call<Selected>(s.url, 'POST', '/select', { experiment_id: 'win-restart' })).body.decision_id);
    s = await s.restart();
    expect((await call(s.url, 'POST', '/reward', { decision_id: decisions[0], reward: 1 })).status).toBe(200);
    await waitFor('the windows to close', async () => (await call<View>(s.url, 'GET', '/experiments/win-restart')).body.arms.every((x) => x.pending === 0), 15_000);
    const v = (await call<View>(s.url, 'GET', '/experiments/win-restart')).body;
    expect(grown(v)).toBeCloseTo(8, 10);
    expect(v.arms.reduce((a, x) => a + x.alpha, 0) - 2).toBeCloseTo(1 + 7 * 0.25, 10);
  });

  it('default_reward without a window is refused', async () => {
    const r = await call<{ error: { message: string } }>(s.url, 'POST', '/experiments', { id: 'win-bad', arms: ['a', 'b'], default_reward: 0.5 });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/default_reward/);
  });
});

describe('conversion windows on the in-process store', () => {
  let s: ServiceUnderTest;
  beforeAll(async () => {
    s = await startService({ store: 'memory', events: 'sqlite' });
  });
  afterAll(async () => s?.close());

  it('counts the default reward once per closed window and refuses late rewards', async () => {
    expect((await call(s.url, 'POST', '/experiments', { id: 'win-mem', arms: ['a', 'b'], conversion_window_seconds: 1 })).status).toBe(201);
    const decisions: string[] = [];
    for (let i = 0; i < 6; i++) decisions.push((await call<Selected>(s.url, 'POST', '/select', { experiment_id: 'win-mem' })).body.decision_id);
    expect((await call(s.url, 'POST', '/reward', { decision_id: decisions[0], reward: 1 })).status).toBe(200);
    expect((await call<View>(s.url, 'GET', '/experiments/win-mem')).body.arms.reduce((a, x) => a + x.pending, 0)).toBe(5);
    await waitFor('the windows to close', async () => grown((await call<View>(s.url, 'GET', '/experiments/win-mem')).body) >= 6, 10_000);
    await new Promise((r) => setTimeout(r, 600));
    expect(grown((await call<View>(s.url, 'GET', '/experiments/win-mem')).body)).toBe(6);
    const late = await call<{ error: { code: string } }>(s.url, 'POST', '/reward', { decision_id: decisions[3], reward: 1 });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('window_closed');
  });
});
