#!/usr/bin/env node
/**
 * /select against its realistic ceiling, side by side in one run, pinned and unpinned:
 *
 *   http       bare node:http, constant JSON (nothing is faster here; makes no Redis call)
 *   fastify    bare Fastify, constant JSON (the framework's own cost); with
 *              BANDIT_BENCH_OLD_FASTIFY=DIR also the Fastify build in DIR (e.g. 5.11.3)
 *   realistic  bare Fastify + ioredis doing exactly /select's work (parse, arm draw, the
 *              service's select script through its store code, reply):
 *              bench/lib/realistic-ceiling-server.js
 *   bandit     `bandit serve`, Redis store + Postgres events drained in-process; /select
 *              then /reward of each decision it served
 *   split      the same with `bandit serve --no-consumer` + `bandit consume`
 *   before     with BANDIT_BENCH_BEFORE=DIR: the build in DIR (dist/ + node_modules/,
 *              run with --preserve-symlinks; bench/lib/make-build.sh), same setup as
 *              `bandit` — the before/after; BANDIT_BENCH_ALSO=DIR one more (`also`), e.g.
 *              the current build on the old Fastify
 *   embedded   `bandit serve` on its embedded defaults (in-process store, SQLite)
 *
 * Every target is started once; each round runs every target in turn, first pinned (each
 * server and its consumer on CPU 0, the load generator on CPU 1; Redis and Postgres
 * unpinned) then unpinned; medians over rounds. Redis is a private redis-server started
 * here (so its CPU time is this benchmark's); Postgres is the machine's, and its CPU is
 * that of the target's own backends (pg_stat_activity of the target's database). CPU
 * seconds per 10k requests from /proc; the 1-minute load average beside every figure.
 *
 *   node bench/ceiling.bench.js [--quick] [--out FILE]     (BANDIT_BENCH_CEILING_ROUNDS: rounds, default 3)
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('pg');
const { freePort, startServer, waitUntil, postJson } = require('./lib/proc');
const { ceilingTarget, banditTarget } = require('./lib/targets');
const { load, warmUp } = require('./lib/load');
const { createDatabase, postgresReachable } = require('./lib/postgres');
const { snapshot, taskset } = require('./lib/cpu');
const { median } = require('./lib/report');
const { privateRedis } = require('./lib/redis');

const ROOT = path.resolve(__dirname, '..');
const ARMS = ['control', 'treatment-a', 'treatment-b'];
const CONNECTIONS = 64;

async function scriptTarget(key, label, script, args, env = {}) {
  const port = await freePort();
  const server = startServer(label, process.execPath, [path.join(__dirname, 'lib', script), String(port), ...args], { env, cwd: ROOT });
  const base = `http://127.0.0.1:${port}`;
  await waitUntil(server, async () => (await postJson(`${base}/select`, { experiment_id: 'bench-realistic' })).status === 200);
  return { key, label, base, pids: { server: server.child.pid }, selectBody: () => ({ experiment_id: 'bench-realistic' }), stop: () => server.stop() };
}

/** Backends of the target's own Postgres database (its pool), for their CPU time. */
async function backendPids(pg, t) {
  if (!t.databaseName) return [];
  const r = await pg.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [t.databaseName]);
  return r.rows.map((x) => x.pid);
}

