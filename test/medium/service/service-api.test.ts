/**
 * The HTTP API on the machine's Redis and Postgres: every documented error case returns
 * its status and JSON `{error: {code, message}}`; the happy paths return what the
 * OpenAPI document promises.
 */
import { Client } from 'pg';
import { describeIf } from '../../support/env';
import { hasPostgres, hasRedis } from '../../support/services';
import { call, startService, waitFor, type ServiceUnderTest } from './harness';

jest.setTimeout(180_000);

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

describeIf(() => hasRedis() && hasPostgres())('service API on Redis + Postgres', () => {
  let s: ServiceUnderTest;
  beforeAll(async () => {
    s = await startService({ store: 'redis', events: 'postgres', env: { BANDIT_ADMIN_TOKEN: TOKEN } });
    const created = await call(s.url, 'POST', '/experiments', { id: 'cta', arms: ['control', 'treatment_a', 'treatment_b'] }, auth);
    expect(created.status).toBe(201);
  });
  afterAll(async () => s?.close());

  const expectError = (r: { status: number; body: unknown }, status: number, code: string, message: RegExp) => {
    expect(r.status).toBe(status);
    expect(r.body).toEqual({ error: { code, message: expect.stringMatching(message) } });
  };

  it('400: malformed JSON, wrong types, unknown fields, reward out of range, bad ids, inconsistent definitions', async () => {
    expectError(await call(s.url, 'POST', '/select', '{"experiment_id": '), 400, 'invalid_input', /not valid JSON/);
    expectError(await call(s.url, 'POST', '/select', { experiment_id: 42 }), 400, 'invalid_input', /experiment_id/);
    expectError(await call(s.url, 'POST', '/select', { experiment_id: 'cta', extra: 1 }), 400, 'invalid_input', /extra/);
    expectError(await call(s.url, 'POST', '/select', [1, 2]), 400, 'invalid_input', /JSON object/);
    expectError(await call(s.url, 'POST', '/reward', { decision_id: 'x', reward: 1.5 }), 400, 'invalid_input', /reward must be in \[0, 1\]/);
    expectError(await call(s.url, 'POST', '/reward', { decision_id: 'x', reward: -0.1 }), 400, 'invalid_input', /reward/);
    expectError(await call(s.url, 'POST', '/reward', { decision_id: 'x' }), 400, 'invalid_input', /reward/);
    expectError(await call(s.url, 'GET', '/experiments/Not_Valid'), 400, 'invalid_input', /experiment id must match/);
    expectError(await call(s.url, 'POST', '/experiments', { id: 'one', arms: ['a'] }, auth), 400, 'invalid_input', /at least 2 arms/);
    expectError(await call(s.url, 'POST', '/experiments', { id: 'dup', arms: ['a', 'a'] }, auth), 400, 'invalid_input', /unique/);
    expectError(await call(s.url, 'POST', '/experiments', { id: 'Bad Id', arms: ['a', 'b'] }, auth), 400, 'invalid_input', /id: must match/);
    expectError(await call(s.url, 'POST', '/experiments', { id: 'pri', arms: ['a', 'b'], prior: [{ alpha: 1, beta: 1 }] }, auth), 400, 'invalid_input', /one per arm/);
    expectError(await call(s.url, 'POST', '/experiments', { id: 'pri', arms: ['a', 'b'], prior: { alpha: 0, beta: 1 } }, auth), 400, 'invalid_input', /prior/);
    expectError(await call(s.url, 'POST', '/experiments', { id: 'fl', arms: ['a', 'b'], floors: [0.7, 0.7] }, auth), 400, 'invalid_input', /floors add up/);
    expectError(await call(s.url, 'POST', '/experiments', { id: 'fl', arms: ['a', 'b'], caps: { c: 0.5 } }, auth), 400, 'invalid_input', /unknown arm "c"/);
  });

  it('401: admin routes without or with a wrong bearer token (and a WWW-Authenticate header)', async () => {
    const none = await call(s.url, 'POST', '/experiments', { id: 'x', arms: ['a', 'b'] });
    expectError(none, 401, 'unauthorized', /Bearer/);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expectError(await call(s.url, 'POST', '/experiments/cta/conclude', undefined, { authorization: 'Bearer wrong-token-but-long' }), 401, 'unauthorized', /not valid/);
    expectError(await call(s.url, 'POST', '/experiments/cta/stop', undefined, { authorization: TOKEN }), 401, 'unauthorized', /not valid/);
    // serving and reading need no token
    expect((await call(s.url, 'GET', '/experiments/cta')).status).toBe(200);
  });

  it('404: unknown experiment, unknown / forged decision, unknown route', async () => {
    expectError(await call(s.url, 'GET', '/experiments/nope'), 404, 'not_found', /"nope" does not exist/);
    expectError(await call(s.url, 'POST', '/select', { experiment_id: 'nope' }), 404, 'not_found', /does not exist/);
    expectError(await call(s.url, 'POST', '/reward', { decision_id: 'cta.0.AAAAAAAAAAAAAAAAAAAAAA', reward: 1 }), 404, 'not_found', /unknown or expired/);
    expectError(await call(s.url, 'POST', '/reward', { decision_id: 'garbage', reward: 1 }), 404, 'not_found', /unknown or expired/);
    expectError(await call(s.url, 'POST', '/reward', { decision_id: 'nope.0.AAAAAAAAAAAAAAAAAAAAAA', reward: 1 }), 404, 'not_found', /unknown or expired/);
    expectError(await call(s.url, 'POST', '/reward', { decision_id: 'cta.7.AAAAAAAAAAAAAAAAAAAAAA', reward: 1 }), 404, 'not_found', /unknown or expired/);
    expectError(await call(s.url, 'GET', '/no/such/route'), 404, 'not_found', /no such route/);
  });

  it('409: duplicate experiment id, concluding a concluded experiment, serving a stopped one', async () => {
    expectError(await call(s.url, 'POST', '/experiments', { id: 'cta', arms: ['a', 'b'] }, auth), 409, 'already_exists', /already exists/);
    expect((await call(s.url, 'POST', '/experiments', { id: 'short', arms: ['a', 'b'], prior: [{ alpha: 30, beta: 1 }, { alpha: 1, beta: 30 }], stopping: { minSamplesPerArm: 0, probBest: 0.6, expectedLoss: 0.5 } }, auth)).status).toBe(201);
    const c = await call<{ verdict: { status: string } }>(s.url, 'POST', '/experiments/short/conclude', undefined, auth);
    expect(c.status).toBe(200);
    expect(c.body.verdict.status).toBe('winner');
    expectError(await call(s.url, 'POST', '/experiments/short/conclude', undefined, auth), 409, 'conflict', /already concluded/);

    expect((await call(s.url, 'POST', '/experiments', { id: 'halt', arms: ['a', 'b'] }, auth)).status).toBe(201);
    const d = await call<{ decision_id: string }>(s.url, 'POST', '/select', { experiment_id: 'halt' });
    const stop = await call<{ status: string }>(s.url, 'POST', '/experiments/halt/stop', undefined, auth);
    expect(stop.body.status).toBe('stopped');
    expect((await call(s.url, 'POST', '/experiments/halt/stop', undefined, auth)).status).toBe(200);
    expectError(await call(s.url, 'POST', '/select', { experiment_id: 'halt' }), 409, 'conflict', /stopped/);
    // also once the cached allocation has aged past its refresh interval
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 150));
      expectError(await call(s.url, 'POST', '/select', { experiment_id: 'halt' }), 409, 'conflict', /stopped/);
    }
    expectError(await call(s.url, 'POST', '/reward', { decision_id: d.body.decision_id, reward: 1 }), 409, 'conflict', /stopped/);
    expectError(await call(s.url, 'POST', '/experiments/halt/conclude', undefined, auth), 409, 'conflict', /stopped/);
  });

  it('413: a body over 64 KiB', async () => {
    const big = JSON.stringify({ experiment_id: 'cta', unit_id: 'x'.repeat(70 * 1024) });
    expectError(await call(s.url, 'POST', '/select', big), 413, 'payload_too_large', /larger than the limit/);
  });

  it('select → reward → retry: the first result with duplicate: true, α and β unchanged', async () => {
    const sel = await call<{ decision_id: string; arm: string; arm_index: number; propensity: number; experiment_id: string }>(s.url, 'POST', '/select', { experiment_id: 'cta', unit_id: 'u-1' });
    expect(sel.status).toBe(200);
    expect(sel.body.decision_id).toMatch(/^cta\.[0-2]\.[A-Za-z0-9_-]{22}$/);
    expect(sel.body.propensity).toBeCloseTo(1 / 3, 12);
    const before = await call<{ arms: Array<{ alpha: number; beta: number }> }>(s.url, 'GET', '/experiments/cta');
    const r1 = await call<Record<string, unknown>>(s.url, 'POST', '/reward', { decision_id: sel.body.decision_id, reward: 1 });
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({ decision_id: sel.body.decision_id, experiment_id: 'cta', arm: sel.body.arm, arm_index: sel.body.arm_index, reward: 1, duplicate: false });
    const r2 = await call<Record<string, unknown>>(s.url, 'POST', '/reward', { decision_id: sel.body.decision_id, reward: 0 });
    expect(r2.body).toEqual({ ...r1.body, duplicate: true });
    const after = await call<{ arms: Array<{ alpha: number; beta: number; assignments: number }> }>(s.url, 'GET', '/experiments/cta');
    const k = sel.body.arm_index;
    expect(after.body.arms[k].alpha).toBe(before.body.arms[k].alpha + 1);
    expect(after.body.arms[k].beta).toBe(before.body.arms[k].beta);
  });

  it('health, readiness, metrics and the OpenAPI document', async () => {
    expect((await call(s.url, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await call(s.url, 'GET', '/readyz')).body).toEqual({ status: 'ready', store: 'dragonfly', database: 'postgres' });
    const metrics = await fetch(`${s.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/bandit_selections_total\{experiment="cta",arm="[a-z_]+",source="http"\} \d+/);
    expect(metrics).toMatch(/bandit_posterior_alpha\{experiment="cta",arm="control"\} \d/);
    expect(metrics).toMatch(/bandit_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/select",status="200"\}/);
    // every request is timed under its route's path: the Fastify serving routes, Nest's routes (with
    // their parameters), a route refusing a request (the 404 of /select above), and none at all
    expect(metrics).toMatch(/bandit_http_request_duration_seconds_count\{method="POST",route="\/reward",status="200"\} [1-9]/);
    expect(metrics).toMatch(/bandit_http_request_duration_seconds_count\{method="POST",route="\/select",status="404"\} [1-9]/);
    expect(metrics).toMatch(/bandit_http_request_duration_seconds_count\{method="GET",route="\/experiments\/:id",status="200"\} [1-9]/);
    expect(metrics).toMatch(/bandit_http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} [1-9]/);
    const doc = await call<{ paths: Record<string, Record<string, unknown>> }>(s.url, 'GET', '/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/experiments', '/experiments/{id}', '/experiments/{id}/conclude', '/experiments/{id}/stop', '/healthz', '/metrics', '/readyz', '/reward', '/select']),
    );
    expect(Object.keys(doc.body.paths['/select'].post as object)).toEqual(expect.arrayContaining(['requestBody', 'responses']));
    expect((await fetch(`${s.url}/docs`)).status).toBe(200);
  });

  it('events reach Postgres: one select row per decision, one reward row per counted reward', async () => {
    const pg = new Client({ connectionString: s.database!.url });
    await pg.connect();
    try {
      await waitFor('events in postgres', async () => {
        const r = await pg.query("select count(*)::int as n from bandit_events where experiment_id = 'cta' and event_type = 'reward'");
        return r.rows[0].n === 1;
      });
      const dup = await pg.query('select decision_id, event_type, count(*) from bandit_events group by 1, 2 having count(*) > 1');
      expect(dup.rows).toEqual([]);
    } finally {
      await pg.end();
    }
  });
});
