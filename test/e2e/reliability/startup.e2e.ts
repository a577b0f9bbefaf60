/**
 * Startup failures of the built `bandit serve`: a port already in use, or a Seldon router
 * parameter error with Redis configured, print one line and exit non-zero promptly (the
 * open store connections do not keep the process alive).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { BANDIT_BIN, available, describeIf, REDIS_URL } from '../../support/env';
import { claimRedisDb, type TestRedisDb } from '../../support/services';

jest.setTimeout(120_000);

function serve(env: Record<string, string>, args: string[]): Promise<{ code: number | null; ms: number; stderr: string }> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [BANDIT_BIN, 'serve', ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? os.tmpdir(), BANDIT_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(kill);
      resolve({ code, ms: Date.now() - t0, stderr });
    });
  });
}

describeIf(() => available(`the built CLI ${BANDIT_BIN}`, fs.existsSync(BANDIT_BIN), 'build it (npm run build) or set BANDIT_BIN'))('bandit serve startup failures', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-startup-'));
  let busy: net.Server;
  let port = 0;
  let redisDb: TestRedisDb;

  beforeAll(async () => {
    busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const a = busy.address();
    port = typeof a === 'object' && a ? a.port : 0;
    redisDb = await claimRedisDb();
  });

  afterAll(async () => {
    await new Promise<void>((r) => busy.close(() => r()));
    await redisDb?.release();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a port in use: one line naming the address and EADDRINUSE, exit 1 within seconds (with Redis configured)', async () => {
    const r = await serve({ BANDIT_DATA_DIR: dataDir, BANDIT_REDIS_URL: redisDb.url }, ['--port', String(port), '--host', '127.0.0.1']);
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(20_000);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^bandit: cannot listen on 127\\.0\\.0\\.1:${port}: .*(in use|EADDRINUSE)`));
  });

  it('a Seldon router parameter error with Redis configured: one line, exit non-zero within seconds', async () => {
    const r = await serve(
      { BANDIT_DATA_DIR: dataDir, BANDIT_REDIS_URL: redisDb.url ?? REDIS_URL, PREDICTIVE_UNIT_ID: 'router', PREDICTIVE_UNIT_PARAMETERS: JSON.stringify([{ name: 'n_branches', value: 1, type: 'INT' }]) },
      ['--port', '0', '--host', '127.0.0.1'],
    );
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.ms).toBeLessThan(20_000);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^bandit: .*n_branches/);
  });
});
