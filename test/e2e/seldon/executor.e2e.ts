/**
 * The router behind Seldon's own executor: `miniexec`, Seldon Core v1.17.1's svc-orch REST
 * path rebuilt from its source (../shared/tools/seldon-executor/build.sh), runs the graph
 * the SeldonDeployment declares — bandit-router (two replicas sharing Redis and Postgres)
 * over three children — and Seldon's Python client drives it (`SeldonClient.predict` /
 * `.feedback` through the gateway path; test/e2e/seldon/executor_driver.py).
 *
 * Twice over: with `bandit arm` children (they copy the executor's puid into
 * `meta.puid`: feedback finds its decision — the exact path) and with ordinary Seldon
 * Python MODEL children (`seldon-core-microservice TrivialModel`, test/peers/seldon/models:
 * no puid comes back — with routing injection the reward is counted on the routed arm;
 * without it the feedback names nothing and is refused). Each with routing injection on and
 * off. The posterior must move by exactly the rewards the plan sends, on the child that
 * served; a resent feedback is not counted twice where a decision is matched, nor when the
 * client resends with its own Seldon-Puid.
 *
 * Side by side in the same graph: a ROUTER behaving as Seldon's example Thompson router
 * (test/peers/seldon/models/SeldonStyleThompsonRouter.py under Seldon's own wrapper): the
 * same inputs give the same protocol answers.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { BANDIT_BIN, describeIf, hasDataset, hasPeer, peerPython, REPO_ROOT, sharedPath } from '../../support/env';
import { freePort, spawnService, waitFor, type ServiceProcess } from '../../support/processes';
import { claimRedisDb, createTestDatabase, hasPostgres, hasRedis, type TestDatabase, type TestRedisDb } from '../../support/services';

jest.setTimeout(300_000);

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const EXECUTOR_DIR = sharedPath('BANDIT_SELDON_EXECUTOR', 'tools/seldon-executor');
const MODELS_DIR = path.join(REPO_ROOT, 'test/peers/seldon/models');
const DRIVER = path.join(__dirname, 'executor_driver.py');
const EXPERIMENT = 'seldon-exec';
const UNIT = 'bandit-router';
const ARMS = ['control', 'treatment-a', 'treatment-b'];
const params = (ps: Array<[string, string, string]>) => JSON.stringify(ps.map(([name, value, type]) => ({ name, value, type })));

interface Proc {
  child: ChildProcess;
  port: number;
  out: () => string;
}

function start(what: string, cmd: string, args: string[], env: Record<string, string>, cwd?: string): Proc & { port: number } {
  // its own process group: seldon-core-microservice runs its REST server in a child process
  // that outlives a signal to the parent alone
  const child = spawn(cmd, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? os.tmpdir(), ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  child.on('exit', (code) => {
    if (code !== null && code !== 0) out += `\n[${what} exited ${code}]`;
  });
  return { child, port: 0, out: () => out };
}

async function untilHttp(what: string, url: string, p: Proc): Promise<void> {
  await waitFor(
    what,
    async () => {
      if (p.child.exitCode !== null) throw new Error(`${what} exited:\n${p.out()}`);
      return (await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => null))?.ok ?? false;
    },
    60_000,
    200,
  );
}

async function pythonComponent(cls: string, type: 'MODEL' | 'ROUTER', unitId: string, parameters: string): Promise<Proc> {
  const [http, grpc, metrics] = [await freePort(), await freePort(), await freePort()];
  const bin = path.join(path.dirname(peerPython('seldon') as string), 'seldon-core-microservice');
  const p = start(
    `${cls} ${unitId}`,
    bin,
    [cls, '--service-type', type, '--http-port', String(http), '--grpc-port', String(grpc), '--metrics-port', String(metrics), '--workers', '1', '--log-level', 'WARNING'],
    { PREDICTIVE_UNIT_ID: unitId, PREDICTIVE_UNIT_PARAMETERS: parameters },
    MODELS_DIR,
  );
  p.port = http;
  await untilHttp(`${cls} ${unitId}`, `http://127.0.0.1:${http}/health/ping`, p);
  return p;
}

async function banditArm(name: string): Promise<Proc> {
  const p = start(`bandit arm ${name}`, process.execPath, [BANDIT_BIN, 'arm', '--name', name, '--payload', JSON.stringify({ arm: name }), '--port', '0', '--host', '127.0.0.1'], {});
  const m = await waitFor(`bandit arm ${name} to listen`, () => /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(p.out()), 30_000, 50);
  p.port = Number(m[1]);
  return p;
}

async function executor(bin: string, router: { name: string; port: number }, children: Proc[], injection: boolean): Promise<Proc> {
  const port = await freePort();
  const graph = {
    name: router.name,
    type: 'ROUTER',
    host: '127.0.0.1',
    port: router.port,
    children: children.map((c, i) => ({ name: ARMS[i], type: 'MODEL', host: '127.0.0.1', port: c.port })),
  };
  const p = start(`miniexec ${router.name}`, bin, ['-http_port', String(port), '-graph', JSON.stringify(graph)], injection ? { SELDON_ENABLE_ROUTING_INJECTION: 'true' } : {});
  p.port = port;
  await waitFor(
    `miniexec on ${port}`,
    () => {
      if (p.child.exitCode !== null) throw new Error(`miniexec exited:\n${p.out()}`);
      return p.out().includes('miniexec listening');
    },
    20_000,
    50,
  );
  return p;
}

interface Op {
  op: 'predict' | 'feedback' | 'raw_feedback';
  id: string;
  via: string;
  rows?: number;
  of?: string;
  reward?: number;
  puid?: string;
}

function drive(executors: Record<string, number>, ops: Op[]): Map<string, Obj> {
  const cfg = { executors: Object.fromEntries(Object.entries(executors).map(([k, port]) => [k, `127.0.0.1:${port}`])), ops };
  const out = execFileSync(peerPython('seldon') as string, [DRIVER, JSON.stringify(cfg)], { encoding: 'utf8', timeout: 120_000 });
  return new Map((JSON.parse(out) as { results: Obj[] }).results.map((r) => [r.id as string, r]));
}

/** The child that served a prediction, by the child's own reply (bandit arm: tags.arm; TrivialModel: tags.child). */
function servedBy(prediction: Obj): number {
  const tags = prediction.response.meta.tags as Obj;
  const name = (tags.arm ?? tags.child) as string;
  expect(ARMS).toContain(name);
  return ARMS.indexOf(name);
}

