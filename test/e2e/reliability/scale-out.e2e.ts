/**
 * Scale-out: two `bandit serve` processes on one Redis are one bandit (selects on one,
 * rewards through the other, exact α / β accounting), and the unchanged service runs on a
 * three-node Redis Cluster started here with exact totals and the fixed key names.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeIf, hasBuiltCli } from '../../support/env';
import { sleep, spawnService, startRedisCluster, type ServiceProcess } from '../../support/processes';
import { claimRedisDb, createTestDatabase, hasPostgres, hasRedis } from '../../support/services';
import { ADMIN_TOKEN, countedRewards, countsFromEvents, createExperiment, doubled, liveCounts, settledEvents, startLoad, summarize, type ArmCounts, type Outcome } from './lib';

jest.setTimeout(180_000);

/** α, β, assignments implied by what the clients were told (Beta(1, 1) prior). */
function countsFromClients(outcomes: readonly Outcome[], arms: number): ArmCounts {
  const alpha = new Array<number>(arms).fill(1);
  const beta = new Array<number>(arms).fill(1);
  const assignments = new Array<number>(arms).fill(0);
  for (const o of outcomes) {
    if (o.status !== 200) continue;
    if (o.op === 'select') assignments[o.arm as number]++;
    else if (o.duplicate === false) {
      alpha[o.arm as number] += o.reward as number;
      beta[o.arm as number] += 1 - (o.reward as number);
    }
  }
  return { alpha, beta, assignments };
}

describeIf(() => hasBuiltCli() && hasPostgres() && hasRedis())('scale-out', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-rel-scale-'));
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  async function serve(env: Record<string, string>): Promise<ServiceProcess> {
    const svc = await spawnService({ BANDIT_ADMIN_TOKEN: ADMIN_TOKEN, BANDIT_SNAPSHOT_INTERVAL_SECONDS: '0', BANDIT_DATA_DIR: dataDir, BANDIT_EVENT_FLUSH_MS: '100', BANDIT_LOG_LEVEL: 'warn', ...env });
    cleanups.push(() => svc.stop());
    return svc;
  }

  it('two processes on one Redis are one bandit: exact accounting across both', async () => {
    const redis = await claimRedisDb();
    cleanups.push(() => redis.release());
    const db = await createTestDatabase('bandit_rel_scale');
    cleanups.push(() => db.drop());
    const env = { BANDIT_REDIS_URL: redis.url, BANDIT_DATABASE_URL: db.url };
    const [a, b] = await Promise.all([serve(env), serve(env)]);
    const id = 'two-replicas';
    await createExperiment(a.url, id);
    const load = startLoad([a.url, b.url], id, { workers: 8 });
    await sleep(5000);
    const outcomes = await load.stop();
    expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
    expect(outcomes.filter((o) => o.duplicate === true)).toEqual([]);
    // both replicas served selects and counted rewards of the other's decisions
    for (const u of [a.url, b.url]) {
      expect(outcomes.filter((o) => o.url === u && o.op === 'select').length).toBeGreaterThan(50);
      expect(countedRewards(outcomes).filter((o) => o.url === u).length).toBeGreaterThan(50);
    }

    const expected = countsFromClients(outcomes, 3);
    expect(await liveCounts(a.url, id)).toEqual(expected);
    expect(await liveCounts(b.url, id)).toEqual(expected);
    const rows = await settledEvents(db.url, id, outcomes.length);
    expect(doubled(rows)).toEqual([]);
    expect(countsFromEvents(rows, 3)).toEqual(expected);
    process.stderr.write(`two replicas: ${JSON.stringify(summarize(outcomes))}; alpha ${JSON.stringify(expected.alpha)} beta ${JSON.stringify(expected.beta)} on both, in Redis and in the events\n`);
  });

  it('runs unchanged on a three-node Redis Cluster: exact totals, fixed key names', async () => {
    const cluster = await startRedisCluster(3);
    cleanups.push(() => cluster.stop());
    const db = await createTestDatabase('bandit_rel_cluster');
    cleanups.push(() => db.drop());
    // one process with the cluster URL, one with a single seed and BANDIT_REDIS_CLUSTER=true
    const a = await serve({ BANDIT_REDIS_URL: cluster.url, BANDIT_DATABASE_URL: db.url });
    const b = await serve({ BANDIT_REDIS_URL: `redis://127.0.0.1:${cluster.ports[1]}`, BANDIT_REDIS_CLUSTER: 'true', BANDIT_DATABASE_URL: db.url });
    const ids = ['cluster-a', 'cluster-b', 'cluster-c', 'cluster-d'];
    for (const id of ids) await createExperiment(a.url, id);
    const loads = ids.map((id) => startLoad([a.url, b.url], id, { workers: 2 }));
    await sleep(5000);
    const all = await Promise.all(loads.map((l) => l.stop()));
    const nodesUsed = new Set<number>();
    for (const [i, id] of ids.entries()) {
      const outcomes = all[i];
      expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
      expect(countedRewards(outcomes).length).toBeGreaterThan(20);
      const expected = countsFromClients(outcomes, 3);
      const live = await liveCounts(b.url, id);
      expect(live).toEqual(expected);
      const rows = await settledEvents(db.url, id, outcomes.length);
      expect(doubled(rows)).toEqual([]);
      expect(countsFromEvents(rows, 3)).toEqual(expected);
      // the fixed key names, read straight from the node that owns the experiment's slot
      for (const port of cluster.ports) {
        const alpha = execFileSync('redis-cli', ['-p', String(port), 'get', `experiment:{${id}}:arm:0:alpha`], { encoding: 'utf8' }).trim();
        if (alpha !== '' && !alpha.startsWith('MOVED')) {
          nodesUsed.add(port);
          expect(Number(alpha)).toBe(expected.alpha[0]);
        }
      }
    }
    expect(nodesUsed.size).toBeGreaterThan(1);
    process.stderr.write(`cluster: ${ids.length} experiments on ${nodesUsed.size} nodes, ${all.flat().length} requests, exact totals\n`);
  });
});
