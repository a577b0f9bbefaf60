#!/usr/bin/env node
/**
 * Bytes allocated and CPU time per /select, over HTTP, side by side: the realistic ceiling
 * (bench/lib/realistic-ceiling-server.js) and `bandit serve` in the setups and builds asked
 * for. Every server runs with bench/lib/alloc-probe.js preloaded, which reports the bytes
 * its JavaScript heap allocated and its CPU time between two marks; the load (autocannon,
 * 64 connections) runs between the marks, so figure ÷ requests served is per request.
 * These figures move far less with the machine's load than requests per second do.
 *
 * Every target is started once; each round runs them in turn (interleaved); medians over
 * rounds. Redis is a private redis-server; Postgres the machine's (a fresh database per
 * target).
 *
 *   node bench/alloc.bench.js [--rounds N] [--duration S] [--setups bandit,split,embedded]
 *                             [--build NAME=DIR]… [--sample DIR] [--no-realistic]
 *
 *   setups     bandit    Redis + Postgres, the event drain in-process (the default serve)
 *              split     the same with --no-consumer; `bandit consume` in its own process
 *                        (its figures reported apart)
 *              embedded  the in-process store and SQLite
 *   --build    another build (bench/lib/make-build.sh DIR REV), run in the same setups,
 *              e.g. --build before=/tmp/before
 *   --sample   also run the sampling heap profiler in every server and write the last
 *              round's profile of each to DIR/<target>.heapprofile (bench/alloc-report.js
 *              lists where the bytes were allocated)
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort, startServer, waitUntil, postJson, sleep } = require('./lib/proc');
const { banditTarget } = require('./lib/targets');
const { load, warmUp } = require('./lib/load');
const { createDatabase, postgresReachable } = require('./lib/postgres');
const { privateRedis } = require('./lib/redis');
const { median } = require('./lib/report');

const ROOT = path.resolve(__dirname, '..');
const PROBE = path.join(__dirname, 'lib', 'alloc-probe.js');
const ARMS = ['control', 'treatment-a', 'treatment-b'];
const CONNECTIONS = 64;

function parseArgs(argv) {
  const o = { rounds: 3, duration: 5, setups: ['bandit', 'split', 'embedded'], builds: [], sample: undefined, realistic: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--rounds') o.rounds = Number(next());
    else if (a === '--duration') o.duration = Number(next());
    else if (a === '--setups') o.setups = next().split(',');
    else if (a === '--build') {
      const [name, dir] = next().split('=');
      if (!name || !dir) throw new Error('--build takes NAME=DIR');
      o.builds.push({ name, dir: path.resolve(dir) });
    } else if (a === '--sample') o.sample = path.resolve(next());
    else if (a === '--no-realistic') o.realistic = false;
    else throw new Error(`unknown option ${a}`);
  }
  for (const s of o.setups) if (!['bandit', 'split', 'embedded'].includes(s)) throw new Error(`unknown setup ${s} (bandit, split, embedded)`);
  if (!(o.rounds >= 1 && o.duration > 0)) throw new Error('--rounds must be ≥ 1 and --duration > 0');
  return o;
}

/** Marks every probed process and resolves their cumulative figures (bench/lib/alloc-probe.js). */
async function mark(probeDir, pids) {
  const read = (pid) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(probeDir, `${pid}.json`), 'utf8'));
    } catch {
      return undefined;
    }
  };
  const before = pids.map((pid) => read(pid)?.marks ?? 0);
  for (const pid of pids) process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 30000;
  for (;;) {
    const now = pids.map(read);
    if (now.every((f, i) => f && f.marks > before[i])) return now;
    if (Date.now() > deadline) throw new Error(`no mark from the probe of ${pids.join(', ')}`);
    await sleep(20);
  }
}

function diff(a, b) {
  return { allocated: b.allocated - a.allocated, cpu: b.cpuUser + b.cpuSystem - (a.cpuUser + a.cpuSystem), gcMs: b.gcMs - a.gcMs, gcs: b.gcs - a.gcs };
}

async function realisticTarget(redisUrl, env, dist) {
  const port = await freePort();
  const label = 'realistic ceiling: bare Fastify + ioredis + select.lua';
  const server = startServer(label, process.execPath, ['-r', PROBE, path.join(__dirname, 'lib', 'realistic-ceiling-server.js'), String(port), redisUrl, dist], { env, cwd: ROOT });
  const base = `http://127.0.0.1:${port}`;
  await waitUntil(server, async () => (await postJson(`${base}/select`, { experiment_id: 'bench-realistic' })).status === 200);
  return { key: 'realistic', label, base, pids: { server: server.child.pid }, experiment: 'bench-realistic', stop: () => server.stop() };
}

/**
 * Runs the targets; resolves { table } (markdown lines). `o`: { rounds, duration, setups,
 * builds: [{ name, dir }], sample?, realistic, dist? (this build's dist/, default ./dist) }.
 */
