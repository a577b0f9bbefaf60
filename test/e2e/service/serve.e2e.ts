/**
 * The built CLI over real HTTP: `bandit serve` on the machine's Redis and Postgres,
 * driven by `bandit simulate`, checked by `bandit rebuild --check`, stopped by SIGTERM;
 * and the embedded defaults (in-process store + SQLite) surviving a restart.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BANDIT_BIN, describeIf, hasBuiltCli, itIf } from '../../support/env';
import { claimRedisDb, createTestDatabase, hasPostgres, hasRedis, type TestDatabase, type TestRedisDb } from '../../support/services';

jest.setTimeout(300_000);

const TOKEN = 'e2e-admin-token-0123456789abcdef';

interface Served {
  url: string;
  child: ChildProcess;
  stderr: () => string;
}

function serve(env: Record<string, string>): Promise<Served> {
  const child = spawn(process.execPath, [BANDIT_BIN, 'serve', '--port', '0', '--host', '127.0.0.1'], {
    env: { ...process.env, BANDIT_LOG_LEVEL: 'warn', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`bandit serve did not start: ${err}`)), 30_000);
    child.stderr!.on('data', () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(err);
      if (m) {
        clearTimeout(t);
        resolve({ url: m[1], child, stderr: () => err });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`bandit serve exited with ${code}: ${err}`));
    });
  });
}

/** SIGTERM; resolves with the exit code (or the signal's name when the process ended by it). */
function stop(s: Served): Promise<number | string | null> {
  return new Promise((resolve, reject) => {
    if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve(s.child.exitCode ?? s.child.signalCode);
    const t = setTimeout(() => {
      s.child.kill('SIGKILL');
      reject(new Error(`bandit serve did not stop within 15 s of SIGTERM: ${s.stderr()}`));
    }, 15_000);
    s.child.once('exit', (code, signal) => {
      clearTimeout(t);
      resolve(code ?? signal);
    });
    s.child.kill('SIGTERM');
  });
}

function cli(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [BANDIT_BIN, ...args], { env: { ...process.env, NODE_ENV: 'test', ...env }, encoding: 'utf8', timeout: 240_000 });
}

const json = async (url: string, init?: RequestInit) => {
  const r = await fetch(url, init);
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};

describeIf(() => hasBuiltCli())('bandit serve (built CLI)', () => {
  it('refuses to start in production without an admin token', () => {
    const r = cli(['serve', '--port', '0'], { NODE_ENV: 'production', BANDIT_ADMIN_TOKEN: '' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/NODE_ENV=production requires BANDIT_ADMIN_TOKEN/);
  });

  itIf(() => hasRedis() && hasPostgres())('serves on Redis + Postgres; simulate drives it; rebuild --check agrees; SIGTERM exits cleanly', async () => {
    const redis: TestRedisDb = await claimRedisDb();
    const db: TestDatabase = await createTestDatabase('bandit_e2e');
    const env = { BANDIT_REDIS_URL: redis.url, BANDIT_DATABASE_URL: db.url, BANDIT_ADMIN_TOKEN: TOKEN, NODE_ENV: 'production' };
    let s: Served | undefined;
    try {
      s = await serve(env);
      expect((await json(`${s.url}/readyz`)).body).toEqual({ status: 'ready', store: 'dragonfly', database: 'postgres' });
      const unauth = await json(`${s.url}/experiments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'e2e', arms: ['a', 'b'] }) });
      expect(unauth.status).toBe(401);
      const sim = cli(['simulate', '--url', s.url, '--experiment', 'e2e', '--ctr', '0.1,0.3', '--requests', '600', '--concurrency', '8', '--create', '--token', TOKEN], {});
      expect(sim.stderr).not.toMatch(/bandit:/);
      expect(sim.status).toBe(0);
      expect(sim.stdout).toMatch(/600 select \+ reward pairs/);
      expect(sim.stdout).toMatch(/errors: none/);
      const view = await json(`${s.url}/experiments/e2e`);
      const arms = view.body.arms as Array<{ alpha: number; beta: number; assignments: number }>;
      expect(arms.reduce((n, a) => n + a.assignments, 0)).toBe(600);
      expect(arms.reduce((n, a) => n + a.alpha + a.beta, 0)).toBe(600 + 4);
      expect(await stop(s)).toBe(0);
      s = undefined;
      // after a clean stop every event is in Postgres: the rebuild agrees with the live state
      const check = cli(['rebuild', '--experiment', 'e2e', '--check'], { BANDIT_REDIS_URL: redis.url, BANDIT_DATABASE_URL: db.url });
      expect(check.stderr).toBe('');
      expect(check.status).toBe(0);
      expect(check.stdout).toMatch(/e2e: 600 select and 600 reward events/);
      // and evaluates the stopping rule on the rebuilt posteriors with the service's evaluator
      const verdict = /stopping rule on these posteriors: (winner|continue|no_winner) \((?:minimum samples|every arm has at least)/.exec(check.stdout);
      expect(verdict).not.toBeNull();
      const evaluation = view.body.evaluation as { source: string; status: string };
      if (evaluation.source === 'live') expect(verdict?.[1]).toBe(evaluation.status);
    } finally {
      if (s) await stop(s);
      await redis.release();
      await db.drop();
    }
  });

  it('embedded defaults: the in-process store is rebuilt from SQLite after a restart', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-e2e-'));
    const env = { BANDIT_DATA_DIR: dataDir, BANDIT_REDIS_URL: '', DRAGONFLY_HOST: '', BANDIT_DATABASE_URL: '' };
    let s: Served | undefined;
    try {
      s = await serve(env);
      expect((await json(`${s.url}/readyz`)).body).toEqual({ status: 'ready', store: 'memory', database: 'sqlite' });
      const post = (route: string, body: unknown) => json(`${s!.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await post('/experiments', { id: 'local', arms: ['x', 'y', 'z'] })).status).toBe(201);
      for (let i = 0; i < 30; i++) {
        const sel = await post('/select', { experiment_id: 'local' });
        expect((await post('/reward', { decision_id: sel.body.decision_id, reward: i % 3 === 0 ? 1 : 0 })).status).toBe(200);
      }
      const before = (await json(`${s.url}/experiments/local`)).body.arms;
      expect(await stop(s)).toBe(0);
      s = await serve(env);
      const after = (await json(`${s.url}/experiments/local`)).body.arms;
      expect(after).toEqual(before);
    } finally {
      if (s) await stop(s);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
