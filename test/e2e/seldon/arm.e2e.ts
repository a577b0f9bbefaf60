/**
 * `bandit arm` as a Seldon MODEL component over real HTTP: the payload from /predict in
 * every body form, the feedback the executor forwards to the chosen child, health,
 * metadata, errors in Seldon's shape, Prometheus on the operator's metrics port, CLI
 * errors, and a clean stop on SIGTERM.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import { BANDIT_BIN, describeIf, hasBuiltCli } from '../../support/env';
import { freePort, waitFor } from '../../support/processes';

// servers start slowly on a busy machine (jest applied its 5 s default here, not the project timeout)
jest.setTimeout(120_000);

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PAYLOAD = { headline: 'Free shipping today', color: 'green' };
const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? os.tmpdir() };

async function req(url: string, init: RequestInit = {}) {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await r.text();
  let body: Obj | string = text;
  try {
    body = JSON.parse(text) as Obj;
  } catch {
    /* text */
  }
  return { status: r.status, body: body as Obj, text };
}

describeIf(() => hasBuiltCli())('bandit arm (Seldon MODEL component)', () => {
  let child: ChildProcess;
  let base = '';
  let metricsPort = 0;
  let exited: Promise<number | null>;

  beforeAll(async () => {
    metricsPort = await freePort();
    child = spawn(process.execPath, [BANDIT_BIN, 'arm', '--name', 'treatment-a', '--payload', JSON.stringify(PAYLOAD), '--port', '0', '--host', '127.0.0.1'], {
      env: { ...baseEnv, PREDICTIVE_UNIT_METRICS_SERVICE_PORT: String(metricsPort), PREDICTIVE_UNIT_METRICS_ENDPOINT: '/prometheus' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const m = await waitFor('bandit arm to listen', () => /arm treatment-a listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out), 20_000, 50);
    base = m[1];
  }, 30_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('/predict returns the payload as jsonData for JSON, form, query and the v1.0 path', async () => {
    const msg = JSON.stringify({ data: { ndarray: [[1, 2]] }, meta: { puid: 'p-1' } });
    const replies = [
      await req(`${base}/predict`, { method: 'POST', body: msg, headers: { 'content-type': 'application/json' } }),
      await req(`${base}/predict`, { method: 'POST', body: new URLSearchParams({ json: msg }) }),
      await req(`${base}/predict?json=${encodeURIComponent(msg)}`),
      await req(`${base}/api/v1.0/predictions`, { method: 'POST', body: msg, headers: { 'content-type': 'application/json' } }),
    ];
    for (const r of replies) {
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ jsonData: PAYLOAD, meta: { puid: 'p-1', tags: { arm: 'treatment-a' } } });
    }
  });

  it('acknowledges the feedback the executor forwards to the chosen child', async () => {
    const fb = JSON.stringify({ request: { data: { ndarray: [[1]] } }, response: { jsonData: PAYLOAD, meta: { routing: { 'bandit-router': 1 } } }, reward: 1 });
    for (const p of ['/send-feedback', '/api/v1.0/feedback']) {
      const r = await req(`${base}${p}`, { method: 'POST', body: fb, headers: { 'content-type': 'application/json' } });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ meta: { tags: { arm: 'treatment-a' } } });
    }
  });

  it('health and metadata', async () => {
    expect((await req(`${base}/health/ping`)).text).toBe('pong');
    expect((await req(`${base}/health/status`)).body).toEqual({ strData: 'healthy', meta: {} });
    expect((await req(`${base}/metadata`)).body).toMatchObject({ name: 'treatment-a', platform: 'bayesian-bandit', outputs: [{ messagetype: 'jsonData' }], custom: { arm: 'treatment-a' } });
  });

  it("bad requests get Seldon's error shape", async () => {
    const cases = [
      await req(`${base}/predict`, { method: 'POST', body: '{nope', headers: { 'content-type': 'application/json' } }),
      await req(`${base}/predict`, { method: 'POST', body: JSON.stringify({ data: { rows: [] } }), headers: { 'content-type': 'application/json' } }),
      await req(`${base}/predict`, { method: 'POST' }),
      await req(`${base}/send-feedback`, { method: 'POST', body: JSON.stringify({ reward: 'x' }), headers: { 'content-type': 'application/json' } }),
    ];
    for (const r of cases) {
      expect(r.status).toBe(400);
      expect(r.body.status).toMatchObject({ status: 1, code: -1, reason: 'MICROSERVICE_BAD_DATA' });
    }
    expect(cases[1].body.status.info).toContain('message.data: unknown field "rows"');
    const missing = await req(`${base}/nowhere`);
    expect(missing.status).toBe(404);
    expect(missing.body.status.reason).toBe('MICROSERVICE_BAD_DATA');
  });

  it("Prometheus text on the operator's metrics port counts predictions and feedback", async () => {
    const r = await req(`http://127.0.0.1:${metricsPort}/prometheus`);
    expect(r.status).toBe(200);
    expect(r.text).toContain('bandit_arm_predictions_total{arm="treatment-a"} 4');
    expect(r.text).toContain('bandit_arm_feedback_total{arm="treatment-a"} 2');
  });

  it('stops cleanly on SIGTERM', async () => {
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it.each([
    [['--name', 'treatment-a', '--payload', '{bad'], '--payload is not valid JSON'],
    [['--name', 'has space', '--payload', '{}'], 'is not a valid arm name'],
    [['--name', 'a', '--payload', '{}', '--port', 'http'], '--port must be an integer'],
    [['--name', 'a'], "required option '--payload <json>' not specified"],
  ])('refuses %j with exit code 2', (args, message) => {
    const r = spawnSync(process.execPath, [BANDIT_BIN, 'arm', ...args], { env: baseEnv, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
