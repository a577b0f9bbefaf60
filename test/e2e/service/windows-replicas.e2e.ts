/**
 * Conversion windows with two `bandit serve` processes on the machine's Redis and Postgres:
 * 50 decisions with a 2 s window and 10 clicks, spread over both replicas, end with α+β
 * grown by exactly 50 and 40 zero-reward events in bandit_events; a reward after its window
 * closed is refused (409 window_closed). Then the lifecycle across processes: a pause on
 * one replica is served by the other at once, and an arm added on one gets traffic on the
 * other; after Redis loses everything, `bandit rebuild --all` reproduces the paused, edited,
 * retired and shipped experiments.
 */
import { spawn, spawnSync } from 'node:child_process';
import Redis from 'ioredis';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { available, BANDIT_BIN, describeIf, POSTGRES_URL, REDIS_URL } from '../../support/env';
import { spawnService, waitFor, type ServiceProcess } from '../../support/processes';
import { claimRedisDb, createTestDatabase, type TestDatabase, type TestRedisDb } from '../../support/services';

jest.setTimeout(180_000);

const TOKEN = 'e2e-admin-token-windows-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

function servicesUp(): boolean {
  const redis = spawnSync('redis-cli', ['-u', REDIS_URL, 'ping'], { encoding: 'utf8', timeout: 5000 }).stdout?.trim() === 'PONG';
  const pg = spawnSync('psql', [POSTGRES_URL, '-Atc', 'select 1'], { encoding: 'utf8', timeout: 5000 }).stdout?.trim() === '1';
  return available('the built CLI', fs.existsSync(BANDIT_BIN), 'npm run build') && available('Redis', redis, `start it at ${REDIS_URL}`) && available('Postgres', pg, `start it at ${POSTGRES_URL}`);
}

