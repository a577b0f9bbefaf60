/**
 * Seldon Core v1 conformance of the built service as a ROUTER and of `bandit arm` as
 * MODEL components, driven by Seldon's own Python client (seldon-core 1.17.1 in the
 * `seldon` peer venv) and checked against Seldon's OpenAPI documents:
 *
 * - two router replicas share Redis (the Dragonfly stand-in) and Postgres, as two router
 *   pods would: a route served by one is rewarded through the other and counted once;
 * - SeldonClient's route / feedback replies parse (response not None), success is true;
 * - the posterior moves by exactly the rewards counted (GET /experiments/:id);
 * - every route is a select event with the propensity the reply reported, every counted
 *   feedback one reward event (Postgres);
 * - replies validate against wrapper.oas3.json (route, feedback, errors, health/status;
 *   and, strictly — no unknown fields — against engine.oas3.json's message schemas).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { Client } from 'pg';
import { BANDIT_BIN, describeIf, hasBuiltCli, hasDataset, hasPeer, peerPython, SELDON_SPECS_PATH } from '../../support/env';
import { spawnService, waitFor, type ServiceProcess } from '../../support/processes';
import { claimRedisDb, createTestDatabase, hasPostgres, hasRedis, type TestDatabase, type TestRedisDb } from '../../support/services';

// servers start slowly on a busy machine (jest applied its 5 s default here, not the project timeout)
jest.setTimeout(120_000);

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const EXPERIMENT = 'seldon-e2e';
const UNIT = 'bandit-router';
const ARMS: Record<string, unknown> = {
  control: { headline: 'Save on your next order' },
  'treatment-a': { headline: 'Free shipping today' },
  'treatment-b': [[0.1, 0.9]],
};
const ARM_NAMES = Object.keys(ARMS);
const DRIVER = path.join(__dirname, 'seldon_driver.py');

// ---------------------------------------------------------------- schema validation
function loadDoc(file: string): Obj {
  return JSON.parse(fs.readFileSync(path.join(SELDON_SPECS_PATH, file), 'utf8')) as Obj;
}

function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
  addFormats(ajv);
  for (const f of ['int32', 'int64', 'uint64', 'float', 'double', 'byte', 'boolean']) ajv.addFormat(f, true);
  return ajv;
}

interface Validators {
  message: ValidateFunction;
  strictMessage: ValidateFunction;
  errorMessage: ValidateFunction;
}

function validators(): Validators {
  const ajv = newAjv();
  ajv.addSchema(loadDoc('wrapper.oas3.json'), 'wrapper');
  ajv.addSchema(loadDoc('engine.oas3.json'), 'engine');
  // Seldon's wrapper writes an error's status as the proto enum's number (FAILURE = 1), which
  // proto3 JSON accepts as well as the name; the OpenAPI document lists only the names.
  const proto3 = loadDoc('wrapper.oas3.json');
  proto3.components.schemas.StatusStatusFlag = { anyOf: [proto3.components.schemas.StatusStatusFlag, { type: 'integer', enum: [0, 1] }] };
  ajv.addSchema(proto3, 'wrapper-proto3');
  const get = (ref: string) => {
    const v = ajv.getSchema(ref);
    if (!v) throw new Error(`no schema ${ref}`);
    return v;
  };
  return {
    message: get('wrapper#/components/schemas/SeldonMessage'),
    strictMessage: get('engine#/components/schemas/SeldonMessage'),
    errorMessage: get('wrapper-proto3#/components/schemas/SeldonMessage'),
  };
}

function expectValid(v: ValidateFunction, body: unknown, what: string): void {
  const ok = v(body);
  if (!ok) throw new Error(`${what} does not validate: ${JSON.stringify(v.errors)}\n${JSON.stringify(body)}`);
}

// ---------------------------------------------------------------- processes
interface ArmProcess {
  name: string;
  endpoint: string;
  child: ChildProcess;
}

async function spawnArm(name: string, payload: unknown): Promise<ArmProcess> {
  const child = spawn(process.execPath, [BANDIT_BIN, 'arm', '--name', name, '--payload', JSON.stringify(payload), '--port', '0', '--host', '127.0.0.1'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? os.tmpdir() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const m = await waitFor(`bandit arm ${name} to listen`, () => /listening on http:\/\/(127\.0\.0\.1:\d+)/.exec(out), 20_000, 50);
  return { name, endpoint: m[1], child };
}

async function http(base: string, method: string, p: string, init: { body?: string | FormData | URLSearchParams; headers?: Record<string, string> } = {}) {
  const res = await fetch(`http://${base}${p}`, { method, body: init.body, headers: init.headers, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* text */
  }
  return { status: res.status, body: body as Obj, text, type: res.headers.get('content-type') ?? '' };
}

