/**
 * POST /design on the running service (in-process store, SQLite): the operating
 * characteristics as JSON, bounded work (runs, visitors, arms capped; no search), admin
 * only, and the documented error shape for bad input.
 */
import { call, startService, type ServiceUnderTest } from '../service/harness';

jest.setTimeout(300_000);

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('POST /design', () => {
  let s: ServiceUnderTest;
  beforeAll(async () => {
    s = await startService({ store: 'memory', events: 'sqlite', env: { BANDIT_ADMIN_TOKEN: TOKEN } });
  });
  afterAll(async () => s?.close());

  it('simulates the rule as configured and answers the same for the same seed', async () => {
    const body = { baselineRate: 0.05, minLift: 0.6, runs: 8, maxVisitors: 6000, seed: 'api', stopping: { minSamplesPerArm: 300, probBest: 0.99 } };
    const r = await call(s.url, 'POST', '/design', body, auth);
    expect(r.status).toBe(200);
    const d = r.body as { runs: number; aa: { runs: number; falseWinnerRate: number }; lift: { runs: number; winnerRate: number; rates: number[] }; fixedHorizon: { total: number }; stopping: { probBest: number } };
    expect(d.runs).toBe(8);
    expect(d.aa.runs).toBe(8);
    expect(d.lift.runs).toBe(8);
    expect(d.lift.rates[1]).toBeCloseTo(0.08, 12);
    expect(d.lift.winnerRate).toBeGreaterThan(0.5);
    expect(d.fixedHorizon.total).toBe(2118);
    expect(d.stopping.probBest).toBe(0.99);
    const again = await call(s.url, 'POST', '/design', body, auth);
    expect(again.body).toEqual(r.body);
  });

  it('is bounded and admin-only', async () => {
    const tooMany = await call(s.url, 'POST', '/design', { runs: 5000 }, auth);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toMatchObject({ error: { code: 'invalid_input' } });
    expect(JSON.stringify(tooMany.body)).toMatch(/runs/);
    const tooLong = await call(s.url, 'POST', '/design', { maxVisitors: 10_000_000 }, auth);
    expect(tooLong.status).toBe(400);
    expect(JSON.stringify(tooLong.body)).toMatch(/maxVisitors/);
    const unknown = await call(s.url, 'POST', '/design', { search: true }, auth);
    expect(unknown.status).toBe(400);
    const noToken = await call(s.url, 'POST', '/design', { runs: 1 });
    expect(noToken.status).toBe(401);
  });

});
