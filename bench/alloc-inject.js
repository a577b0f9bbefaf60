#!/usr/bin/env node
/**
 * Bytes allocated and CPU time per /select in-process: the service built by createApp and
 * driven with Fastify's inject (no sockets, no load generator in the measurement; inject's
 * own request and response objects are counted, so the figures are above the HTTP ones of
 * bench/alloc.bench.js and compare builds, not servers). Each build and setup runs in a
 * child process of its own, the children of one round in turn (interleaved); medians.
 *
 *   node bench/alloc-inject.js [--rounds N] [--requests N] [--setups memory,redis] [--build NAME=DIR]…
 *
 *   memory  the in-process store and SQLite (a temporary file)
 *   redis   a private redis-server and a fresh Postgres database, the event drain in-process
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { allocationMeter } = require('./lib/alloc-probe');
const { median } = require('./lib/report');

const ROOT = path.resolve(__dirname, '..');
const CONCURRENCY = 64;

async function child(dist, setup, requests) {
  const { createApp } = require(path.join(dist, 'app', 'create-app.js'));
  const { loadConfig } = require(path.join(dist, 'config', 'config.js'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-inject-'));
  const env = { BANDIT_DATA_DIR: dataDir, BANDIT_LOG_LEVEL: 'error', NODE_ENV: 'development' };
  if (setup === 'redis') Object.assign(env, { BANDIT_REDIS_URL: process.env.ALLOC_REDIS_URL, BANDIT_DATABASE_URL: process.env.ALLOC_DATABASE_URL });
  const app = await createApp(loadConfig(env, ROOT));
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.ready();
  const post = (url, payload) => fastify.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json' } });
  const created = await post('/experiments', { id: 'bench-inject', arms: ['control', 'treatment-a', 'treatment-b'], stopping: { minSamplesPerArm: 1e9 } });
  if (created.statusCode !== 201) throw new Error(`creating the experiment: ${created.statusCode} ${created.body}`);
  const body = JSON.stringify({ experiment_id: 'bench-inject' });
  const run = async (n) => {
    let next = 0;
    let failed = 0;
    const worker = async () => {
      while (next++ < n) if ((await post('/select', body)).statusCode !== 200) failed++;
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    if (failed > 0) throw new Error(`${failed} /select requests failed`);
  };
  await run(Math.min(requests, 5000));
  const meter = allocationMeter();
  const a = meter();
  const t0 = process.hrtime.bigint();
  await run(requests);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const b = meter();
  await app.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ bytes: (b.allocated - a.allocated) / requests, cpuUs: ((b.cpuUser + b.cpuSystem - a.cpuUser - a.cpuSystem) / requests) * 1e6, gcUs: ((b.gcMs - a.gcMs) / requests) * 1e3, rps: requests / seconds }) + '\n');
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') return child(argv[1], argv[2], Number(argv[3]));
  const o = { rounds: 3, requests: 20000, setups: ['memory', 'redis'], builds: [{ name: 'this build', dir: ROOT }] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a === '--rounds') o.rounds = Number(v);
    else if (a === '--requests') o.requests = Number(v);
    else if (a === '--setups') o.setups = v.split(',');
    else if (a === '--build') {
      const [name, dir] = v.split('=');
      if (!name || !dir) throw new Error('--build takes NAME=DIR');
      o.builds.push({ name, dir: path.resolve(dir) });
    } else throw new Error(`unknown option ${a}`);
  }
  for (const s of o.setups) if (!['memory', 'redis'].includes(s)) throw new Error(`unknown setup ${s} (memory, redis)`);
  const { privateRedis } = require('./lib/redis');
  const { createDatabase } = require('./lib/postgres');
  const redis = o.setups.includes('redis') ? await privateRedis() : undefined;
  const dbs = [];
  const results = new Map();
  try {
    let db = 1;
    for (let round = 0; round < o.rounds; round++) {
      for (const b of o.builds) {
        for (const setup of o.setups) {
          const env = { ...process.env };
          if (setup === 'redis') {
            const pg = await createDatabase('bandit_bench_inject');
            dbs.push(pg);
            env.ALLOC_REDIS_URL = redis.url(db++ % 16);
            env.ALLOC_DATABASE_URL = pg.url;
          }
          const nodeArgs = b.dir === ROOT ? [] : ['--preserve-symlinks'];
          const out = execFileSync(process.execPath, [...nodeArgs, __filename, '--child', path.join(b.dir, 'dist'), setup, String(o.requests)], { env, cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
          const r = { ...JSON.parse(out.trim().split('\n').pop()), load: os.loadavg()[0] };
          const key = `${b.name}: ${setup}`;
          if (!results.has(key)) results.set(key, []);
          results.get(key).push(r);
          process.stderr.write(`round ${round + 1}: ${key}: ${Math.round(r.bytes)} B/req, ${r.cpuUs.toFixed(1)} µs CPU/req\n`);
        }
      }
    }
  } finally {
    await redis?.stop();
    for (const d of dbs) await d.drop().catch(() => undefined);
  }
  const fmt = (x, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const lines = [
    `/select in-process (inject), ${CONCURRENCY} in flight, ${o.requests} requests per run, ${o.rounds} interleaved rounds, medians`,
    '',
    '| build: setup | requests/s | bytes / request | CPU µs / request | GC µs / request | load (1 min) |',
    '|---|---:|---:|---:|---:|---|',
  ];
  for (const [key, rows] of results) {
    const m = (f) => median(rows.map((r) => r[f]));
    lines.push(`| ${key} | ${fmt(m('rps'))} | ${fmt(m('bytes'))} | ${fmt(m('cpuUs'), 1)} | ${fmt(m('gcUs'), 1)} | ${fmt(Math.min(...rows.map((r) => r.load)), 1)}–${fmt(Math.max(...rows.map((r) => r.load)), 1)} |`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
