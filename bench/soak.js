#!/usr/bin/env node
/**
 * Soak under faults: two `bandit serve` replicas on one private redis-server and the
 * machine's Postgres (reached through a TCP proxy the soak can cut), steady select +
 * reward traffic split across both, and a fault every `--every` seconds, in turn:
 *
 *   postgres   the proxy refuses and drops every connection for 30 s
 *   sigkill    one replica is SIGKILLed and started again
 *   sigterm    one replica is stopped with SIGTERM and started again
 *   redis      redis-server is SIGKILLed and restarted empty (memory lost)
 *
 * At the end the load stops, every queued event is moved, and the run is accounted for:
 * requests by answer, 5xx outside fault windows, acknowledged rewards missing from
 * bandit_events (split into those acknowledged within one flush interval before a Redis
 * memory loss, which a memory-only Redis cannot keep, and the rest, which must be 0),
 * events stored twice (must be 0), live α / β against the stored events (must be equal).
 *
 *   node bench/soak.js [--minutes 10] [--every 45] [--workers 8] [--hostile 0.01] [--poison-every 20]
 *
 * `--hostile`: that share of requests is hostile (a unit id with NUL or 300 characters,
 * a JSON-looking form body, an unknown experiment, a forged decision, a reward out of
 * range, an oversized body); each must answer 4xx. Every `--poison-every` seconds a row
 * the event store refuses is written straight into the stream (as an older writer
 * would): it must end in bandit_dead_letters, and no stream may be left with entries.
 *
 * BANDIT_DIST names the build (default dist). Prints a JSON summary and writes it to
 * bench/results/soak.json. Loopback only; everything started is stopped.
 */
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { Client } = require('pg');
const { sleep, freePort, startServer, waitUntil, postJson } = require('./lib/proc');
const { POSTGRES_URL, createDatabase } = require('./lib/postgres');
const { describeMachine } = require('./lib/machine');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.resolve(ROOT, process.env.BANDIT_DIST || 'dist');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const MINUTES = opt('minutes', 10);
const EVERY_S = opt('every', 45);
const WORKERS = opt('workers', 8);
/** Share of requests that are hostile (bad ids, form bodies, forged decisions, …). */
const HOSTILE = opt('hostile', 0.01);
/** A row the event store refuses, written straight into the stream, every this many seconds. */
const POISON_EVERY_S = opt('poison-every', 20);
const FLUSH_MS = 200;
const TOKEN = 'soak-admin-token-0123456789';