/** The plan every graph gets: five predictions, their feedback through the other replica, and resends. */
function plan(a: string, b: string): Op[] {
  const rewards = [1, 0, 0.5, 1];
  const ops: Op[] = [];
  rewards.forEach((_, i) => ops.push({ op: 'predict', id: `p${i}`, via: a, rows: 1 }));
  ops.push({ op: 'predict', id: 'batch', via: a, rows: 4 });
  rewards.forEach((r, i) => ops.push({ op: 'feedback', id: `f${i}`, via: b, of: `p${i}`, reward: r }));
  ops.push({ op: 'feedback', id: 'fbatch', via: b, of: 'batch', reward: 0.75 });
  // the client sends feedback 0 again (SeldonClient cannot set a puid: the executor gives it a fresh one)
  ops.push({ op: 'feedback', id: 'resend', via: a, of: 'p0', reward: 1 });
  // a client that sets its own Seldon-Puid on a feedback call and retries it, through both replicas
  ops.push({ op: 'raw_feedback', id: 'retry1', via: a, of: 'p1', reward: 1, puid: 'client-retry-key' });
  ops.push({ op: 'raw_feedback', id: 'retry2', via: b, of: 'p1', reward: 1, puid: 'client-retry-key' });
  return ops;
}

async function posterior(base: string): Promise<{ alpha: number[]; beta: number[] }> {
  const r = (await (await fetch(`${base}/experiments/${EXPERIMENT}`)).json()) as { arms: Array<{ alpha: number; beta: number }> };
  return { alpha: r.arms.map((x) => x.alpha), beta: r.arms.map((x) => x.beta) };
}

function delta(before: { alpha: number[]; beta: number[] }, after: { alpha: number[]; beta: number[] }) {
  return { alpha: after.alpha.map((x, k) => x - before.alpha[k]), beta: after.beta.map((x, k) => x - before.beta[k]) };
}

