/**
 * /select and /reward throughput. First bench/service.bench.js measures the product's goal
 * (bandit-service on Redis + Postgres against the node:http ceiling and a constant Nest
 * route, 64 connections, median of rounds). Then the alternatives, side by side in one
 * run at 16, 64 and 256 connections: the ceiling (bare node:http),
 * bandit-service on Redis + Postgres and on its embedded defaults, and the original
 * design in Python (FastAPI + redis-py). Each connection count runs every target in turn
 * (interleaved, so drift of a shared machine hits all alike): first /select for the set
 * duration, keeping its replies, then /reward once for each decision /select served
 * (bounded by a watchdog), so every reward counts a fresh decision, never a retry.
 */
'use strict';
const { ceilingTarget, banditTarget, fastapiTarget } = require('./targets');
const { load, warmUp } = require('./load');
const { claimRedisDb } = require('./redis');
const { createDatabase, postgresReachable } = require('./postgres');
const { benchScript } = require('./scripts');

const ARMS = ['control', 'treatment-a', 'treatment-b'];
const EXPERIMENT = 'bench-service';
const MAX_KEPT = 400000;

/** /select for `duration` s keeping (up to MAX_KEPT) replies, then /reward for each of them. */
async function selectThenReward(t, experimentId, connections, duration, rewardRng) {
  const kept = [];
  const sel = await load({
    url: `${t.base}/select`,
    body: t.selectBody(experimentId),
    connections,
    duration,
    onResponse: (status, body) => {
      if (status === 200 && kept.length < MAX_KEPT) kept.push(body);
    },
  });
  const replies = kept.map((b) => JSON.parse(b));
  let i = 0;
  const rew = await load({
    url: `${t.base}/reward`,
    connections,
    duration,
    amount: Math.max(connections, replies.length),
    setupRequest: (req) => ({ ...req, body: JSON.stringify(t.rewardBody(replies[i++ % replies.length] ?? {}, rewardRng() < 0.05 ? 1 : 0)) }),
  });
  return { select: sel, reward: rew };
}

/** A small deterministic stream for the click outcomes of the rewards. */
function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/**
 * @param {object} ctx  { bin, quick, log }
 */
async function run(ctx) {
  const duration = ctx.quick ? 2 : 6;
  const connectionCounts = [16, 64, 256];
  const db = await claimRedisDb();
  const rounds = ctx.quick ? ['--duration', '2', '--rounds', '1'] : ['--duration', '6', '--rounds', '3'];
  // a failure here is reported in the section; the comparison still runs
  const goal = await benchScript(ctx, 'service.bench.js', [...rounds, '--connections', '64'], { env: { BANDIT_BENCH_REDIS_URL: db.url } }).catch((err) => ({ error: String(err.message || err).slice(0, 2000) }));
  const pg = (await postgresReachable()) ? await createDatabase() : undefined;
  const targets = [];
  try {
    targets.push(await ceilingTarget());
    targets.push(await banditTarget({ bin: ctx.bin, store: 'redis', redisUrl: db.url, databaseUrl: pg?.url }));
    targets.push(await banditTarget({ bin: ctx.bin, store: 'memory' }));
    targets.push(await fastapiTarget({ redisUrl: db.url, workers: 1 }));
    targets.push(await fastapiTarget({ redisUrl: db.url, workers: 2 }));
    // the same experiment id on every target: the bandit and FastAPI ones share the Redis
    // database, so each gets its own id
    const ids = new Map(targets.map((t) => [t.key, `${EXPERIMENT}-${t.key}`]));
    for (const t of targets) {
      await t.createExperiment(ids.get(t.key), ARMS);
      await warmUp({ url: `${t.base}/select`, body: t.selectBody(ids.get(t.key)), connections: 16, duration: 2 });
    }
    const rows = [];
    const rng = lcg(7);
    for (const connections of connectionCounts) {
      for (const t of targets) {
        const r = await selectThenReward(t, ids.get(t.key), connections, duration, rng);
        for (const endpoint of ['select', 'reward']) {
          const m = r[endpoint];
          rows.push({ target: t.key, label: t.label, endpoint, connections, ...m });
          ctx.log(`${connections} conn ${t.label} /${endpoint}: ${m.rps.toFixed(0)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms${m.non2xx + m.errors ? `, ${m.non2xx} non-2xx, ${m.errors} errors` : ''}`);
        }
      }
    }
    return { goal, settings: { durationSeconds: duration, connections: connectionCounts, arms: ARMS, eventLog: pg ? 'Postgres' : 'SQLite' }, targets: targets.map((t) => ({ key: t.key, label: t.label })), rows };
  } finally {
    for (const t of targets) await t.stop();
    await db.release();
    await pg?.drop();
  }
}

module.exports = { run, selectThenReward, lcg };
