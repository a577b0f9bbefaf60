/**
 * The servers the /select and /reward benchmarks compare, each started on a free loopback
 * port and stopped by `stop()`:
 *
 *   ceiling   a bare node:http server answering a constant JSON (bench/lib/ceiling-server.js)
 *   bandit    `bandit serve` from the built CLI: the Redis posterior store with the Postgres
 *             event log (production parts), or the in-process store with the SQLite file
 *             (embedded defaults)
 *   fastapi   the original design in Python: FastAPI + redis-py under uvicorn
 *             (bench/peers/fastapi-router)
 *
 * Every target answers the same three calls: createExperiment(id, arms), a /select body,
 * and a /reward request built from what /select returned.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort, startServer, waitUntil, postJson } = require('./proc');
const { peerVenv } = require('./venv');

const ROOT = path.resolve(__dirname, '..', '..');

async function ceilingTarget() {
  const port = await freePort();
  const server = startServer('node:http constant JSON (ceiling)', process.execPath, [path.join(__dirname, 'ceiling-server.js'), String(port)]);
  const base = `http://127.0.0.1:${port}`;
  await waitUntil(server, async () => (await postJson(`${base}/select`, {})).status === 200);
  return {
    key: 'ceiling',
    label: server.label,
    base,
    pids: { server: server.child.pid },
    createExperiment: async () => {},
    selectBody: () => ({ experiment_id: 'bench' }),
    rewardBody: () => ({ decision_id: 'bench.0', reward: 1 }),
    stop: () => server.stop(),
  };
}

/**
 * @param {object} o
 * @param {string} o.bin          built CLI (dist/main.js)
 * @param {'redis'|'memory'} o.store
 * @param {string} [o.redisUrl]   claimed Redis database (store 'redis')
 * @param {string} [o.databaseUrl] Postgres database of the event log (store 'redis'; SQLite otherwise)
 * @param {string[]} [o.nodeArgs]  options of node itself (e.g. --preserve-symlinks for a build elsewhere)
 * @param {string[]} [o.serveArgs] more options of `bandit serve` (e.g. --no-consumer)
 * @param {boolean} [o.consume]   also run `bandit consume` (the event drain in a process of its own)
 * @param {string} [o.key]        the target's key (default bandit-<store>)
 * @param {string} [o.label]      the target's label
 * @param {object} [o.env]        more environment of the server (and consumer)
 */
async function banditTarget(o) {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-bench-'));
  const env = { BANDIT_DATA_DIR: dataDir, BANDIT_LOG_LEVEL: 'warn', NODE_ENV: 'development', ...o.env };
  if (o.store === 'redis') {
    env.BANDIT_REDIS_URL = o.redisUrl;
    if (o.databaseUrl) env.BANDIT_DATABASE_URL = o.databaseUrl;
  }
  const label = o.label ?? (o.store === 'redis' ? `bandit-service (Redis store, ${o.databaseUrl ? 'Postgres' : 'SQLite'} event log)` : 'bandit-service (in-process store, SQLite event log)');
  const nodeArgs = o.nodeArgs ?? [];
  const server = startServer(label, process.execPath, [...nodeArgs, o.bin, 'serve', '--port', String(port), '--host', '127.0.0.1', ...(o.serveArgs ?? [])], { env, cwd: ROOT });
  const consumer = o.consume ? startServer(`${label}: bandit consume`, process.execPath, [...nodeArgs, o.bin, 'consume'], { env, cwd: ROOT }) : undefined;
  const base = `http://127.0.0.1:${port}`;
  await waitUntil(server, async () => (await fetch(`${base}/readyz`)).status === 200);
  if (consumer) await waitUntil(consumer, async () => consumer.log().includes('moving events'));
  return {
    key: o.key ?? `bandit-${o.store}`,
    label,
    base,
    /** The server's process id, and the consumer's when it runs apart. */
    pids: { server: server.child.pid, consumer: consumer?.child.pid },
    databaseUrl: o.databaseUrl,
    async createExperiment(id, arms) {
      // never concluding: the load measures serving a running experiment
      const r = await postJson(`${base}/experiments`, { id, arms, stopping: { minSamplesPerArm: 1e9 } });
      if (r.status !== 201 && r.status !== 200) throw new Error(`${label}: creating ${id}: ${r.status} ${JSON.stringify(r.body)}`);
    },
    selectBody: (id) => ({ experiment_id: id }),
    /** from one /select reply */
    rewardBody: (selected, reward) => ({ decision_id: selected.decision_id, reward }),
    stop: async () => {
      await server.stop();
      await consumer?.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** @param {{ redisUrl: string, workers?: number }} o */
async function fastapiTarget(o) {
  const workers = o.workers ?? 1;
  const venv = peerVenv('fastapi-router');
  const port = await freePort();
  const label = `FastAPI + redis-py (uvicorn, ${workers} worker${workers > 1 ? 's' : ''})`;
  const server = startServer(
    label,
    path.join(venv, 'bin', 'uvicorn'),
    ['app:app', '--host', '127.0.0.1', '--port', String(port), '--workers', String(workers), '--loop', 'uvloop', '--http', 'httptools', '--log-level', 'warning', '--no-access-log'],
    { env: { BENCH_REDIS_URL: o.redisUrl }, cwd: path.join(ROOT, 'bench', 'peers', 'fastapi-router') },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitUntil(server, async () => (await fetch(`${base}/openapi.json`)).status === 200);
  return {
    key: `fastapi-${workers}`,
    label,
    base,
    async createExperiment(id, arms) {
      const r = await postJson(`${base}/experiments`, { id, arms });
      if (r.status !== 201) throw new Error(`${label}: creating ${id}: ${r.status} ${JSON.stringify(r.body)}`);
    },
    selectBody: (id) => ({ experiment_id: id }),
    rewardBody: (selected, reward) => ({ experiment_id: selected.experiment_id, arm_index: selected.arm_index, reward }),
    log: server.log,
    stop: () => server.stop(),
  };
}

module.exports = { ceilingTarget, banditTarget, fastapiTarget };