const json = (o: unknown) => ({ body: JSON.stringify(o), headers: { 'content-type': 'application/json' } });

async function posterior(base: string): Promise<{ alpha: number[]; beta: number[]; assignments: number[] }> {
  const r = await http(base, 'GET', `/experiments/${EXPERIMENT}`);
  expect(r.status).toBe(200);
  const arms = r.body.arms as Obj[];
  return { alpha: arms.map((a) => a.alpha), beta: arms.map((a) => a.beta), assignments: arms.map((a) => a.assignments) };
}

describeIf(() => hasPeer('seldon') && hasDataset(path.join(SELDON_SPECS_PATH, 'wrapper.oas3.json'), 'BANDIT_SELDON_SPECS') && hasBuiltCli() && hasRedis() && hasPostgres())('Seldon router conformance (SeldonClient 1.17.1)', () => {
  let db: TestDatabase;
  let redis: TestRedisDb | undefined;
  const routers: ServiceProcess[] = [];
  const arms: ArmProcess[] = [];
  let dataDir = '';
  let v: Validators;
  let driver: Obj;
  let a = '';
  let b = '';

  beforeAll(async () => {
    v = validators();
    db = await createTestDatabase('bandit_seldon');
    redis = await claimRedisDb();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-seldon-'));
    const env = {
      BANDIT_DATA_DIR: dataDir,
      BANDIT_DATABASE_URL: db.url,
      BANDIT_REDIS_URL: redis.url,
      BANDIT_LOG_LEVEL: 'warn',
      BANDIT_EVENT_FLUSH_MS: '50',
      PREDICTIVE_UNIT_ID: UNIT,
      PREDICTIVE_UNIT_PARAMETERS: JSON.stringify([
        { name: 'experiment_id', value: EXPERIMENT, type: 'STRING' },
        { name: 'arms', value: ARM_NAMES.join(','), type: 'STRING' },
      ]),
    };
    // the first replica creates the experiment; the second finds it
    routers.push(await spawnService(env));
    routers.push(await spawnService(env));
    for (const [name, payload] of Object.entries(ARMS)) arms.push(await spawnArm(name, payload));
    a = `127.0.0.1:${routers[0].port}`;
    b = `127.0.0.1:${routers[1].port}`;
    const cfg = { routers: [a, b], arms: Object.fromEntries(arms.map((x) => [x.name, x.endpoint])), armNames: ARM_NAMES, unit: UNIT };
    const out = execFileSync(peerPython('seldon') as string, [DRIVER, JSON.stringify(cfg)], { encoding: 'utf8', timeout: 120_000 });
    driver = JSON.parse(out) as Obj;
  }, 180_000);

  afterAll(async () => {
    for (const arm of arms) arm.child.kill('SIGTERM');
    await Promise.all(routers.map((r) => r.stop('SIGTERM')));
    await redis?.release();
    await db?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const steps = (kind: string) => (driver.steps as Obj[]).filter((s) => s.kind === kind);
  const step = (name: string) => (driver.steps as Obj[]).find((s) => s.name === name) as Obj;

  it("SeldonClient's route calls succeed and parse: the child index in the request's data type, the decision in meta", () => {
    const routes = steps('route');
    expect(routes).toHaveLength(4);
    for (const r of routes) {
      expect(r.success).toBe(true);
      expect(r.response).not.toBeNull();
      const tags = r.response.meta.tags;
      expect(ARM_NAMES[tags.arm_index]).toBe(tags.arm);
      expect(tags.experiment_id).toBe(EXPERIMENT);
      expect(tags.propensity).toBeGreaterThan(0);
      expect(tags.propensity).toBeLessThanOrEqual(1);
      expect(r.response.meta.routing[UNIT]).toBe(tags.arm_index);
    }
    // the client's default is a tensor; a tensor request gets a tensor reply
    expect(step('route tensor').response.data).toEqual({ names: ['t:0'], tensor: { shape: [1, 1], values: [step('route tensor').response.meta.tags.arm_index] } });
    expect(step('route ndarray').response.data).toEqual({ names: ['t:0'], ndarray: [[step('route ndarray').response.meta.tags.arm_index]] });
  });

  it('feedback succeeds, names the decision it rewarded, and a retry is a duplicate', () => {
    const first = step('feedback 1 via B');
    const retry = step('feedback 1 retried via A');
    expect(first.success).toBe(true);
    expect(first.response).not.toBeNull();
    expect(first.response.meta.tags).toMatchObject({ decision_id: step('route tensor').response.meta.tags.decision_id, reward: 1, duplicate: false });
    expect(retry.success).toBe(true);
    expect(retry.response.meta.tags).toMatchObject({ decision_id: first.response.meta.tags.decision_id, duplicate: true });
    expect(step('feedback 0').response.meta.tags).toMatchObject({ decision_id: step('route ndarray').response.meta.tags.decision_id, reward: 0, duplicate: false });
    expect(step('feedback 0.75 for the batch').response.meta.tags).toMatchObject({ reward: 0.75, duplicate: false });
  });

  it('proto3 omits a zero reward: the client sends feedback without a reward field, counted as 0', () => {
    expect(driver.zero_reward_payload).toEqual({});
  });

  it("an out-of-range reward is refused in Seldon's error shape and counts nothing", () => {
    const bad = step('feedback 1.5 (refused)');
    expect(bad.success).toBe(false);
    expect(bad.response).not.toBeNull();
    expect(bad.response.status).toMatchObject({ code: -1, reason: 'MICROSERVICE_BAD_DATA', status: 'FAILURE' });
    expect(bad.response.status.info).toContain('feedback.reward must be a number in [0, 1]');
  });

  it("the executor's path: an arm's reply with the executor's puid and routing finds the decision routed under that puid", () => {
    expect(driver.executor_route.status).toBe(200);
    const fb = step('executor-style feedback (puid + routing)');
    expect(fb.success).toBe(true);
    expect(fb.response.meta.puid).toBe('driver-puid-0001');
    expect(fb.response.meta.tags).toMatchObject({ decision_id: driver.executor_route.response.meta.tags.decision_id, arm_index: driver.executor_arm, duplicate: false });
  });

  it('the posterior moved by exactly the rewards counted, whichever replica served', async () => {
    const expected = { alpha: ARM_NAMES.map(() => 1), beta: ARM_NAMES.map(() => 1) };
    for (const f of steps('feedback')) {
      if (!f.success || f.response.meta.tags.duplicate) continue;
      const k = f.response.meta.tags.arm_index as number;
      expected.alpha[k] += f.reward;
      expected.beta[k] += 1 - f.reward;
    }
    for (const replica of [a, b]) {
      const p = await posterior(replica);
      for (let k = 0; k < ARM_NAMES.length; k++) {
        expect(p.alpha[k]).toBeCloseTo(expected.alpha[k], 12);
        expect(p.beta[k]).toBeCloseTo(expected.beta[k], 12);
      }
      // four routes by SeldonClient, one executor-style
      expect(p.assignments.reduce((s, x) => s + x, 0)).toBe(5);
    }
  });

  it('every route is logged as a select with its propensity, every counted feedback as one reward', async () => {
    const routed = [...steps('route').map((r) => r.response.meta.tags), driver.executor_route.response.meta.tags] as Obj[];
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const rows = await waitFor(
        'the events in Postgres',
        async () => {
          const r = await pg.query('SELECT decision_id, event_type, arm_index, propensity, reward FROM bandit_events WHERE experiment_id = $1', [EXPERIMENT]);
          return r.rows.filter((x) => x.event_type === 'select').length >= routed.length && r.rows.filter((x) => x.event_type === 'reward').length >= 4 ? r.rows : null;
        },
        20_000,
      );
      for (const t of routed) {
        const sel = rows.filter((r: Obj) => r.decision_id === t.decision_id && r.event_type === 'select');
        expect(sel).toHaveLength(1);
        expect(sel[0].arm_index).toBe(t.arm_index);
        expect(Number(sel[0].propensity)).toBeCloseTo(t.propensity, 12);
      }
      const rewards = rows.filter((r: Obj) => r.event_type === 'reward');
      expect(rewards.map((r: Obj) => Number(r.reward)).sort((x: number, y: number) => x - y)).toEqual([0, 0.75, 1, 1]);
    } finally {
      await pg.end();
    }
  });

  it("the arms answer SeldonClient's predict with their payloads; arms and router pass Seldon's metadata validation", () => {
    for (const name of ARM_NAMES) {
      const r = driver.arms[name] as Obj;
      expect(r.success).toBe(true);
      expect(r.response).not.toBeNull();
      expect(r.response.meta.tags.arm).toBe(name);
      if (Array.isArray(ARMS[name])) expect(r.response.data.ndarray).toEqual(ARMS[name]);
      else expect(r.response.jsonData).toEqual(ARMS[name]);
    }
    for (const [name, m] of Object.entries(driver.metadata as Record<string, Obj>)) {
      expect({ name, valid: m.valid, error: m.error }).toEqual({ name, valid: true, error: undefined });
    }
    expect(driver.metadata.router.body.custom).toMatchObject({ experiment_id: EXPERIMENT, arms: ARM_NAMES.join(',') });
  });

  it('route replies validate against wrapper.oas3.json and strictly against the executor schema, for every body form', async () => {
    const msg = { data: { names: ['x'], ndarray: [[1, 2]] } };
    const form = new FormData();
    form.append('data', JSON.stringify(msg.data));
    const multipartJson = new FormData();
    multipartJson.append('json', JSON.stringify({ data: { tensor: { shape: [1, 1], values: [3] } } }));
    const replies = [
      await http(a, 'POST', '/route', json(msg)),
      await http(a, 'POST', '/route', { body: new URLSearchParams({ json: JSON.stringify(msg) }) }),
      await http(a, 'GET', `/route?json=${encodeURIComponent(JSON.stringify(msg))}`),
      await http(a, 'POST', '/route', { body: form }),
      await http(a, 'POST', '/route', { body: multipartJson }),
      await http(a, 'POST', '/route', { body: JSON.stringify({ strData: 'hello' }), headers: { 'content-type': 'text/plain' } }),
    ];
    replies.forEach((r, i) => {
      expect({ i, status: r.status }).toEqual({ i, status: 200 });
      expectValid(v.message, r.body, `route reply ${i}`);
      expectValid(v.strictMessage, r.body, `route reply ${i} (strict)`);
    });
    // the validators can fail: an unknown field (strict), a wrong type (both)
    expect(v.strictMessage({ ...replies[0].body, extra: 1 })).toBe(false);
    expect(v.message({ ...replies[0].body, meta: { routing: { [UNIT]: 'one' } } })).toBe(false);
    expect(replies[4].body.data.tensor).toEqual({ shape: [1, 1], values: [replies[4].body.meta.tags.arm_index] });
  });

  it('feedback and health/status replies validate; /api/v1.0/feedback is the same endpoint', async () => {
    const routed = await http(a, 'POST', '/route', { ...json({ data: { ndarray: [[1]] } }), headers: { 'content-type': 'application/json', 'Seldon-Puid': 'schema-puid' } });
    const fb = await http(b, 'POST', '/api/v1.0/feedback', json({ request: { data: { ndarray: [[1]] } }, response: { meta: { puid: 'schema-puid', routing: { [UNIT]: routed.body.meta.tags.arm_index } } }, reward: '1' }));
    expect(fb.status).toBe(200);
    expect(fb.body.meta.tags).toMatchObject({ decision_id: routed.body.meta.tags.decision_id, reward: 1, duplicate: false });
    expectValid(v.message, fb.body, 'feedback reply');
    expectValid(v.strictMessage, fb.body, 'feedback reply (strict)');
    // the same puid routed again, on the other replica: the same decision, counted as a replay
    const again = await http(b, 'POST', '/route', { ...json({ data: { ndarray: [[1]] } }), headers: { 'content-type': 'application/json', 'Seldon-Puid': 'schema-puid' } });
    expect(again.body.meta.tags.decision_id).toBe(routed.body.meta.tags.decision_id);
    expect((await http(b, 'GET', '/prometheus')).text).toMatch(/bandit_seldon_route_replays_total\{experiment="seldon-e2e"\} 1/);
    const status = await http(a, 'GET', '/health/status');
    expect(status.status).toBe(200);
    expectValid(v.strictMessage, status.body, 'health/status');
    expect((await http(a, 'GET', '/health/ping')).text).toBe('pong');
  });

  it("bad messages get HTTP 400 in Seldon's error shape, which validates (status as proto3's enum number)", async () => {
    const cases: Array<[string, Awaited<ReturnType<typeof http>>, string]> = [
      ['malformed JSON', await http(a, 'POST', '/route', { body: '{bad', headers: { 'content-type': 'application/json' } }), 'JSON'],
      ['unknown field', await http(a, 'POST', '/route', json({ data: { ndarray: [[1]] }, extra: 1 })), 'unknown field "extra"'],
      ['no message', await http(a, 'POST', '/route'), 'no message in the request'],
      ['bad form JSON', await http(a, 'POST', '/route', { body: new URLSearchParams({ json: '{' }) }), 'form field "json" is not valid JSON'],
      ['reward out of range', await http(a, 'POST', '/send-feedback', json({ response: { meta: { puid: 'schema-puid' } }, reward: -0.5 })), 'must be a number in [0, 1]'],
      ['reward not a number', await http(a, 'POST', '/send-feedback', json({ reward: 'lots' })), 'feedback.reward: expected a number'],
      ['routing disagrees', await http(a, 'POST', '/send-feedback', json({ response: { meta: { puid: 'schema-puid', routing: { [UNIT]: 99 } } }, reward: 1 })), 'routing'],
    ];
    for (const [what, r, info] of cases) {
      expect({ what, status: r.status < 500 && r.status >= 400 }).toEqual({ what, status: true });
      expect({ what, reason: r.body.status?.reason, code: r.body.status?.code, flag: r.body.status?.status }).toEqual({ what, reason: 'MICROSERVICE_BAD_DATA', code: -1, flag: 1 });
      expect(r.body.status.info).toContain(info);
      expectValid(v.errorMessage, r.body, `error reply (${what})`);
    }
    expect(cases.slice(0, 6).map(([, r]) => r.status)).toEqual([400, 400, 400, 400, 400, 400]);
    const unknown = await http(a, 'POST', '/send-feedback', json({ response: { meta: { puid: 'never-routed' } }, reward: 1 }));
    expect(unknown.status).toBe(404);
    expect(unknown.body.status.info).toContain('no decision for puid "never-routed"');
  });

  it('twenty concurrent copies of one feedback, across both replicas, move the posterior once', async () => {
    const routed = await http(a, 'POST', '/route', { ...json({ data: { ndarray: [[1]] } }), headers: { 'content-type': 'application/json', 'Seldon-Puid': 'storm-puid' } });
    const k = routed.body.meta.tags.arm_index as number;
    const before = await posterior(a);
    const body = json({ response: { meta: { puid: 'storm-puid', routing: { [UNIT]: k } } }, reward: 0.5 });
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => http(i % 2 ? a : b, 'POST', '/api/v1.0/feedback', body)));
    expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
    expect(replies.filter((r) => r.body.meta.tags.duplicate === false)).toHaveLength(1);
    const after = await posterior(b);
    expect(after.alpha[k] - before.alpha[k]).toBeCloseTo(0.5, 12);
    expect(after.beta[k] - before.beta[k]).toBeCloseTo(0.5, 12);
    for (let j = 0; j < ARM_NAMES.length; j++) if (j !== k) expect([after.alpha[j], after.beta[j]]).toEqual([before.alpha[j], before.beta[j]]);
  });

  it('Prometheus text on /prometheus counts Seldon decisions and rewards', async () => {
    const r = await http(a, 'GET', '/prometheus');
    expect(r.status).toBe(200);
    expect(r.type).toContain('text/plain');
    expect(r.text).toMatch(new RegExp(`bandit_selections_total\\{experiment="${EXPERIMENT}",arm="[^"]+",source="seldon"\\} \\d+`));
    expect(r.text).toMatch(/bandit_reward_duplicates_total\{experiment="seldon-e2e",source="seldon"\} [1-9]/);
    // refused on replica A above: out-of-range rewards, an unknown puid, a routing contradiction
    expect(r.text).toMatch(/bandit_seldon_feedback_refused_total\{experiment="seldon-e2e",reason="bad_reward"\} [1-9]/);
    expect(r.text).toMatch(/bandit_seldon_feedback_refused_total\{experiment="seldon-e2e",reason="no_decision"\} [1-9]/);
    expect(r.text).toMatch(/bandit_seldon_feedback_refused_total\{experiment="seldon-e2e",reason="routing_conflict"\} 1/);
  });
});
