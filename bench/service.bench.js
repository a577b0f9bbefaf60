#!/usr/bin/env node
/**
 * bandit-service /select and /reward against this machine's ceiling, side by side in one
 * run: a bare node:http server answering every POST with a constant JSON of /select's
 * size (nothing real can be faster here), and `bandit serve` on Redis (loopback) with
 * events in Postgres (SQLite when Postgres is not reachable). autocannon, keep-alive,
 * 64 connections by default. Targets run in turn within each round (interleaved, so the
 * drift of a shared machine hits all alike); the median round is reported. A third
 * target, Nest on the Fastify adapter answering the same constant JSON, separates the
 * framework's own cost from the service's work.
 *
 * /reward: each round first runs /select for the set duration keeping the decision ids,
 * then rewards each of them once (a fresh decision per request, never a retry).
 *
 *   node bench/service.bench.js [--duration 8] [--connections 64] [--rounds 3] [--out FILE]
 *
 * Needs the built CLI (BANDIT_BIN, default dist/main.js) and Redis at
 * BANDIT_BENCH_REDIS_URL (default redis://127.0.0.1:6379/13, flushed).
 */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort } = require('./lib/proc');
const { load } = require('./lib/load');

const ROOT = path.resolve(__dirname, '..');
const BIN = process.env.BANDIT_BIN || path.join(ROOT, 'dist', 'main.js');
const REDIS_URL = process.env.BANDIT_BENCH_REDIS_URL || 'redis://127.0.0.1:6379/13';
const PG_URL = process.env.BANDIT_BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
const ARMS = ['control', 'treatment-a', 'treatment-b'];
const EXPERIMENT = 'bench';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const DURATION = Number(arg('duration', '8'));
const CONNECTIONS = Number(arg('connections', '64'));
const ROUNDS = Number(arg('rounds', '3'));
const OUT = arg('out', undefined);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// the same constant reply from Nest on the Fastify adapter: the framework's own cost, no state
const NEST_SRC = `
require('reflect-metadata');
const { Controller, Post, HttpCode, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { FastifyAdapter } = require('@nestjs/platform-fastify');
const BODY = { decision_id: 'bench.1.AAAAAAAAAAAAAAAAAAAAAA', experiment_id: 'bench', arm: 'treatment-a', arm_index: 1, propensity: 0.3333333333333333 };
class C { select() { return BODY; } }
Reflect.decorate([Post('select'), HttpCode(200)], C.prototype, 'select', Object.getOwnPropertyDescriptor(C.prototype, 'select'));
const Ctl = Reflect.decorate([Controller()], C);
class M {}
const Mod = Reflect.decorate([Module({ controllers: [Ctl] })], M);
NestFactory.create(Mod, new FastifyAdapter(), { logger: false }).then((app) => app.listen(Number(process.argv[1]), '127.0.0.1'));
process.on('SIGTERM', () => process.exit(0));
`;

function start(label, args, env) {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  child.on('exit', (code, signal) => {
    if (!child.stopping) process.stderr.write(`${label} exited (${code ?? signal}):\n${log.slice(-2000)}\n`);
  });
  return {
    child,
    log: () => log,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.stopping = true;
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 15000).unref();
      }),
  };
}

