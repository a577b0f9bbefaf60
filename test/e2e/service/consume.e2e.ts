/**
 * The event drain in a process of its own: `bandit serve --no-consumer` serves and queues
 * events in Redis without moving them; `bandit consume` moves them into Postgres, every
 * event once, and on SIGTERM moves what is left and exits 0. Both refuse, in one line
 * with exit code 2, to run without the Dragonfly store.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { available, BANDIT_BIN, describeIf, POSTGRES_URL, REDIS_URL } from '../../support/env';
import { spawnService, sleep, waitFor, type ServiceProcess } from '../../support/processes';
import { claimRedisDb, createTestDatabase, type TestDatabase, type TestRedisDb } from '../../support/services';

jest.setTimeout(180_000);

const TOKEN = 'e2e-admin-token-0123456789abcdef';

/** Redis and Postgres answer (checked synchronously, so a missing one skips the suite visibly). */
function servicesUp(): boolean {
  const redis = spawnSync('redis-cli', ['-u', REDIS_URL, 'ping'], { encoding: 'utf8', timeout: 5000 }).stdout?.trim() === 'PONG';
  const pg = spawnSync('psql', [POSTGRES_URL, '-Atc', 'select 1'], { encoding: 'utf8', timeout: 5000 }).stdout?.trim() === '1';
  return available('the built CLI', fs.existsSync(BANDIT_BIN), 'npm run build') && available('Redis', redis, `start it at ${REDIS_URL}`) && available('Postgres', pg, `start it at ${POSTGRES_URL}`);
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BANDIT_BIN, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describeIf(servicesUp)('bandit serve --no-consumer beside bandit consume', () => {
  let redis: TestRedisDb;
  let db: TestDatabase;
  let dataDir: string;
  let env: Record<string, string>;
  let pg: Client;
  let svc: ServiceProcess | undefined;

  beforeAll(async () => {
    redis = await claimRedisDb();
    db = await createTestDatabase('bandit_e2e_consume');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-consume-'));
    env = { BANDIT_REDIS_URL: redis.url, BANDIT_DATABASE_URL: db.url, BANDIT_DATA_DIR: dataDir, BANDIT_ADMIN_TOKEN: TOKEN, BANDIT_LOG_LEVEL: 'warn', BANDIT_SNAPSHOT_INTERVAL_SECONDS: '0', BANDIT_EVENT_FLUSH_MS: '100' };
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });
  afterAll(async () => {
    await svc?.stop('SIGKILL');
    await pg?.end();
    await db?.drop();
    await redis?.release();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const stored = async () => Number((await pg.query<{ n: string }>('SELECT count(*) AS n FROM bandit_events')).rows[0].n);
  const post = async (url: string, body: unknown) => {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  it('serves while the events wait in Redis; a separate consumer stores each of them once', async () => {
    svc = await spawnService(env, { args: ['--no-consumer'] });
    expect(svc.logs()).toContain('moved by `bandit consume`');
    expect((await post(`${svc.url}/experiments`, { id: 'drain', arms: ['a', 'b'] })).status).toBe(201);
    const decisions: string[] = [];
    for (let i = 0; i < 60; i++) {
      const r = await post(`${svc.url}/select`, { experiment_id: 'drain' });
      expect(r.status).toBe(200);
      decisions.push(r.body.decision_id as string);
    }
    for (const d of decisions.slice(0, 20)) expect((await post(`${svc.url}/reward`, { decision_id: d, reward: 1 })).status).toBe(200);
    // many flush intervals later the server has moved nothing
    await sleep(1500);
    expect(await stored()).toBe(0);

    const consumer = spawn(process.execPath, [BANDIT_BIN, 'consume'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    consumer.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => consumer.on('exit', (code) => resolve(code)));
    try {
      await waitFor('the consumer to store 80 events', async () => (await stored()) === 80, 60_000, 200);
      // events served while the consumer runs reach Postgres too
      for (let i = 0; i < 10; i++) expect((await post(`${svc.url}/select`, { experiment_id: 'drain' })).status).toBe(200);
      await waitFor('the consumer to store 90 events', async () => (await stored()) === 90, 60_000, 200);
    } finally {
      consumer.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(log).toMatch(/stopped after moving 90 events/);
    const byType = await pg.query<{ t: string; n: string; distinct_decisions: string }>(
      'SELECT event_type AS t, count(*) AS n, count(DISTINCT decision_id) AS distinct_decisions FROM bandit_events GROUP BY event_type ORDER BY 1',
    );
    expect(byType.rows.map((r) => [r.t, Number(r.n), Number(r.distinct_decisions)])).toEqual([
      ['reward', 20, 20],
      ['select', 70, 70],
    ]);
    expect((await svc.stop('SIGTERM')).code).toBe(0);
    svc = undefined;
  });

  it('consume --once moves what is queued and exits', async () => {
    svc = await spawnService(env, { args: ['--no-consumer'] });
    for (let i = 0; i < 5; i++) expect((await post(`${svc.url}/select`, { experiment_id: 'drain' })).status).toBe(200);
    const before = await stored();
    const r = await run(['consume', '--once'], env);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe('moved 5 events');
    expect(await stored()).toBe(before + 5);
  });

  it('without the Dragonfly store both refuse in one line with exit code 2', async () => {
    const embedded = { BANDIT_DATA_DIR: dataDir, BANDIT_LOG_LEVEL: 'warn' };
    const c = await run(['consume'], embedded);
    expect(c.code).toBe(2);
    expect(c.err.trim().split('\n')).toHaveLength(1);
    expect(c.err).toMatch(/no Dragonfly configured/);
    const s = await run(['serve', '--port', '0', '--no-consumer'], embedded);
    expect(s.code).toBe(2);
    expect(s.err.trim().split('\n')).toHaveLength(1);
    expect(s.err).toMatch(/--no-consumer needs the Dragonfly store/);
  });
});