/** A TCP proxy that can refuse and drop every connection. */
async function proxyTo(host, port) {
  const open = new Set();
  let down = false;
  const server = net.createServer((c) => {
    if (down) return c.destroy();
    const u = net.connect(port, host);
    const end = () => {
      c.destroy();
      u.destroy();
      open.delete(c);
      open.delete(u);
    };
    for (const s of [c, u]) {
      open.add(s);
      s.on('error', end);
      s.on('close', end);
    }
    c.pipe(u);
    u.pipe(c);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    cut() {
      down = true;
      for (const s of open) s.destroy();
    },
    restore() {
      down = false;
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

async function redisServer(port) {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((res) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        res(true);
      });
      s.on('error', () => res(false));
    });
    if (ok) return child;
    await sleep(50);
  }
  throw new Error('redis-server did not start');
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-soak-'));
  const db = await createDatabase('bandit_soak');
  const pg = new URL(POSTGRES_URL);
  const proxy = await proxyTo(pg.hostname, Number(pg.port || 5432));
  const dbViaProxy = new URL(db.url);
  dbViaProxy.hostname = '127.0.0.1';
  dbViaProxy.port = String(proxy.port);
  const redisPort = await freePort();
  let redis = await redisServer(redisPort);
  const env = {
    BANDIT_REDIS_URL: `redis://127.0.0.1:${redisPort}/0`,
    BANDIT_DATABASE_URL: dbViaProxy.toString(),
    BANDIT_ADMIN_TOKEN: TOKEN,
    BANDIT_DATA_DIR: dataDir,
    BANDIT_EVENT_FLUSH_MS: String(FLUSH_MS),
    BANDIT_SNAPSHOT_INTERVAL_SECONDS: '30',
    BANDIT_LOG_LEVEL: 'warn',
  };
  const replicas = [];
  const start = async (i) => {
    const port = await freePort();
    const s = startServer(`replica-${i}`, process.execPath, [path.join(DIST, 'main.js'), 'serve', '--port', String(port), '--host', '127.0.0.1'], { env });
    s.url = `http://127.0.0.1:${port}`;
    await waitUntil(s, async () => (await fetch(`${s.url}/healthz`)).ok);
    replicas[i] = s;
  };
  await start(0);
  await start(1);
  const id = 'soak';
  const created = await postJson(`${replicas[0].url}/experiments`, { id, arms: ['control', 'a', 'b'], stopping: { minSamplesPerArm: 1e9 } }, { authorization: `Bearer ${TOKEN}` });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);

  const t0 = Date.now();
  const now = () => Date.now() - t0;
  const windows = []; // [from, to, kind]
  const redisLosses = [];
  const acked = new Map(); // decision id -> { reward, at }
  const counts = {};
  const fivexx = [];
  let running = true;
  const tally = (k) => (counts[k] = (counts[k] || 0) + 1);
  const req = async (url, p, body) => {
    const a = now();
    try {
      const r = await postJson(url + p, body);
      tally(`${p} ${r.status}`);
      if (r.status >= 500) fivexx.push([a, now(), p, r.status]);
      return r;
    } catch (err) {
      tally(`${p} ${err?.cause?.code || err.name}`);
      return { status: 0 };
    }
  };
  const worker = async (w) => {
    for (let round = 0; running; round++) {
      const a = replicas[(round + w) % 2];
      const b = replicas[(round + w + 1) % 2];
      if (Math.random() < HOSTILE) {
        await hostileReq(a.url);
        continue;
      }
      const s = await req(a.url, '/select', { experiment_id: id });
      if (s.status !== 200) {
        await sleep(50);
        continue;
      }
      const reward = Math.random() < 0.1 + 0.1 * s.body.arm_index ? 1 : 0;
      const r = await req(b.url, '/reward', { decision_id: s.body.decision_id, reward });
      if (r.status === 200 && r.body.duplicate === false) acked.set(s.body.decision_id, { reward, at: now() });
    }
  };
  const hostileCounts = {};
  const hostile = [
    ['unit NUL', (u) => postJson(u + '/select', { experiment_id: id, unit_id: 'u\u0000x' })],
    ['unit 300', (u) => postJson(u + '/select', { experiment_id: id, unit_id: 'x'.repeat(300) })],
    ['form body', (u) => fetch(u + '/select', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: JSON.stringify({ experiment_id: id }) }).then(async (r) => ({ status: r.status, body: await r.text() }))],
    ['unknown experiment', (u) => postJson(u + '/select', { experiment_id: `ghost-${Math.floor(Math.random() * 1e6)}` })],
    ['forged decision', (u) => postJson(u + '/reward', { decision_id: `${id}.0.AAAAAAAAAAAAAAAAAAAAAA`, reward: 1 })],
    ['reward out of range', (u) => postJson(u + '/reward', { decision_id: `${id}.0.AAAAAAAAAAAAAAAAAAAAAA`, reward: 7 })],
    ['oversized body', (u) => postJson(u + '/select', { experiment_id: id, unit_id: 'y'.repeat(100_000) })],
    ['arm named __proto__', (u) => postJson(u + '/experiments', JSON.parse('{"id":"h","arms":["a","b"],"floors":{"__proto__":1}}'), { authorization: `Bearer ${TOKEN}` })],
  ];
  const hostileReq = async (url) => {
    const [name, send] = hostile[Math.floor(Math.random() * hostile.length)];
    const a = now();
    let status = 0;
    try {
      status = (await send(url)).status;
    } catch (err) {
      status = 0;
    }
    const k = `${name} ${status}`;
    hostileCounts[k] = (hostileCounts[k] || 0) + 1;
    if (status >= 500) fivexx.push([a, now(), `hostile ${name}`, status]);
  };
  const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
  // rows the event store refuses, straight into the stream (the edge refuses them now)
  const Redis = require('ioredis');
  const raw = new Redis(`redis://127.0.0.1:${redisPort}/0`, { maxRetriesPerRequest: 1, lazyConnect: false });
  raw.on('error', () => undefined);
  let poisoned = 0;
  const poisoner = (async () => {
    for (let i = 0; running; i++) {
      await sleep(POISON_EVERY_S * 1000);
      if (!running) break;
      const unit = i % 2 ? 'nul\u0000unit' : 'z'.repeat(300);
      const ok = await raw
        .xadd(`experiment:{${id}}:events`, '*', 't', 's', 'd', `${id}.0.poison${String(i).padStart(16, '0')}`, 'a', '0', 'p', '0.5', 'u', unit, 'ts', String(Date.now()))
        .then(() => true, () => false);
      if (ok) poisoned++;
    }
  })();

  const faults = ['postgres', 'sigkill', 'sigterm', 'redis'];
  const done = [];
  for (let f = 0; now() < MINUTES * 60_000 - EVERY_S * 1000; f++) {
    await sleep(EVERY_S * 1000);
    const kind = faults[f % faults.length];
    const from = now();
    if (kind === 'postgres') {
      proxy.cut();
      await sleep(30_000);
      proxy.restore();
    } else if (kind === 'sigkill' || kind === 'sigterm') {
      const i = f % 2;
      const victim = replicas[i];
      victim.child.kill(kind === 'sigkill' ? 'SIGKILL' : 'SIGTERM');
      await new Promise((r) => (victim.child.exitCode !== null || victim.child.signalCode !== null ? r() : victim.child.once('exit', r)));
      await start(i);
    } else {
      redis.kill('SIGKILL');
      await new Promise((r) => redis.once('exit', r));
      // what Redis acknowledged until it was gone is lost with its memory (not yet moved)
      redisLosses.push(now());
      await sleep(1000);
      redis = await redisServer(redisPort);
    }
    // the window closes when both replicas answer /readyz again
    for (const r of replicas) await waitUntil(r, async () => (await fetch(`${r.url}/readyz`)).ok, 120_000);
    windows.push([from, now(), kind]);
    done.push(kind);
    process.stderr.write(`soak: ${(now() / 1000).toFixed(0)} s, ${kind} survived (${(windows.at(-1)[1] - from) / 1000} s window)\n`);
  }
  running = false;
  await Promise.all(workers);
  await poisoner;

  // let the consumers move everything (a killed replica's entries are taken over after 30 s idle)
  const client = new Client({ connectionString: db.url });
  await client.connect();
  const stored = async () => (await client.query('select decision_id, event_type, arm_index, reward from bandit_events where experiment_id = $1', [id])).rows;
  let rows = await stored();
  for (let i = 0; i < 60; i++) {
    await sleep(2000);
    const next = await stored();
    if (next.length === rows.length && i > 20) break;
    rows = next;
  }
  rows = await stored();
  const deadLetters = Number((await client.query('select count(*) as n from bandit_dead_letters where experiment_id = $1', [id])).rows[0].n);
  const streamLength = await raw.xlen(`experiment:{${id}}:events`).catch(() => -1);
  raw.disconnect();
  const live = (await (await fetch(`${replicas[0].url}/experiments/${id}`)).json()).arms.map((a) => ({ alpha: a.alpha, beta: a.beta, pulls: a.assignments }));
  const fromEvents = [0, 1, 2].map((k) => {
    const mine = rows.filter((r) => r.arm_index === k);
    const sum = mine.filter((r) => r.event_type === 'reward').reduce((s, r) => s + Number(r.reward), 0);
    const n = mine.filter((r) => r.event_type === 'reward').length;
    return { alpha: 1 + sum, beta: 1 + n - sum, pulls: mine.filter((r) => r.event_type === 'select').length };
  });
  const seen = new Map();
  for (const r of rows) seen.set(`${r.decision_id}/${r.event_type}`, (seen.get(`${r.decision_id}/${r.event_type}`) || 0) + 1);
  const storedRewards = new Set(rows.filter((r) => r.event_type === 'reward').map((r) => r.decision_id));
  const missing = [...acked].filter(([d]) => !storedRewards.has(d));
  const nearLoss = missing.filter(([, v]) => redisLosses.some((t) => v.at <= t && v.at > t - 5 * FLUSH_MS - 1000));
  const inWindow = (a, b) => windows.some(([from, to]) => b >= from && a <= to + 2000);
  const summary = {
    measured: new Date().toISOString(),
    machine: describeMachine(),
    minutes: MINUTES,
    faults: done,
    requests: counts,
    fiveXXOutsideFaults: fivexx.filter(([a, b]) => !inWindow(a, b)).length,
    fiveXXInsideFaults: fivexx.filter(([a, b]) => inWindow(a, b)).length,
    acknowledgedRewards: acked.size,
    storedEvents: rows.length,
    doubledEvents: [...seen.values()].filter((n) => n > 1).length,
    lostAcknowledgedRewards: missing.length - nearLoss.length,
    lostWithRedisMemory: nearLoss.length,
    // when each missing reward was acknowledged, against the fault closest to it
    missing: missing.map(([d, v]) => {
      const near = windows.map(([from, , kind]) => ({ kind, msBeforeFault: from - v.at })).sort((x, y) => Math.abs(x.msBeforeFault) - Math.abs(y.msBeforeFault))[0];
      return { decision: d, ackedAtMs: v.at, ...near };
    }),
    hostileShare: HOSTILE,
    hostile: hostileCounts,
    poisonedRowsWritten: poisoned,
    deadLetters,
    streamEntriesLeft: streamLength,
    liveEqualsEvents: JSON.stringify(live) === JSON.stringify(fromEvents),
    live,
    fromEvents,
  };
  await client.end();
  for (const r of replicas) await r.stop();
  redis.kill('SIGKILL');
  await proxy.close();
  await db.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'soak.json'), JSON.stringify(summary, null, 2));
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  const ok =
    summary.fiveXXOutsideFaults === 0 && summary.doubledEvents === 0 && summary.lostAcknowledgedRewards === 0 && summary.liveEqualsEvents && summary.streamEntriesLeft === 0 && deadLetters <= poisoned;
  process.exitCode = ok ? 0 : 1;
}

main().catch((err) => {
  process.stderr.write(`soak failed: ${err.stack || err}\n`);
  process.exit(1);
});