async function call<T>(base: string, method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(base + route, { method, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as T };
}

interface View {
  arms: Array<{ name: string; alpha: number; beta: number; pending: number }>;
}

describeIf(servicesUp)('conversion windows and the lifecycle across two service processes', () => {
  let redis: TestRedisDb;
  let db: TestDatabase;
  let dataDir: string;
  let pg: Client;
  let env: Record<string, string>;
  const replicas: ServiceProcess[] = [];

  beforeAll(async () => {
    redis = await claimRedisDb();
    db = await createTestDatabase('bandit_e2e_windows');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-windows-'));
    env = { BANDIT_REDIS_URL: redis.url, BANDIT_DATABASE_URL: db.url, BANDIT_DATA_DIR: dataDir, BANDIT_ADMIN_TOKEN: TOKEN, BANDIT_LOG_LEVEL: 'warn', BANDIT_SNAPSHOT_INTERVAL_SECONDS: '0', BANDIT_EVENT_FLUSH_MS: '100' };
    replicas.push(await spawnService(env));
    replicas.push(await spawnService(env));
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });
  afterAll(async () => {
    for (const r of replicas) await r.stop();
    await pg?.end();
    await db?.drop();
    await redis?.release();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const grown = (v: View) => v.arms.reduce((a, x) => a + x.alpha + x.beta, 0) - 2 * v.arms.length;

  it('50 decisions, 2 s window, 10 clicks on two replicas: α+β +50 exactly, 40 zero rewards stored, a late reward refused', async () => {
    const [a, b] = replicas.map((r) => r.url);
    expect((await call(a, 'POST', '/experiments', { id: 'win2', arms: ['a', 'b'], conversion_window_seconds: 2 }, auth)).status).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push((await call<{ decision_id: string }>(i % 2 ? a : b, 'POST', '/select', { experiment_id: 'win2' })).body.decision_id);
    for (let i = 0; i < 10; i++) expect((await call(i % 2 ? b : a, 'POST', '/reward', { decision_id: ids[i * 5], reward: 1 })).status).toBe(200);
    await waitFor('the windows to close', async () => (await call<View>(b, 'GET', '/experiments/win2')).body.arms.every((x) => x.pending === 0), 20_000, 100);
    await new Promise((r) => setTimeout(r, 1000));
    const v = (await call<View>(a, 'GET', '/experiments/win2')).body;
    expect(grown(v)).toBe(50);
    expect(v.arms.reduce((s, x) => s + x.alpha, 0) - 2).toBe(10);
    const late = await call<{ error: { code: string } }>(b, 'POST', '/reward', { decision_id: ids[1], reward: 1 });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('window_closed');
    expect(grown((await call<View>(a, 'GET', '/experiments/win2')).body)).toBe(50);
    const count = async (reward: number) =>
      Number((await pg.query("SELECT count(*) AS n FROM bandit_events WHERE experiment_id = 'win2' AND event_type = 'reward' AND reward = $1", [reward])).rows[0].n);
    await waitFor('the events in Postgres', async () => (await count(0)) + (await count(1)) >= 50, 20_000, 100);
    expect(await count(0)).toBe(40);
    expect(await count(1)).toBe(10);
  });

  it('a pause on one replica is served by the other at once; an arm added on one gets traffic on the other', async () => {
    const [a, b] = replicas.map((r) => r.url);
    expect((await call(a, 'POST', '/experiments', { id: 'life2', arms: ['control', 'b'] }, auth)).status).toBe(201);
    expect((await call(b, 'POST', '/select', { experiment_id: 'life2' })).status).toBe(200);
    expect((await call(a, 'POST', '/experiments/life2/pause', {}, auth)).status).toBe(200);
    expect((await call<{ paused?: boolean; arm: string }>(b, 'POST', '/select', { experiment_id: 'life2' })).body).toMatchObject({ paused: true, arm: 'control' });
    expect((await call(b, 'POST', '/experiments/life2/resume', {}, auth)).status).toBe(200);
    expect((await call(a, 'PATCH', '/experiments/life2', { add_arms: ['c'] }, auth)).status).toBe(200);
    // the other replica re-reads definitions within a second
    await new Promise((r) => setTimeout(r, 1200));
    const arms: string[] = [];
    for (let i = 0; i < 40; i++) arms.push((await call<{ arm: string }>(b, 'POST', '/select', { experiment_id: 'life2' })).body.arm);
    expect(arms.filter((x) => x === 'c').length).toBeGreaterThan(3);
  });

  it('after a Redis loss, bandit rebuild --all reproduces paused, edited, retired and shipped experiments', async () => {
    const [a] = replicas.map((r) => r.url);
    expect((await call(a, 'POST', '/experiments/life2/arms/b/retire', {}, auth)).status).toBe(200);
    expect((await call(a, 'POST', '/experiments/life2/pause', {}, auth)).status).toBe(200);
    expect((await call(a, 'POST', '/experiments', { id: 'ship2', arms: ['x', 'y'] }, auth)).status).toBe(201);
    expect((await call(a, 'POST', '/experiments/ship2/ship', { arm: 'y', by: 'ana' }, auth)).status).toBe(200);
    type Full = { status: string; definition: unknown; winner: { index: number } | null; arms: Array<{ alpha: number; beta: number; assignments: number }> };
    const before = await Promise.all(['life2', 'ship2', 'win2'].map(async (id) => (await call<Full>(a, 'GET', `/experiments/${id}`)).body));
    // the replicas move every queued event into Postgres as they stop
    for (const r of replicas.splice(0)) await r.stop();
    const r = new Redis(redis.url);
    await r.flushdb();
    r.disconnect();
    const cli = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [BANDIT_BIN, 'rebuild', '--all'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) => resolve({ code, out }));
    });
    expect(cli.code).toBe(0);
    expect(cli.out).toMatch(/life2: .* → written/);
    replicas.push(await spawnService(env));
    const url = replicas[0].url;
    const after = await Promise.all(['life2', 'ship2', 'win2'].map(async (id) => (await call<Full>(url, 'GET', `/experiments/${id}`)).body));
    for (let i = 0; i < 3; i++) {
      expect(after[i].status).toBe(before[i].status);
      expect(after[i].definition).toEqual(before[i].definition);
      expect(after[i].winner?.index ?? null).toBe(before[i].winner?.index ?? null);
      expect(after[i].arms.map((x) => [x.alpha, x.beta, x.assignments])).toEqual(before[i].arms.map((x) => [x.alpha, x.beta, x.assignments]));
    }
    expect((await call<{ paused?: boolean }>(url, 'POST', '/select', { experiment_id: 'life2' })).body.paused).toBe(true);
    expect((await call<{ arm: string }>(url, 'POST', '/select', { experiment_id: 'ship2' })).body.arm).toBe('y');
  });
});