function expectDelta(actual: { alpha: number[]; beta: number[] }, counted: Array<[arm: number, reward: number]>) {
  const alpha = ARMS.map(() => 0);
  const beta = ARMS.map(() => 0);
  for (const [k, r] of counted) {
    alpha[k] += r;
    beta[k] += 1 - r;
  }
  for (let k = 0; k < ARMS.length; k++) {
    expect(actual.alpha[k]).toBeCloseTo(alpha[k], 9);
    expect(actual.beta[k]).toBeCloseTo(beta[k], 9);
  }
}

describeIf(() => hasDataset(path.join(EXECUTOR_DIR, 'build.sh'), 'BANDIT_SELDON_EXECUTOR') && hasPeer('seldon') && hasRedis() && hasPostgres())("the router behind Seldon's executor (miniexec, Seldon Core v1.17.1)", () => {
  let db: TestDatabase | undefined;
  let redis: TestRedisDb | undefined;
  let ready = false;
  const routers: ServiceProcess[] = [];
  const procs: Proc[] = [];
  let exec = '';
  let buildDir = '';
  let armChildren: Proc[] = [];
  let pyChildren: Proc[] = [];
  let seldonTs: Proc | undefined;
  const dataDirs: string[] = [];

  beforeAll(async () => {
    buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-miniexec-'));
    execFileSync('bash', [path.join(EXECUTOR_DIR, 'build.sh'), buildDir], { stdio: 'pipe', timeout: 600_000 });
    exec = path.join(buildDir, 'miniexec');
    db = await createTestDatabase('bandit_seldon_exec');
    redis = await claimRedisDb();
    const env = (): Record<string, string> => {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-seldon-exec-'));
      dataDirs.push(d);
      return {
        BANDIT_DATA_DIR: d,
        BANDIT_DATABASE_URL: db?.url ?? '',
        BANDIT_REDIS_URL: redis?.url ?? '',
        BANDIT_LOG_LEVEL: 'warn',
        BANDIT_EVENT_FLUSH_MS: '50',
        PREDICTIVE_UNIT_ID: UNIT,
        PREDICTIVE_UNIT_PARAMETERS: params([
          ['experiment_id', EXPERIMENT, 'STRING'],
          ['arms', ARMS.join(','), 'STRING'],
        ]),
      };
    };
    routers.push(await spawnService(env()));
    routers.push(await spawnService(env()));
    armChildren = await Promise.all(ARMS.map((a) => banditArm(a)));
    pyChildren = await Promise.all(ARMS.map((a, i) => pythonComponent('TrivialModel', 'MODEL', a, params([['child', a, 'STRING'], ['index', String(i), 'INT']]))));
    seldonTs = await pythonComponent(
      'SeldonStyleThompsonRouter',
      'ROUTER',
      'ts-router',
      params([
        ['n_branches', '3', 'INT'],
        ['branch_names', ARMS.join(':'), 'STRING'],
        ['seed', '1', 'INT'],
      ]),
    );
    procs.push(...armChildren, ...pyChildren, seldonTs);
    ready = true;
  }, 900_000);

  afterAll(async () => {
    const group = (p: Proc, signal: NodeJS.Signals) => {
      try {
        if (p.child.pid !== undefined) process.kill(-p.child.pid, signal);
      } catch {
        /* gone */
      }
    };
    for (const p of procs) group(p, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    for (const p of procs) group(p, 'SIGKILL');
    await Promise.all(routers.map((r) => r.stop('SIGTERM')));
    await redis?.release();
    await db?.drop();
    for (const d of [...dataDirs, buildDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  /** Two executors over the same children, one in front of each router replica. */
  async function graphPair(children: Proc[], injection: boolean): Promise<{ a: string; b: string; ports: Record<string, number> }> {
    const ea = await executor(exec, { name: UNIT, port: routers[0].port }, children, injection);
    const eb = await executor(exec, { name: UNIT, port: routers[1].port }, children, injection);
    procs.push(ea, eb);
    return { a: 'A', b: 'B', ports: { A: ea.port, B: eb.port } };
  }

  it.each([true, false])('bandit arm children, routing injection %s: every feedback finds its decision (exact); resends are duplicates', async (injection) => {
    expect(ready).toBe(true);
    const g = await graphPair(armChildren, injection);
    const before = await posterior(routers[0].url);
    const r = drive(g.ports, plan(g.a, g.b));
    for (const id of ['p0', 'p1', 'p2', 'p3', 'batch']) expect(r.get(id)?.success).toBe(true);
    // the arm copies the executor's puid into meta.puid; routing injection adds meta.routing
    expect(typeof r.get('p0')?.response.meta.puid).toBe('string');
    if (injection) expect(r.get('p0')?.response.meta.routing[UNIT]).toBe(servedBy(r.get('p0') as Obj));
    else expect(r.get('p0')?.response.meta.routing ?? {}).toEqual({});
    const counted: Array<[number, number]> = [];
    for (const [f, p, reward] of [['f0', 'p0', 1], ['f1', 'p1', 0], ['f2', 'p2', 0.5], ['f3', 'p3', 1], ['fbatch', 'batch', 0.75]] as const) {
      const fb = r.get(f) as Obj;
      expect({ f, success: fb.success }).toEqual({ f, success: true });
      expect(fb.response.meta.tags).toMatchObject({ accounting: 'decision', duplicate: false, arm_index: servedBy(r.get(p) as Obj) });
      counted.push([servedBy(r.get(p) as Obj), reward]);
    }
    // resent by SeldonClient (fresh puid per call) and retried with the client's own puid: the decision is matched, counted once
    for (const id of ['resend', 'retry1', 'retry2']) expect(r.get(id)?.response.meta.tags).toMatchObject({ accounting: 'decision', duplicate: true });
    await waitFor('both replicas to agree', async () => JSON.stringify(await posterior(routers[0].url)) === JSON.stringify(await posterior(routers[1].url)), 5000);
    expectDelta(delta(before, await posterior(routers[1].url)), counted);
  });

  it('Seldon Python MODEL children, routing injection on: counted on the routed arm once per feedback call; a retry with the same Seldon-Puid once', async () => {
    expect(ready).toBe(true);
    const g = await graphPair(pyChildren, true);
    const before = await posterior(routers[0].url);
    const r = drive(g.ports, plan(g.a, g.b));
    // the executor returns neither a puid nor the router's tags: only the routing
    const p0 = r.get('p0') as Obj;
    expect(p0.success).toBe(true);
    expect(p0.response.meta.puid ?? '').toBe('');
    expect(p0.response.meta.tags.decision_id).toBeUndefined();
    expect(p0.response.meta.routing[UNIT]).toBe(servedBy(p0));
    const counted: Array<[number, number]> = [];
    for (const [f, p, reward] of [['f0', 'p0', 1], ['f1', 'p1', 0], ['f2', 'p2', 0.5], ['f3', 'p3', 1], ['fbatch', 'batch', 0.75], ['resend', 'p0', 1], ['retry1', 'p1', 1]] as const) {
      const fb = r.get(f) as Obj;
      expect({ f, success: fb.success }).toEqual({ f, success: true });
      expect(fb.response.meta.tags).toMatchObject({ accounting: 'routed-arm', duplicate: false, arm_index: servedBy(r.get(p) as Obj) });
      counted.push([servedBy(r.get(p) as Obj), reward]);
    }
    // the same feedback call retried with the client's Seldon-Puid, through the other replica: not counted again
    expect(r.get('retry2')?.response.meta.tags).toMatchObject({ accounting: 'routed-arm', duplicate: true, decision_id: r.get('retry1')?.response.meta.tags.decision_id });
    expectDelta(delta(before, await posterior(routers[1].url)), counted);
  });

  it('Seldon Python MODEL children, routing injection off: the feedback names nothing; refused (404), nothing counted', async () => {
    expect(ready).toBe(true);
    const g = await graphPair(pyChildren, false);
    const before = await posterior(routers[0].url);
    const r = drive(g.ports, plan(g.a, g.b));
    expect(r.get('p0')?.success).toBe(true);
    expect(r.get('f0')?.success).toBe(false);
    expect(r.get('retry1')?.status).toBe(404);
    expect(r.get('retry1')?.raw.status.info).toContain('response.meta.routing.bandit-router');
    expectDelta(delta(before, await posterior(routers[1].url)), []);
  });

  it('routed-arm rewards are logged without a decision: propensity 0, no select event under their id', async () => {
    expect(ready).toBe(true);
    const pg = new Client({ connectionString: db!.url });
    await pg.connect();
    try {
      const rows = await waitFor(
        'routed-arm reward events in Postgres',
        async () => {
          const q = await pg.query("SELECT decision_id, event_type, propensity FROM bandit_events WHERE experiment_id = $1 AND decision_id LIKE $2", [EXPERIMENT, `${EXPERIMENT}.feedback.%`]);
          return q.rows.length >= 7 ? q.rows : null;
        },
        20_000,
      );
      expect(rows).toHaveLength(7);
      for (const row of rows) expect({ type: row.event_type, p: Number(row.propensity) }).toEqual({ type: 'reward', p: 0 });
      const selects = await pg.query("SELECT count(*)::int AS n FROM bandit_events WHERE experiment_id = $1 AND event_type = 'select' AND decision_id LIKE $2", [EXPERIMENT, `${EXPERIMENT}.feedback.%`]);
      expect(selects.rows[0].n).toBe(0);
    } finally {
      await pg.end();
    }
  });

  it("side by side with Seldon's example Thompson router in the same graph: same inputs, same protocol answers", async () => {
    expect(ready).toBe(true);
    const tsExec = await executor(exec, { name: 'ts-router', port: seldonTs!.port }, pyChildren, true);
    const ours = await executor(exec, { name: UNIT, port: routers[0].port }, pyChildren, true);
    procs.push(tsExec, ours);
    const ops: Op[] = [];
    for (const via of ['ts', 'ours']) {
      ops.push({ op: 'predict', id: `${via}-p`, via, rows: 1 }, { op: 'predict', id: `${via}-batch`, via, rows: 4 });
      ops.push({ op: 'feedback', id: `${via}-f`, via, of: `${via}-p`, reward: 1 }, { op: 'feedback', id: `${via}-fbatch`, via, of: `${via}-batch`, reward: 0.6 });
    }
    const r = drive({ ts: tsExec.port, ours: ours.port }, ops);
    for (const [via, node] of [['ts', 'ts-router'], ['ours', UNIT]]) {
      const p = r.get(`${via}-p`) as Obj;
      const batch = r.get(`${via}-batch`) as Obj;
      expect(p.success).toBe(true);
      // the child's reply, with the router's choice injected, and the batch answered row for row
      expect(p.response.meta.routing[node]).toBe(servedBy(p));
      expect(p.response.data.ndarray).toEqual([[servedBy(p)]]);
      expect(batch.response.data.ndarray).toEqual([0, 1, 2, 3].map(() => [servedBy(batch)]));
      expect(r.get(`${via}-f`)?.success).toBe(true);
      expect(r.get(`${via}-fbatch`)?.success).toBe(true);
      expect(r.get(`${via}-f`)?.response).not.toBeNull();
    }
    // the route replies themselves, for the same request: a 1×1 child index under names ["t:0"]
    const body = JSON.stringify({ data: { names: ['a', 'b'], ndarray: [[1, 2]] } });
    const route = async (port: number) => (await (await fetch(`http://127.0.0.1:${port}/route`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json()) as Obj;
    const [theirs, mine] = [await route(seldonTs!.port), await route(routers[0].port)];
    for (const reply of [theirs, mine]) {
      expect(reply.data.names).toEqual(['t:0']);
      expect(reply.data.ndarray).toHaveLength(1);
      expect(ARMS.map((_, i) => i)).toContain(reply.data.ndarray[0][0]);
    }
    // the batch of 4 rewarded 0.6: Seldon's router adds int(0.6·4) = 2 successes and 2 failures
    // to the branch; this router one fractional observation (α += 0.6, β += 0.4)
    const k = servedBy(r.get('ts-batch') as Obj);
    const j = servedBy(r.get('ts-p') as Obj);
    const expectedAlpha = [1, 1, 1];
    const expectedBeta = [1, 1, 1];
    expectedAlpha[j] += 1;
    expectedAlpha[k] += 2;
    expectedBeta[k] += 2;
    expect(theirs.meta.tags).toEqual({ alpha: expectedAlpha, beta: expectedBeta });
  });
});
