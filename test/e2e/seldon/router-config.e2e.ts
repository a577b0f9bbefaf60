/**
 * Router mode of `bandit serve` from the environment the Seldon operator sets: the port,
 * the metrics port, the node's parameters — and refusing to start, with a message naming
 * the parameter, when they are wrong.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BANDIT_BIN, describeIf, hasBuiltCli } from '../../support/env';
import { freePort, spawnService, type ServiceProcess } from '../../support/processes';
import { claimRedisDb, createTestDatabase, hasPostgres, hasRedis, type TestDatabase, type TestRedisDb } from '../../support/services';

// servers start slowly on a busy machine (jest applied its 5 s default here, not the project timeout)
jest.setTimeout(120_000);

const params = (...ps: Array<[string, string, string]>) => JSON.stringify(ps.map(([name, value, type]) => ({ name, value, type })));

describeIf(() => hasBuiltCli())('bandit serve as a Seldon router: configuration', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-seldon-cfg-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it("listens on PREDICTIVE_UNIT_HTTP_SERVICE_PORT, serves metrics on the operator's metrics port, creates the experiment from n_branches", async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const dataDir = tmp();
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? os.tmpdir(),
      BANDIT_DATA_DIR: dataDir,
      BANDIT_LOG_LEVEL: 'warn',
      PORT: '1',
      PREDICTIVE_UNIT_HTTP_SERVICE_PORT: String(port),
      PREDICTIVE_UNIT_METRICS_SERVICE_PORT: String(metricsPort),
      PREDICTIVE_UNIT_METRICS_ENDPOINT: '/seldon-metrics',
      PREDICTIVE_UNIT_ID: 'my-router',
      PREDICTIVE_UNIT_PARAMETERS: params(['n_branches', '4', 'INT'], ['seed', '7', 'INT']),
    };
    const child = spawn(process.execPath, [BANDIT_BIN, 'serve', '--host', '127.0.0.1'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const deadline = Date.now() + 30_000;
      while (!out.includes(`listening on http://127.0.0.1:${port}`)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`did not listen on ${port}:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const route = await fetch(`http://127.0.0.1:${port}/route`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"data":{"ndarray":[[1]]}}' });
      const reply = (await route.json()) as { data: { ndarray: number[][] }; meta: { routing: Record<string, number>; tags: Record<string, unknown> } };
      expect(route.status).toBe(200);
      expect(reply.meta.routing['my-router']).toBe(reply.data.ndarray[0][0]);
      expect(reply.meta.tags.experiment_id).toBe('my-router');
      const exp = (await (await fetch(`http://127.0.0.1:${port}/experiments/my-router`)).json()) as { definition: { arms: string[] } };
      expect(exp.definition.arms).toEqual(['arm-0', 'arm-1', 'arm-2', 'arm-3']);
      const metrics = await fetch(`http://127.0.0.1:${metricsPort}/seldon-metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('bandit_selections_total{experiment="my-router"');
      expect((await fetch(`http://127.0.0.1:${port}/seldon-metrics`)).status).toBe(200);
      expect(out).toContain('seed'); // the unused Seldon parameter is named in a warning
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('without PREDICTIVE_UNIT_* the service runs and /route says how to configure it', async () => {
    let s: ServiceProcess | undefined;
    try {
      s = await spawnService({ BANDIT_DATA_DIR: tmp(), BANDIT_LOG_LEVEL: 'warn' });
      const r = await fetch(`${s.url}/route`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"data":{"ndarray":[[1]]}}' });
      expect(r.status).toBe(404);
      const body = (await r.json()) as { status: { status: number; info: string; reason: string } };
      expect(body.status).toMatchObject({ status: 1, reason: 'MICROSERVICE_BAD_DATA' });
      expect(body.status.info).toContain('not configured as a Seldon router');
    } finally {
      await s?.stop('SIGTERM');
    }
  });

  it("a direct client's feedback by the reply's decision_id; another experiment's id refused; a stopped experiment routes nothing", async () => {
    let s: ServiceProcess | undefined;
    try {
      s = await spawnService({ BANDIT_DATA_DIR: tmp(), BANDIT_LOG_LEVEL: 'warn', PREDICTIVE_UNIT_ID: 'r', PREDICTIVE_UNIT_PARAMETERS: params(['experiment_id', 'direct', 'STRING'], ['arms', 'a,b', 'STRING']) });
      const post = (p: string, body: unknown) => fetch(`${s?.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const reply = (await (await post('/route', { data: { ndarray: [[1]] } })).json()) as { meta: { tags: { decision_id: string; arm_index: number } } };
      // no puid anywhere: the route reply itself, sent back as the response, names the decision
      const ok = await post('/send-feedback', { response: { meta: { tags: { decision_id: reply.meta.tags.decision_id } } }, reward: 1 });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { meta: { tags: Record<string, unknown> } }).meta.tags).toMatchObject({ decision_id: reply.meta.tags.decision_id, duplicate: false });
      const foreign = await post('/send-feedback', { response: { meta: { tags: { decision_id: 'other.0.AAAAAAAAAAAAAAAAAAAAAA' } } }, reward: 1 });
      expect(foreign.status).toBe(400);
      expect(((await foreign.json()) as { status: { info: string } }).status.info).toContain('another experiment');
      expect((await post('/experiments/direct/stop', {})).status).toBe(200);
      const stopped = await post('/route', { data: { ndarray: [[1]] } });
      expect(stopped.status).toBe(409);
      expect(((await stopped.json()) as { status: { reason: string; info: string } }).status).toMatchObject({ reason: 'MICROSERVICE_BAD_DATA', info: expect.stringContaining('stopped') });
    } finally {
      await s?.stop('SIGTERM');
    }
  });

  it('a route with both a Seldon-Puid header and meta.puid is indexed under both: feedback naming either finds the decision', async () => {
    let s: ServiceProcess | undefined;
    try {
      s = await spawnService({ BANDIT_DATA_DIR: tmp(), BANDIT_LOG_LEVEL: 'warn', PREDICTIVE_UNIT_ID: 'r', PREDICTIVE_UNIT_PARAMETERS: params(['experiment_id', 'two-puids', 'STRING'], ['n_branches', '3', 'INT']) });
      const post = (p: string, body: unknown, headers: Record<string, string> = {}) =>
        fetch(`${s?.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      const routed = (await (await post('/route', { meta: { puid: 'body-puid' }, data: { ndarray: [[1]] } }, { 'Seldon-Puid': 'header-puid' })).json()) as { meta: { tags: { decision_id: string } } };
      // a retried route under either puid gets the same decision
      const again = (await (await post('/route', { meta: { puid: 'body-puid' }, data: { ndarray: [[1]] } })).json()) as { meta: { tags: { decision_id: string } } };
      expect(again.meta.tags.decision_id).toBe(routed.meta.tags.decision_id);
      const byBody = await post('/send-feedback', { request: { meta: { puid: 'body-puid' } }, reward: 1 });
      expect(byBody.status).toBe(200);
      expect(((await byBody.json()) as { meta: { tags: Record<string, unknown> } }).meta.tags).toMatchObject({ decision_id: routed.meta.tags.decision_id, accounting: 'decision', duplicate: false });
      const byHeader = await post('/send-feedback', { reward: 1 }, { 'Seldon-Puid': 'header-puid' });
      expect(byHeader.status).toBe(200);
      expect(((await byHeader.json()) as { meta: { tags: Record<string, unknown> } }).meta.tags).toMatchObject({ decision_id: routed.meta.tags.decision_id, duplicate: true });
    } finally {
      await s?.stop('SIGTERM');
    }
  });

  const refuse = (raw: string, extraEnv: Record<string, string> = {}) =>
    spawnSync(process.execPath, [BANDIT_BIN, 'serve', '--port', '0', '--host', '127.0.0.1'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? os.tmpdir(),
        BANDIT_DATA_DIR: tmp(),
        BANDIT_LOG_LEVEL: 'warn',
        PREDICTIVE_UNIT_ID: 'r',
        PREDICTIVE_UNIT_PARAMETERS: raw,
        ...extraEnv,
      },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it.each([
    [params(['n_branches', 'x', 'INT']), 'parameter n_branches: "x" is not an INT'],
    [params(['n_branches', '-1', 'INT']), 'parameter n_branches must be between 2 and 100, got -1'],
    [params(['experiment_id', 'nope', 'STRING']), 'the number of children is unknown: give the parameter n_branches (INT) or arms'],
    [params(['arms', 'a,b', 'STRING'], ['colour', 'red', 'STRING']), 'unknown parameter colour'],
    ['[{"name": "arms"', 'PREDICTIVE_UNIT_PARAMETERS is not JSON'],
  ])('refuses to start with %s: one line, exit 2', (raw, message) => {
    const r = refuse(raw);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

// the same refusals with the posterior store in Redis: the open connection must not keep the process alive
describeIf(() => hasBuiltCli() && hasRedis() && hasPostgres())('bandit serve as a Seldon router: refusing to start with Redis and Postgres', () => {
  let db: TestDatabase | undefined;
  let redis: TestRedisDb | undefined;
  let ready = false;
  const dirs: string[] = [];
  beforeAll(async () => {
    db = await createTestDatabase('bandit_seldon_cfg');
    redis = await claimRedisDb();
    ready = true;
  });
  afterAll(async () => {
    await redis?.release();
    await db?.drop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  const serve = (raw: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-seldon-cfg-'));
    dirs.push(dir);
    const started = Date.now();
    const r = spawnSync(process.execPath, [BANDIT_BIN, 'serve', '--port', '0', '--host', '127.0.0.1'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? os.tmpdir(),
        BANDIT_DATA_DIR: dir,
        BANDIT_LOG_LEVEL: 'warn',
        BANDIT_REDIS_URL: redis?.url ?? '',
        BANDIT_DATABASE_URL: db?.url ?? '',
        PREDICTIVE_UNIT_ID: 'r',
        PREDICTIVE_UNIT_PARAMETERS: raw,
      },
      encoding: 'utf8',
      // the defect: the message was printed and the process never exited
      timeout: 45_000,
    });
    return { ...r, seconds: (Date.now() - started) / 1000 };
  };

  it.each([
    [params(['n_branches', '-1', 'INT']), 'parameter n_branches must be between 2 and 100, got -1'],
    [params(['experiment_id', 'cfg-nochildren', 'STRING']), 'the number of children is unknown'],
  ])('%s: prints one line and exits 2', (raw, message) => {
    expect(ready).toBe(true);
    const r = serve(raw);
    expect({ status: r.status, signal: r.signal }).toEqual({ status: 2, signal: null });
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });

  it("refuses a graph whose number of children differs from the experiment's arms (the executor would index past the last child)", async () => {
    expect(ready).toBe(true);
    // the experiment exists with four arms; a router over three children must not start
    const first = await spawnService({
      BANDIT_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-seldon-cfg-')),
      BANDIT_LOG_LEVEL: 'warn',
      BANDIT_REDIS_URL: redis?.url ?? '',
      BANDIT_DATABASE_URL: db?.url ?? '',
      PREDICTIVE_UNIT_ID: 'r',
      PREDICTIVE_UNIT_PARAMETERS: params(['experiment_id', 'four-arms', 'STRING'], ['n_branches', '4', 'INT']),
    });
    await first.stop('SIGTERM');
    const r = serve(params(['experiment_id', 'four-arms', 'STRING'], ['n_branches', '3', 'INT']));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('experiment "four-arms" has 4 arms (arm-0, arm-1, arm-2, arm-3) but the router parameters give 3');
  });
});
