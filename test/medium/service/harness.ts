/**
 * Starts the service in-process on a random port against the chosen stores: the
 * machine's Redis (a DB index of its own) or the in-process store, and Postgres (a
 * database of its own) or SQLite in a temporary folder. Everything is removed by close().
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../../src/app/create-app';
import { loadConfig, type Config } from '../../../src/config/config';
import { claimRedisDb, createTestDatabase, type TestDatabase, type TestRedisDb } from '../../support/services';

export interface ServiceUnderTest {
  url: string;
  app: NestFastifyApplication;
  config: Config;
  redis?: TestRedisDb;
  database?: TestDatabase;
  dataDir: string;
  /** Stops the application (keeps the databases: restart with `restart`). */
  stop(): Promise<void>;
  /** Stops and starts a new application on the same stores. */
  restart(env?: Record<string, string>): Promise<ServiceUnderTest>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  store: 'redis' | 'memory';
  events: 'postgres' | 'sqlite';
  env?: Record<string, string>;
}

export async function startService(opts: HarnessOptions): Promise<ServiceUnderTest> {
  const redis = opts.store === 'redis' ? await claimRedisDb() : undefined;
  const database = opts.events === 'postgres' ? await createTestDatabase('bandit_svc') : undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-svc-'));
  return boot({ redis, database, dataDir, env: opts.env ?? {} });
}

async function boot(res: { redis?: TestRedisDb; database?: TestDatabase; dataDir: string; env: Record<string, string> }): Promise<ServiceUnderTest> {
  const env: Record<string, string> = {
    BANDIT_DATA_DIR: res.dataDir,
    BANDIT_LOG_LEVEL: 'error',
    BANDIT_EVENT_FLUSH_MS: '50',
    BANDIT_SNAPSHOT_INTERVAL_SECONDS: '0',
    ...(res.redis ? { BANDIT_REDIS_URL: res.redis.url } : {}),
    ...(res.database ? { BANDIT_DATABASE_URL: res.database.url } : {}),
    ...res.env,
  };
  const config = loadConfig(env);
  const app = await createApp(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.getHttpServer().address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.close();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    config,
    redis: res.redis,
    database: res.database,
    dataDir: res.dataDir,
    stop,
    async restart(extra = {}) {
      await stop();
      return boot({ ...res, env: { ...res.env, ...extra } });
    },
    async close() {
      await stop();
      await res.redis?.release();
      await res.database?.drop();
      fs.rmSync(res.dataDir, { recursive: true, force: true });
    },
  };
}

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T = Record<string, unknown>>(base: string, method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse<T>> {
  const res = await fetch(base + route, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** Runs `n` tasks with at most `concurrency` in flight. */
export async function pool<T>(n: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