async function waitHttp(url, init, ms = 30000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(url, init);
      if (r.status < 500) return r;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${ms} ms`);
    await sleep(200);
  }
}

async function redisFlush(url) {
  const Redis = require('ioredis');
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  await r.flushdb();
  r.disconnect();
}

async function postgresDb() {
  const { Client } = require('pg');
  const admin = new Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch {
    return undefined;
  }
  const name = `bandit_bench_${process.pid}`;
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

// autocannon, bounded (bench/lib/load.js): req/s over the time to the last response
function run(o) {
  return load({ ...o, connections: CONNECTIONS, duration: DURATION });
}

function metrics(m) {
  return { rps: m.rps, p50: m.p50, p99: m.p99, non2xx: m.non2xx, errors: m.errors + m.timeouts, requests: m.ok };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  if (!fs.existsSync(BIN)) throw new Error(`no built CLI at ${BIN} (npm run build, or set BANDIT_BIN)`);
  await redisFlush(REDIS_URL);
  const pg = await postgresDb();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-bench-'));
  const ceilingPort = await freePort();
  const servicePort = await freePort();
  const nestPort = await freePort();
  const ceiling = start('ceiling', [path.join(__dirname, 'lib', 'ceiling-server.js'), String(ceilingPort)], {});
  const nest = start('nest constant', ['-e', NEST_SRC, String(nestPort)], {});
  const service = start('bandit serve', [BIN, 'serve', '--port', String(servicePort), '--host', '127.0.0.1'], {
    NODE_ENV: 'production',
    BANDIT_ADMIN_TOKEN: 'bench-admin-token-0123456789',
    BANDIT_REDIS_URL: REDIS_URL,
    BANDIT_DATABASE_URL: pg ? pg.url : '',
    BANDIT_DATA_DIR: dataDir,
    BANDIT_LOG_LEVEL: 'warn',
    BANDIT_SNAPSHOT_INTERVAL_SECONDS: '60',
  });
  const sBase = `http://127.0.0.1:${servicePort}`;
  const cBase = `http://127.0.0.1:${ceilingPort}`;
  const nBase = `http://127.0.0.1:${nestPort}`;
  try {
    await waitHttp(`${cBase}/select`, { method: 'POST', body: '{}' });
    await waitHttp(`${sBase}/healthz`);
    await waitHttp(`${nBase}/select`, { method: 'POST', body: '{}' });
    const created = await fetch(`${sBase}/experiments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer bench-admin-token-0123456789' },
      body: JSON.stringify({ id: EXPERIMENT, arms: ARMS, stopping: { minSamplesPerArm: 1e9 } }),
    });
    if (created.status !== 201) throw new Error(`creating the experiment: ${created.status} ${await created.text()}`);
    const selectBody = { experiment_id: EXPERIMENT };
    process.stderr.write('warming up\n');
    await run({ url: `${cBase}/select`, body: selectBody, amount: 5000 });
    await run({ url: `${sBase}/select`, body: selectBody, amount: 5000 });
    await run({ url: `${nBase}/select`, body: selectBody, amount: 5000 });

    const rounds = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const c = metrics(await run({ url: `${cBase}/select`, body: selectBody }));
      const n = metrics(await run({ url: `${nBase}/select`, body: selectBody }));
      const kept = [];
      const s = metrics(
        await run({
          url: `${sBase}/select`,
          body: selectBody,
          onResponse: (status, body) => {
            if (status === 200 && kept.length < 1e6) kept.push(JSON.parse(body).decision_id);
          },
        }),
      );
      let i = 0;
      const rw = metrics(
        await run({
          url: `${sBase}/reward`,
          amount: kept.length,
          setupRequest: (req) => ({ ...req, body: JSON.stringify({ decision_id: kept[i++ % kept.length], reward: i % 20 === 0 ? 1 : 0 }) }),
        }),
      );
      rounds.push({ ceiling: c, nest: n, select: s, reward: rw });
      const fmt = (m) => `${m.rps.toFixed(0)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms${m.non2xx + m.errors ? `, ${m.non2xx} non-2xx, ${m.errors} errors` : ''}`;
      process.stderr.write(`round ${round}: ceiling ${fmt(c)} | nest constant ${fmt(n)} | /select ${fmt(s)} | /reward ${fmt(rw)}\n`);
    }
    const pick = (k) => ({
      rps: median(rounds.map((r) => r[k].rps)),
      p50: median(rounds.map((r) => r[k].p50)),
      p99: median(rounds.map((r) => r[k].p99)),
      failed: rounds.reduce((n, r) => n + r[k].non2xx + r[k].errors, 0),
    });
    const result = {
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), load: os.loadavg().map((x) => x.toFixed(1)).join(' '), node: process.version },
      settings: { connections: CONNECTIONS, durationSeconds: DURATION, rounds: ROUNDS, arms: ARMS.length, events: pg ? 'postgres' : 'sqlite', store: 'redis (loopback)' },
      ceiling: pick('ceiling'),
      nestConstant: pick('nest'),
      select: pick('select'),
      reward: pick('reward'),
    };
    result.ratios = {
      selectRps: result.select.rps / result.ceiling.rps,
      selectP99: result.select.p99 / result.ceiling.p99,
      rewardRps: result.reward.rps / result.ceiling.rps,
      rewardP99: result.reward.p99 / result.ceiling.p99,
      nestConstantRps: result.nestConstant.rps / result.ceiling.rps,
      selectRpsVsNestConstant: result.select.rps / result.nestConstant.rps,
    };
    result.goal = { selectAtLeastHalfCeilingRps: result.ratios.selectRps >= 0.5, selectP99AtMostTwiceCeiling: result.ratios.selectP99 <= 2 };
    const out = JSON.stringify(result, null, 2);
    process.stdout.write(out + '\n');
    if (OUT) fs.writeFileSync(OUT, out + '\n');
  } finally {
    await service.stop();
    await ceiling.stop();
    await nest.stop();
    await pg?.drop().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`service.bench: ${err.stack || err}\n`);
  process.exit(1);
});