async function run(o) {
  const dist = o.dist ?? path.join(ROOT, 'dist');
  const needsPg = o.setups.some((s) => s !== 'embedded');
  if (needsPg && !(await postgresReachable())) throw new Error('Postgres is not reachable (BANDIT_BENCH_POSTGRES_URL)');
  const probeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-alloc-'));
  const env = { BANDIT_ALLOC_PROBE: probeDir, ...(o.sample ? { BANDIT_ALLOC_PROBE_SAMPLE: '1' } : {}) };
  if (o.sample) fs.mkdirSync(o.sample, { recursive: true });
  const redis = await privateRedis();
  const dbs = [];
  const targets = [];
  let db = 1;
  try {
    if (o.realistic) targets.push(await realisticTarget(redis.url(db++), env, dist));
    const builds = [{ name: 'this build', key: '', dist, nodeArgs: [] }, ...o.builds.map((b) => ({ name: b.name, key: `${b.name}:`, dist: path.join(b.dir, 'dist'), nodeArgs: ['--preserve-symlinks'] }))];
    for (const b of builds) {
      for (const setup of o.setups) {
        const common = { bin: path.join(b.dist, 'main.js'), nodeArgs: [...b.nodeArgs, '-r', PROBE], env, key: `${b.key}${setup}` };
        let t;
        if (setup === 'embedded') t = await banditTarget({ ...common, store: 'memory', label: `${b.name}: bandit serve, embedded (in-process store, SQLite)` });
        else {
          const pg = await createDatabase('bandit_bench_alloc');
          dbs.push(pg);
          const split = setup === 'split';
          t = await banditTarget({
            ...common,
            store: 'redis',
            redisUrl: redis.url(db++),
            databaseUrl: pg.url,
            serveArgs: split ? ['--no-consumer'] : [],
            consume: split,
            label: `${b.name}: bandit serve${split ? ' --no-consumer (+ bandit consume)' : ''} (Redis + Postgres)`,
          });
        }
        t.experiment = 'bench-alloc';
        await t.createExperiment(t.experiment, ARMS);
        targets.push(t);
      }
    }
    const results = new Map(targets.map((t) => [t.key, []]));
    for (let round = 0; round < o.rounds; round++) {
      for (const t of targets) {
        const url = `${t.base}/select`;
        const body = { experiment_id: t.experiment };
        await warmUp({ url, body, connections: CONNECTIONS });
        const pids = [t.pids.server, t.pids.consumer].filter((p) => p !== undefined);
        const a = await mark(probeDir, pids);
        const r = await load({ url, body, connections: CONNECTIONS, duration: o.duration });
        const b = await mark(probeDir, pids);
        const n = r.ok + r.non2xx;
        if (r.non2xx > 0 || r.errors > 0) throw new Error(`${t.label}: ${r.non2xx} non-2xx replies, ${r.errors} errors`);
        const server = diff(a[0], b[0]);
        const consumer = pids.length > 1 ? diff(a[1], b[1]) : undefined;
        results.get(t.key).push({
          rps: r.rps,
          p99: r.p99,
          bytes: server.allocated / n,
          cpuUs: (server.cpu / n) * 1e6,
          gcUs: (server.gcMs / n) * 1e3,
          consumerBytes: consumer ? consumer.allocated / n : undefined,
          consumerCpuUs: consumer ? (consumer.cpu / n) * 1e6 : undefined,
          load: os.loadavg()[0],
        });
        if (o.sample && round === o.rounds - 1) {
          for (const [i, pid] of pids.entries()) {
            const src = path.join(probeDir, `${pid}.json.heapprofile`);
            if (fs.existsSync(src)) fs.copyFileSync(src, path.join(o.sample, `${t.key.replace(/[^a-z0-9-]+/gi, '_')}${i === 1 ? '-consumer' : ''}.heapprofile`));
          }
        }
        process.stderr.write(`round ${round + 1}: ${t.key}: ${Math.round(server.allocated / n)} B/req, ${Math.round((server.cpu / n) * 1e6)} µs CPU/req, ${Math.round(r.rps)} req/s\n`);
      }
    }
    return { table: report(targets, results, o) };
  } finally {
    for (const t of targets) await t.stop().catch(() => undefined);
    await redis.stop();
    for (const d of dbs) await d.drop().catch(() => undefined);
    fs.rmSync(probeDir, { recursive: true, force: true });
  }
}

function report(targets, results, o) {
  const fmt = (x, d = 0) => (x === undefined ? '' : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
  const med = (rows, f) => (rows.some((r) => r[f] === undefined) ? undefined : median(rows.map((r) => r[f])));
  const ref = targets.find((t) => t.key === 'realistic');
  const refBytes = ref ? med(results.get('realistic'), 'bytes') : undefined;
  const refCpu = ref ? med(results.get('realistic'), 'cpuUs') : undefined;
  const lines = [
    `/select, ${CONNECTIONS} connections, ${o.duration} s per target and round, ${o.rounds} interleaved rounds, medians; ${os.cpus().length} cores, Node ${process.version}`,
    '',
    '| target | req/s | p99 ms | bytes / request: server | consumer | CPU µs / request: server | consumer | GC µs / request | × realistic: bytes | CPU | load (1 min) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const t of targets) {
    const rows = results.get(t.key);
    const bytes = med(rows, 'bytes');
    const cpu = med(rows, 'cpuUs');
    const loads = rows.map((r) => r.load);
    lines.push(
      `| ${t.label} | ${fmt(med(rows, 'rps'))} | ${fmt(med(rows, 'p99'))} | ${fmt(bytes)} | ${fmt(med(rows, 'consumerBytes'))} | ${fmt(cpu, 1)} | ${fmt(med(rows, 'consumerCpuUs'), 1)} | ${fmt(med(rows, 'gcUs'), 1)} | ${refBytes ? fmt(bytes / refBytes, 2) + '×' : ''} | ${refCpu ? fmt(cpu / refCpu, 2) + '×' : ''} | ${fmt(Math.min(...loads), 1)}–${fmt(Math.max(...loads), 1)} |`,
    );
  }
  return lines;
}

module.exports = { run };

if (require.main === module) {
  run(parseArgs(process.argv.slice(2))).then(
    (r) => process.stdout.write(r.table.join('\n') + '\n'),
    (err) => {
      process.stderr.write(`${err.stack || err}\n`);
      process.exit(1);
    },
  );
}
