/**
 * The machine's real Postgres and Redis for medium / e2e tests: each test file gets a
 * database of its own and a Redis DB index of its own, cleaned up afterwards.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { available, POSTGRES_URL, REDIS_URL } from './env';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

const hint = (envVar: string) => `start it (see the README and .ci/run) or set ${envVar}`;

const probed = new Map<string, { at: number; why: string | null }>();

/**
 * Why the service at `url` does not answer (null when it does), asked synchronously in a
 * child process so that describeIf can decide while jest collects the tests. The answer is
 * reused for 10 s within a test file.
 */
function probe(kind: 'redis' | 'postgres', url: string): string | null {
  const key = `${kind} ${url}`;
  const seen = probed.get(key);
  if (seen && Date.now() - seen.at < 10_000) return seen.why;
  const r = spawnSync(process.execPath, [path.join(__dirname, 'probe.js'), kind, url], { encoding: 'utf8', timeout: 15_000 });
  const why = r.status === 0 ? null : (r.stderr || r.error?.message || 'no answer within 15 s').trim().split('\n')[0];
  probed.set(key, { at: Date.now(), why });
  return why;
}

/** Redis answers PING — for `describeIf(() => hasRedis())`; the CI rule of `available` applies. */
export function hasRedis(): boolean {
  const why = probe('redis', REDIS_URL);
  return available(`Redis at ${REDIS_URL}`, why === null, `${why}; ${hint('BANDIT_TEST_REDIS_URL')}`);
}

/** Postgres answers `select 1` — for `describeIf(() => hasPostgres())`; the CI rule of `available` applies. */
export function hasPostgres(): boolean {
  const why = probe('postgres', POSTGRES_URL);
  return available(`PostgreSQL at ${POSTGRES_URL}`, why === null, `${why}; ${hint('BANDIT_TEST_DATABASE_URL')}`);
}

async function answers(check: () => Promise<void>): Promise<string | null> {
  try {
    await check();
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Postgres answers; when it does not: false outside CI, a thrown error naming it with CI=true. */
export async function postgresUp(): Promise<boolean> {
  const c = new Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  const why = await answers(async () => {
    try {
      await c.connect();
      await c.query('select 1');
    } finally {
      await c.end().catch(() => undefined);
    }
  });
  return available(`PostgreSQL at ${POSTGRES_URL}`, why === null, `${why}; ${hint('BANDIT_TEST_DATABASE_URL')}`);
}

/** Redis answers PING; when it does not: false outside CI, a thrown error naming it with CI=true. */
export async function redisUp(): Promise<boolean> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null });
  let cause: Error | null = null;
  r.on('error', (e: Error) => (cause = e));
  const why = await answers(async () => {
    try {
      await r.connect().catch((e: Error) => {
        throw cause ?? e;
      });
      const pong = await r.ping();
      if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
    } finally {
      r.disconnect();
    }
  });
  return available(`Redis at ${REDIS_URL}`, why === null, `${why}; ${hint('BANDIT_TEST_REDIS_URL')}`);
}

export const requirePostgres = postgresUp;
export const requireRedis = redisUp;

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
