/**
 * The machine's real Postgres and Redis for medium / e2e tests: each test file gets a
 * database of its own and a Redis DB index of its own, cleaned up afterwards.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { available, POSTGRES_URL, REDIS_URL } from './env';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function postgresUp(): Promise<boolean> {
  const c = new Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function redisUp(): Promise<boolean> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null });
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

export async function requirePostgres(): Promise<boolean> {
  return available('PostgreSQL at ' + POSTGRES_URL, await postgresUp(), 'start it (see .ci/run)');
}
export async function requireRedis(): Promise<boolean> {
  return available('Redis at ' + REDIS_URL, await redisUp(), 'start it (see .ci/run)');
}

/** A fresh database on the test Postgres, dropped by `drop()`. */
export async function createTestDatabase(prefix = 'bandit_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(POSTGRES_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    async drop() {
      const c = new Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface TestRedisDb {
  url: string;
  db: number;
  release(): Promise<void>;
}

/** Claims a Redis DB index 1..15 no other running test file holds, flushes it, and releases it afterwards. */
export async function claimRedisDb(): Promise<TestRedisDb> {
  const base = new URL(REDIS_URL);
  const r = new Redis(REDIS_URL);
  try {
    const owner = randomBytes(8).toString('hex');
    for (let attempt = 0; attempt < 600; attempt++) {
      for (let db = 1; db < 16; db++) {
        const ok = await r.set(`bandit-test:db-claim:${db}`, owner, 'EX', 1800, 'NX');
        if (ok === 'OK') {
          const u = new URL(base.toString());
          u.pathname = `/${db}`;
          const c = new Redis(u.toString());
          await c.flushdb();
          c.disconnect();
          return {
            url: u.toString(),
            db,
            async release() {
              const c2 = new Redis(u.toString());
              await c2.flushdb();
              c2.disconnect();
              const r2 = new Redis(REDIS_URL);
              if ((await r2.get(`bandit-test:db-claim:${db}`)) === owner) await r2.del(`bandit-test:db-claim:${db}`);
              r2.disconnect();
            },
          };
        }
      }
      await new Promise((res) => setTimeout(res, 1000));
    }
    throw new Error('no free Redis DB index for this test file');
  } finally {
    r.disconnect();
  }
}
