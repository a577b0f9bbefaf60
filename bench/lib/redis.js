/**
 * A Redis database of the machine's Redis for one benchmark, claimed with the same
 * `bandit-test:db-claim:<db>` keys the medium tests use (so a benchmark never flushes a
 * database a test is using), flushed when claimed and when released.
 */
'use strict';
const Redis = require('ioredis');
const { freePort, startServer, waitUntil } = require('./proc');

const REDIS_URL = process.env.BANDIT_BENCH_REDIS_URL || process.env.REDIS_URL || 'redis://127.0.0.1:6379/0';

async function redisReachable() {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await r.connect();
    await r.ping();
    return true;
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** Resolves { url, db, host, port, release() } or throws when no database frees up within `waitMs`. */
async function claimRedisDb(waitMs = 120000) {
  const base = new URL(REDIS_URL);
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const owner = `bench-${process.pid}-${Date.now()}`;
  const deadline = Date.now() + waitMs;
  try {
    for (;;) {
      for (let db = 15; db >= 1; db--) {
        if ((await r.set(`bandit-test:db-claim:${db}`, owner, 'EX', 3600, 'NX')) !== 'OK') continue;
        const u = new URL(base.toString());
        u.pathname = `/${db}`;
        const url = u.toString();
        await flush(url);
        return {
          url,
          db,
          host: u.hostname,
          port: Number(u.port || 6379),
          async release() {
            await flush(url);
            const r2 = new Redis(REDIS_URL);
            if ((await r2.get(`bandit-test:db-claim:${db}`)) === owner) await r2.del(`bandit-test:db-claim:${db}`);
            r2.disconnect();
          },
        };
      }
      if (Date.now() > deadline) throw new Error('no free Redis database index for the benchmark');
      await new Promise((res) => setTimeout(res, 1000));
    }
  } finally {
    r.disconnect();
  }
}

async function flush(url) {
  const c = new Redis(url);
  await c.flushdb();
  c.disconnect();
}

/** A private redis-server on a free port (its CPU time is the benchmark's alone): { pid, url(db), stop() }. */
async function privateRedis() {
  const port = await freePort();
  const server = startServer('redis-server (private)', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--databases', '16']);
  await waitUntil(server, async () => {
    const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => undefined);
    try {
      await r.connect();
      return (await r.ping()) === 'PONG';
    } finally {
      r.disconnect();
    }
  });
  return { pid: server.child.pid, url: (db) => `redis://127.0.0.1:${port}/${db}`, stop: () => server.stop() };
}

module.exports = { REDIS_URL, redisReachable, claimRedisDb, privateRedis };
