/**
 * POST /design on the built service, where simulations run in worker threads as in
 * production: a client that hangs up stops its simulation, so the process is free for the
 * next one at once instead of refusing it as busy until the abandoned one ends.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeIf, hasBuiltCli } from '../../support/env';
import { spawnService, type ServiceProcess } from '../../support/processes';

jest.setTimeout(120_000);

const TOKEN = 'design-e2e-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

describeIf(() => hasBuiltCli())('POST /design on the built service', () => {
  let svc: ServiceProcess;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-design-'));

  beforeAll(async () => {
    svc = await spawnService({ BANDIT_ADMIN_TOKEN: TOKEN, BANDIT_DATA_DIR: dir, BANDIT_LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    await svc?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a client that hangs up stops its simulation: the next request is served, not refused as busy', async () => {
    // minutes of work (thresholds that never end a run early), abandoned after 500 ms
    const heavy = { runs: 200, maxVisitors: 100_000, arms: 10, stopping: { probBest: 1, minSamplesPerArm: 1000 } };
    const abandoned = fetch(`${svc.url}/design`, { method: 'POST', headers: auth, body: JSON.stringify(heavy), signal: AbortSignal.timeout(500) });
    await expect(abandoned).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 300));
    const next = await fetch(`${svc.url}/design`, { method: 'POST', headers: auth, body: JSON.stringify({ runs: 2, maxVisitors: 1000, seed: 'after' }) });
    expect(next.status).toBe(200);
    expect(((await next.json()) as { runs: number }).runs).toBe(2);
  });
});
