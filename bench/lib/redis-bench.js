/**
 * The store's own limit, measured with `redis-benchmark` on the same Redis the service
 * uses: the service's real select and reward scripts (EVALSHA with the script text the
 * built service loads) with their real key layout, one call per request, and the MGET of
 * the status marker and α, β of every arm that refreshes the allocation. Decisions for the reward
 * script are written first, so nearly every call counts a fresh decision; the rest
 * (random keys repeat) take the cheaper duplicate path, and their share is reported.
 */
'use strict';
const path = require('node:path');
const Redis = require('ioredis');
const { runChecked } = require('./proc');
const { claimRedisDb } = require('./redis');

const EXP = 'bench-store';
const ARMS = 3;

function parseCsv(out) {
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  const lines = out.trim().split('\n').filter((l) => l.startsWith('"'));
  const cells = lines[lines.length - 1].split(',').map((c) => Number(c.replace(/"/g, '')));
  return { rps: cells[1], avgMs: cells[2], p50: cells[4], p99: cells[6] };
}

async function bench(db, requests, connections, args) {
  const r = await runChecked('redis-benchmark', ['-h', db.host, '-p', String(db.port), '--dbnum', String(db.db), '-n', String(requests), '-c', String(connections), '-r', String(keyspace(requests)), '--csv', '--precision', '3', ...args], { timeoutMs: 300000 });
  return parseCsv(r.stdout);
}

// random decision keys: about 1 in 20 calls repeats a key when requests = keyspace / 10
const keyspace = (requests) => requests * 10;

async function run(ctx) {
  const { luaScript } = require(path.join(ctx.dist, 'posterior-store', 'lua-scripts.js'));
  const { keys, posteriorKeys } = require(path.join(ctx.dist, 'posterior-store', 'keys.js'));
  const requests = ctx.quick ? 20000 : 200000;
  const connections = 64;
  const db = await claimRedisDb();
  const r = new Redis(db.url);
  try {
    await r.set(keys.state(EXP), 'running');
    for (let k = 0; k < ARMS; k++) await r.mset(keys.alpha(EXP, k), 1, keys.beta(EXP, k), 1, keys.pulls(EXP, k), 0, keys.rewards(EXP, k), 0);
    const rows = [];
    const mget = await bench(db, requests, connections, ['MGET', ...posteriorKeys(EXP, ARMS)]);
    rows.push({ op: `MGET of the experiment's ${1 + 2 * ARMS} keys (the allocation refresh)`, ...mget });
    ctx.log(`redis MGET: ${mget.rps} ops/s`);

    const selectSha = await r.script('LOAD', luaScript('select'));
    const decision = keys.decision(EXP, '__rand_int__');
    const sel = await bench(db, requests, connections, ['EVALSHA', selectSha, '5', keys.state(EXP), decision, keys.pulls(EXP, 0), keys.events(EXP), keys.units(EXP), '0', '0.5', '604800', `${EXP}.__rand_int__`, '', '1700000000000', '0', 'running']);
    rows.push({ op: 'select script, EVALSHA (/select: status check, decision, pull count, event)', ...sel });
    ctx.log(`redis select script: ${sel.rps} ops/s`);

    // fresh decisions for the reward script: every key of the keyspace, written in batches
    await r.flushdb();
    await r.set(keys.state(EXP), 'running');
    await r.mset(keys.alpha(EXP, 0), 1, keys.beta(EXP, 0), 1, keys.rewards(EXP, 0), 0);
    const space = keyspace(requests);
    for (let i = 0; i < space; i += 5000) {
      const p = r.pipeline();
      for (let j = i; j < Math.min(space, i + 5000); j++) p.set(keys.decision(EXP, String(j).padStart(12, '0')), 's|0.5|', 'EX', 3600);
      await p.exec();
    }
    const rewardSha = await r.script('LOAD', luaScript('reward'));
    const rew = await bench(db, requests, connections, ['EVALSHA', rewardSha, '6', keys.state(EXP), decision, keys.alpha(EXP, 0), keys.beta(EXP, 0), keys.rewards(EXP, 0), keys.events(EXP), '1', '0', `${EXP}.__rand_int__`, '0', '1700000000000']);
    const counted = Number(await r.get(keys.rewards(EXP, 0)));
    rows.push({ op: 'reward script, EVALSHA (/reward: check, α, β, mark, event)', ...rew, duplicateShare: 1 - counted / requests });
    ctx.log(`redis reward script: ${rew.rps} ops/s (${counted} counted of ${requests})`);
    const info = await r.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1];
    return { settings: { requests, connections, arms: ARMS, redisVersion: version, tool: 'redis-benchmark' }, rows };
  } finally {
    r.disconnect();
    await db.release();
  }
}

module.exports = { run };
