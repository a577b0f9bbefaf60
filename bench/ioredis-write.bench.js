#!/usr/bin/env node
/**
 * Can ioredis's write path allocate less per /select? The service's select script called
 * four ways, 64 calls in flight with auto-pipelining (as the service runs it), against a
 * private redis-server; each variant in a fresh Node process with a fixed young
 * generation (8 MiB semi-spaces), so scavenges × 8 MiB ÷ calls estimates the bytes
 * allocated per call:
 *
 *   store      DragonflyPosteriorStore#recordSelection (what the service does: keys built
 *              per call, the defined command `banditSelect`, the reply parsed)
 *   command    client.banditSelect(...) with the same arguments, keys built per call
 *   prebuilt   client.banditSelect(...) with the experiment's key strings built once
 *   evalsha    client.evalsha(sha, ...) with prebuilt keys (no script wrapper; the
 *              script loaded beforehand)
 *
 * CPU seconds per 10k calls of the client process; calls per second; scavenges and GC
 * time per 10k calls. Interleaved rounds, medians.
 *
 *   node bench/ioredis-write.bench.js [--quick] [--out FILE]
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { privateRedis } = require('./lib/redis');
const { median } = require('./lib/report');

const ROOT = path.resolve(__dirname, '..');
const VARIANTS = ['store', 'command', 'prebuilt', 'evalsha'];
const SEMI_MIB = 8;

/** One variant in this process (the child side). */
async function child(variant, url, calls, dist) {
  const { performance, PerformanceObserver } = require('node:perf_hooks');
  const { DragonflyPosteriorStore } = require(path.join(dist, 'posterior-store', 'dragonfly.store.js'));
  const { connectRedis } = require(path.join(dist, 'posterior-store', 'redis-client.js'));
  const { priorCounters } = require(path.join(dist, 'posterior-store', 'posterior-store.js'));
  const { keys } = require(path.join(dist, 'posterior-store', 'keys.js'));
  const { luaScript } = require(path.join(dist, 'posterior-store', 'lua-scripts.js'));
  const { newDecisionId } = require(path.join(dist, 'posterior-store', 'decision-id.js'));
  const u = new URL(url);
  const client = connectRedis({ url, host: u.hostname, port: Number(u.port), db: 0 });
  const store = new DragonflyPosteriorStore(client);
  const id = `bench-w-${variant}`;
  await store.writeState(id, priorCounters([{ alpha: 1, beta: 1 }, { alpha: 1, beta: 1 }, { alpha: 1, beta: 1 }]), { status: 'running', winner: null }, 'overwrite');
  const sha = await client.script('LOAD', luaScript('select'));
  const k = { state: keys.state(id), events: keys.events(id), units: keys.units(id), pulls: [0, 1, 2].map((a) => keys.pulls(id, a)) };
  const call = {
    store: (arm, d) => store.recordSelection({ experimentId: id, decisionId: d.decisionId, token: d.token, arm, propensity: 1 / 3, unitId: undefined, sticky: false, ttlSeconds: 600, at: Date.now(), expectedStatus: 'running' }),
    command: (arm, d) => client.banditSelect(5, keys.state(id), keys.decision(id, d.token), keys.pulls(id, arm), keys.events(id), keys.units(id), arm, String(1 / 3), 600, d.decisionId, '', Date.now(), '0', 'running'),
    prebuilt: (arm, d) => client.banditSelect(5, k.state, keys.decision(id, d.token), k.pulls[arm], k.events, k.units, arm, String(1 / 3), 600, d.decisionId, '', Date.now(), '0', 'running'),
    evalsha: (arm, d) => client.evalsha(sha, 5, k.state, keys.decision(id, d.token), k.pulls[arm], k.events, k.units, arm, String(1 / 3), 600, d.decisionId, '', Date.now(), '0', 'running'),
  }[variant];
  let scavenges = 0;
  let gcMs = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      if ((e.detail?.kind ?? e.kind) === 1) scavenges++;
    }
  });
  const runCalls = async (n) => {
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const arm = next++ % 3;
        await call(arm, newDecisionId(id, arm));
      }
    };
    await Promise.all(Array.from({ length: 64 }, worker));
  };
  await runCalls(Math.min(20000, calls)); // warm
  await client.del(k.events);
  obs.observe({ entryTypes: ['gc'] });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await runCalls(calls);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  await client.del(k.events);
  client.disconnect();
  const per10k = (x) => (x / calls) * 1e4;
  return { variant, calls, callsPerSecond: calls / wall, cpuPer10k: per10k((cpu.user + cpu.system) / 1e6), scavengesPer10k: per10k(scavenges), gcMsPer10k: per10k(gcMs), bytesPerCall: (scavenges * SEMI_MIB * 2 ** 20) / calls };
}

async function run(ctx) {
  const calls = ctx.quick ? 50000 : 200000;
  const rounds = ctx.quick ? 1 : 3;
  const redis = await privateRedis();
  const rows = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const v of VARIANTS) {
        const out = execFileSync(process.execPath, [`--min-semi-space-size=${SEMI_MIB}`, `--max-semi-space-size=${SEMI_MIB}`, __filename, '--child', v, redis.url(0), String(calls), ctx.dist], { encoding: 'utf8', timeout: 600000 });
        const r = { round, ...JSON.parse(out), load1: os.loadavg()[0] };
        rows.push(r);
        ctx.log(`round ${round} ${v}: ${r.callsPerSecond.toFixed(0)} calls/s, CPU ${r.cpuPer10k.toFixed(3)} s/10k, ~${r.bytesPerCall.toFixed(0)} B/call, ${r.scavengesPer10k.toFixed(2)} scavenges and ${r.gcMsPer10k.toFixed(1)} ms GC per 10k, load ${r.load1.toFixed(1)}`);
      }
    }
  } finally {
    await redis.stop();
  }
  const summary = VARIANTS.map((v) => {
    const rs = rows.filter((r) => r.variant === v);
    const med = (f) => median(rs.map(f));
    return { variant: v, callsPerSecond: med((r) => r.callsPerSecond), cpuPer10k: med((r) => r.cpuPer10k), bytesPerCall: med((r) => r.bytesPerCall), gcMsPer10k: med((r) => r.gcMsPer10k), load1: [Math.min(...rs.map((r) => r.load1)), Math.max(...rs.map((r) => r.load1))] };
  });
  return { settings: { calls, rounds, inFlight: 64, semiSpaceMiB: SEMI_MIB }, rows, summary };
}

module.exports = { run };

if (require.main === module) {
  const argv = process.argv;
  if (argv[2] === '--child') {
    child(argv[3], argv[4], Number(argv[5]), argv[6]).then(
      (r) => process.stdout.write(JSON.stringify(r)),
      (err) => {
        process.stderr.write(`${err.stack || err}\n`);
        process.exit(1);
      },
    );
  } else {
    const out = argv.includes('--out') ? argv[argv.indexOf('--out') + 1] : undefined;
    const dist = path.resolve(ROOT, process.env.BANDIT_DIST || 'dist');
    const ctx = { root: ROOT, dist, quick: argv.includes('--quick'), log: (s) => process.stderr.write(`${s}\n`) };
    run(ctx).then(
      (r) => (out ? fs.writeFileSync(out, `${JSON.stringify(r, null, 2)}\n`) : process.stdout.write(`${JSON.stringify(r, null, 2)}\n`)),
      (err) => {
        process.stderr.write(`ioredis-write.bench: ${err.stack || err}\n`);
        process.exit(1);
      },
    );
  }
}