async function run(ctx) {
  const duration = ctx.quick ? 2 : 5;
  const rounds = Number(process.env.BANDIT_BENCH_CEILING_ROUNDS) || (ctx.quick ? 1 : 3);
  const modes = ['pinned', 'unpinned'];
  const oldFastify = process.env.BANDIT_BENCH_OLD_FASTIFY;
  const before = process.env.BANDIT_BENCH_BEFORE;
  if (!(await postgresReachable())) throw new Error('Postgres is not reachable (BANDIT_BENCH_POSTGRES_URL)');
  const redis = await privateRedis();
  const admin = new Client({ connectionString: process.env.BANDIT_BENCH_POSTGRES_URL || process.env.POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test' });
  await admin.connect();
  const dbs = [];
  const targets = [];
  const pgTarget = async (o) => {
    const db = await createDatabase('bandit_bench_ceiling');
    dbs.push(db);
    const t = await banditTarget({ store: 'redis', databaseUrl: db.url, ...o });
    t.databaseName = db.name;
    return t;
  };
  const fastifyVersion = (dir) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  try {
    targets.push(Object.assign(await ceilingTarget(), { key: 'http', kind: 'constant' }));
    const newFastify = path.dirname(require.resolve('fastify/package.json'));
    targets.push({ ...(await scriptTarget('fastify', `bare Fastify ${fastifyVersion(newFastify)}, constant JSON`, 'fastify-constant-server.js', [])), kind: 'constant' });
    if (oldFastify) targets.push({ ...(await scriptTarget('fastify-old', `bare Fastify ${fastifyVersion(oldFastify)}, constant JSON`, 'fastify-constant-server.js', [], { FASTIFY_DIR: path.resolve(oldFastify) })), kind: 'constant' });
    targets.push({ ...(await scriptTarget('realistic', 'realistic ceiling: bare Fastify + ioredis + select.lua', 'realistic-ceiling-server.js', [redis.url(1), ctx.dist])), kind: 'constant' });
    targets.push({ ...(await pgTarget({ bin: ctx.bin, redisUrl: redis.url(2), key: 'bandit', label: 'bandit serve (Redis + Postgres, drain in-process)' })), kind: 'bandit' });
    targets.push({ ...(await pgTarget({ bin: ctx.bin, redisUrl: redis.url(3), key: 'split', label: 'bandit serve --no-consumer + bandit consume (Redis + Postgres)', serveArgs: ['--no-consumer'], consume: true })), kind: 'bandit' });
    // other builds (bench/lib/make-build.sh), set up as `bandit`
    const builds = [
      { key: 'before', dir: before, label: process.env.BANDIT_BENCH_BEFORE_LABEL },
      { key: 'also', dir: process.env.BANDIT_BENCH_ALSO, label: process.env.BANDIT_BENCH_ALSO_LABEL },
    ];
    for (const [i, b] of builds.entries()) {
      if (!b.dir) continue;
      const bin = path.join(path.resolve(b.dir), 'dist', 'main.js');
      targets.push({ ...(await pgTarget({ bin, nodeArgs: ['--preserve-symlinks'], redisUrl: redis.url(4 + i), key: b.key, label: `${b.key === 'before' ? 'before' : 'also'}: ${b.label || b.dir} (Redis + Postgres)` })), kind: 'bandit' });
    }
    targets.push({ ...(await banditTarget({ bin: ctx.bin, store: 'memory', key: 'embedded', label: 'bandit serve, embedded defaults (in-process store, SQLite)' })), kind: 'bandit' });
    for (const t of targets) {
      if (t.kind === 'bandit') await t.createExperiment('bench-ceiling', ARMS);
      t.body = t.kind === 'bandit' ? { experiment_id: 'bench-ceiling' } : t.selectBody();
      await warmUp({ url: `${t.base}/select`, body: t.body, connections: 16, duration: 2 });
    }

    const rows = [];
    const measure = async (t, endpoint, o) => {
      const pgPids = await backendPids(admin, t);
      const pids = [t.pids.server, t.pids.consumer].filter(Boolean);
      const s0 = { server: snapshot(pids), redis: snapshot([redis.pid]), postgres: snapshot(pgPids) };
      const load1 = os.loadavg()[0];
      const m = await load({ url: `${t.base}/${endpoint}`, connections: CONNECTIONS, duration, ...o });
      const s1 = { server: snapshot(pids), redis: snapshot([redis.pid]), postgres: snapshot(pgPids) };
      const per10k = (k) => (m.ok > 0 ? (s1[k].since(s0[k]) / m.ok) * 10000 : NaN);
      return { target: t.key, endpoint, rps: m.rps, p50: m.p50, p99: m.p99, ok: m.ok, failed: m.non2xx + m.errors + m.timeouts, cpu: { server: per10k('server'), redis: per10k('redis'), postgres: per10k('postgres') }, load1 };
    };
    for (let round = 1; round <= rounds; round++) {
      for (const mode of modes) {
        const pinned = mode === 'pinned';
        taskset(pinned ? '1' : '0,1', process.pid);
        for (const t of targets) for (const pid of [t.pids.server, t.pids.consumer].filter(Boolean)) taskset(pinned ? '0' : '0,1', pid);
        for (const t of targets) {
          const kept = [];
          const sel = await measure(t, 'select', {
            body: t.body,
            onResponse: (status, body) => {
              if (t.kind === 'bandit' && status === 200 && kept.length < 400000) kept.push(body);
            },
          });
          rows.push({ round, mode, ...sel });
          ctx.log(`round ${round} ${mode} ${t.key} /select: ${sel.rps.toFixed(0)} req/s p50 ${sel.p50} p99 ${sel.p99} ms, CPU s/10k server ${sel.cpu.server.toFixed(2)} redis ${sel.cpu.redis.toFixed(2)} pg ${sel.cpu.postgres.toFixed(2)}, load ${sel.load1.toFixed(1)}`);
          if (t.kind !== 'bandit' || kept.length === 0) continue;
          const ids = kept.map((b) => JSON.parse(b).decision_id);
          let i = 0;
          const rew = await measure(t, 'reward', {
            amount: ids.length,
            setupRequest: (req) => ({ ...req, body: JSON.stringify({ decision_id: ids[i++ % ids.length], reward: i % 20 === 0 ? 1 : 0 }) }),
          });
          rows.push({ round, mode, ...rew });
          ctx.log(`round ${round} ${mode} ${t.key} /reward: ${rew.rps.toFixed(0)} req/s p50 ${rew.p50} p99 ${rew.p99} ms, CPU s/10k server ${rew.cpu.server.toFixed(2)} redis ${rew.cpu.redis.toFixed(2)} pg ${rew.cpu.postgres.toFixed(2)}, load ${rew.load1.toFixed(1)}`);
        }
      }
    }
    taskset('0,1', process.pid);
    return { settings: { connections: CONNECTIONS, durationSeconds: duration, rounds, modes, arms: ARMS.length, before: before ? process.env.BANDIT_BENCH_BEFORE_LABEL || before : null }, targets: targets.map((t) => ({ key: t.key, label: t.label, kind: t.kind })), rows, summary: summarize(rows) };
  } finally {
    for (const t of targets) await t.stop().catch(() => undefined);
    await redis.stop();
    for (const db of dbs) await db.drop().catch(() => undefined);
    await admin.end().catch(() => undefined);
  }
}

/** Medians over rounds per mode, target and endpoint; the ratios the goals are stated in. */
function summarize(rows) {
  const groups = new Map();
  for (const r of rows) {
    const k = `${r.mode}|${r.target}|${r.endpoint}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(r);
  }
  const cells = {};
  for (const [k, rs] of groups) {
    const [mode, target, endpoint] = k.split('|');
    const med = (f) => median(rs.map(f));
    ((cells[mode] ??= {})[target] ??= {})[endpoint] = {
      rps: med((r) => r.rps),
      p50: med((r) => r.p50),
      p99: med((r) => r.p99),
      failed: rs.reduce((n, r) => n + r.failed, 0),
      cpu: { server: med((r) => r.cpu.server), redis: med((r) => r.cpu.redis), postgres: med((r) => r.cpu.postgres) },
      load1: [Math.min(...rs.map((r) => r.load1)), Math.max(...rs.map((r) => r.load1))],
      rounds: rs.length,
    };
  }
  const ratios = {};
  for (const mode of Object.keys(cells)) {
    const c = cells[mode];
    const sel = (t) => c[t]?.select;
    const q = (a, b, f) => (a && b ? f(a) / f(b) : undefined);
    ratios[mode] = {
      selectVsRealisticRps: q(sel('bandit'), sel('realistic'), (x) => x.rps),
      selectVsRealisticP99: q(sel('bandit'), sel('realistic'), (x) => x.p99),
      selectVsHttpRps: q(sel('bandit'), sel('http'), (x) => x.rps),
      realisticVsHttpRps: q(sel('realistic'), sel('http'), (x) => x.rps),
      fastifyVsHttpRps: q(sel('fastify'), sel('http'), (x) => x.rps),
      fastifyOldVsHttpRps: q(sel('fastify-old'), sel('http'), (x) => x.rps),
      splitVsRealisticRps: q(sel('split'), sel('realistic'), (x) => x.rps),
      afterVsBeforeSelectRps: q(sel('bandit'), sel('before'), (x) => x.rps),
      afterVsBeforeRewardRps: q(c.bandit?.reward, c.before?.reward, (x) => x.rps),
      afterVsBeforeSelectCpu: q(sel('bandit'), sel('before'), (x) => x.cpu.server),
      afterVsAlsoSelectRps: q(sel('bandit'), sel('also'), (x) => x.rps),
      afterVsAlsoSelectCpu: q(sel('bandit'), sel('also'), (x) => x.cpu.server),
    };
  }
  return { cells, ratios };
}

module.exports = { run };

if (require.main === module) {
  const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : undefined;
  const dist = path.resolve(ROOT, process.env.BANDIT_DIST || 'dist');
  const ctx = { root: ROOT, dist, bin: path.join(dist, 'main.js'), quick: process.argv.includes('--quick'), log: (s) => process.stderr.write(`${s}\n`) };
  run(ctx).then(
    (r) => {
      const text = `${JSON.stringify(r, null, 2)}\n`;
      if (out) fs.writeFileSync(out, text);
      else process.stdout.write(text);
    },
    (err) => {
      process.stderr.write(`ceiling.bench: ${err.stack || err}\n`);
      process.exit(1);
    },
  );
}
