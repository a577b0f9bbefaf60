#!/usr/bin/env node
/**
 * How /select's cost grows with the number of arms (2, 5, 10, 20, 50, 100): p50 and p99
 * latency and requests per second of /select at 16 connections, on bandit-service (Redis
 * store; in-process store) and on the FastAPI + redis-py peer. A light stream of rewards
 * (2 connections) runs beside the measured /select load, so the posteriors keep moving as
 * under real traffic and bandit-service recomputes its allocation (P(best) of every arm)
 * at its refresh rate instead of serving one cached forever.
 *
 *   node bench/select-arms.js [--quick]      (BANDIT_DIST, default dist: the built CLI)
 */
'use strict';
const { banditTarget, fastapiTarget } = require('./lib/targets');
const { load } = require('./lib/load');
const { claimRedisDb } = require('./lib/redis');
const { lcg } = require('./lib/service');

const ARM_COUNTS = [2, 5, 10, 20, 50, 100];
const CONNECTIONS = 16;

async function measure(t, id, duration, rng) {
  const kept = [];
  // warm-up, keeping decisions to reward during the measurement
  await load({
    url: `${t.base}/select`,
    body: t.selectBody(id),
    connections: CONNECTIONS,
    duration: 2,
    onResponse: (status, body) => {
      if (status === 200 && kept.length < 200000) kept.push(body);
    },
  });
  const replies = kept.map((b) => JSON.parse(b));
  let i = 0;
  let release;
  const selectDone = new Promise((r) => (release = r));
  const rewards = load({
    url: `${t.base}/reward`,
    connections: 2,
    duration,
    amount: Math.max(2, replies.length),
    until: selectDone,
    setupRequest: (req) => ({ ...req, body: JSON.stringify(t.rewardBody(replies[i++ % replies.length] ?? {}, rng() < 0.05 ? 1 : 0)) }),
  });
  const sel = await load({ url: `${t.base}/select`, body: t.selectBody(id), connections: CONNECTIONS, duration }).finally(release);
  const rew = await rewards;
  return { ...sel, rewardsDuring: rew.ok };
}

async function run(ctx) {
  const duration = ctx.quick ? 2 : 5;
  const db = await claimRedisDb();
  const targets = [];
  const rows = [];
  try {
    targets.push(await banditTarget({ bin: ctx.bin, store: 'redis', redisUrl: db.url }));
    targets.push(await banditTarget({ bin: ctx.bin, store: 'memory' }));
    targets.push(await fastapiTarget({ redisUrl: db.url, workers: 1 }));
    const rng = lcg(11);
    // a first load on each server, so the first arm count does not pay for its JIT warm-up
    for (const t of targets) {
      await t.createExperiment('bench-arms-warmup', ['control', 'arm-1']);
      await measure(t, 'bench-arms-warmup', 2, rng);
    }
    for (const k of ARM_COUNTS) {
      const arms = Array.from({ length: k }, (_, i) => (i === 0 ? 'control' : `arm-${i}`));
      for (const t of targets) {
        const id = `bench-arms-${k}-${t.key}`;
        await t.createExperiment(id, arms);
        const m = await measure(t, id, duration, rng);
        rows.push({ target: t.key, label: t.label, arms: k, ...m });
        ctx.log(`${k} arms ${t.label}: ${m.rps.toFixed(0)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms (${m.rewardsDuring} rewards beside)`);
      }
    }
  } finally {
    for (const t of targets) await t.stop();
    await db.release();
  }
  return { settings: { durationSeconds: duration, connections: CONNECTIONS, rewardConnections: 2, arms: ARM_COUNTS, eventLog: 'SQLite' }, targets: targets.map((t) => ({ key: t.key, label: t.label })), rows };
}

module.exports = { run, ARM_COUNTS };

if (require.main === module) require('./lib/standalone').runStandalone(run);
