/**
 * The real bandit-service, in process, on a test database: creates experiments and sends
 * select / reward traffic through its HTTP routes (Fastify inject), then waits until the
 * events are in the event store.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { DataSource } from 'typeorm';
import { createApp } from '../../../src/app/create-app';
import { DATA_SOURCE } from '../../../src/app/tokens';
import { loadConfig } from '../../../src/config/config';
import { ExperimentsService } from '../../../src/experiments/experiment.service';

export interface ServiceFixture {
  app: NestFastifyApplication;
  dataSource: DataSource;
  experiments: ExperimentsService;
  request<T = unknown>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

/** Starts the service on `databaseUrl` (Postgres) or, when undefined, an SQLite file in a temp folder. */
export async function startService(databaseUrl?: string): Promise<ServiceFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-dashboard-'));
  const env: Record<string, string> = { BANDIT_DATA_DIR: dir, BANDIT_LOG_LEVEL: 'silent', BANDIT_SNAPSHOT_INTERVAL_SECONDS: '0', BANDIT_EVENT_FLUSH_MS: '50' };
  if (databaseUrl) env.BANDIT_DATABASE_URL = databaseUrl;
  const app = await createApp(loadConfig(env, dir));
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  return {
    app,
    dataSource: app.get<DataSource>(DATA_SOURCE),
    experiments: app.get(ExperimentsService),
    async request<T>(method: 'GET' | 'POST', url: string, body?: unknown) {
      const res = await fastify.inject({ method, url, payload: body === undefined ? undefined : JSON.stringify(body), headers: body === undefined ? {} : { 'content-type': 'application/json' } });
      return { status: res.statusCode, body: (res.body ? JSON.parse(res.body) : null) as T };
    },
    async close() {
      await app.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A small seeded generator (mulberry32) so the traffic is the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TrafficTotals {
  selects: number;
  rewards: number;
  perArm: Array<{ selects: number; rewards: number }>;
}

/** `n` selects, each rewarded 1 with its arm's rate in `rates` (else 0). */
export async function sendTraffic(svc: ServiceFixture, experimentId: string, n: number, rates: number[], random: () => number): Promise<TrafficTotals> {
  const totals: TrafficTotals = { selects: 0, rewards: 0, perArm: rates.map(() => ({ selects: 0, rewards: 0 })) };
  for (let i = 0; i < n; i++) {
    const s = await svc.request<{ decision_id: string; arm_index: number }>('POST', '/select', { experiment_id: experimentId });
    if (s.status !== 200) throw new Error(`select failed: ${s.status} ${JSON.stringify(s.body)}`);
    const reward = random() < rates[s.body.arm_index] ? 1 : 0;
    const r = await svc.request('POST', '/reward', { decision_id: s.body.decision_id, reward });
    if (r.status !== 200) throw new Error(`reward failed: ${r.status} ${JSON.stringify(r.body)}`);
    totals.selects++;
    totals.rewards += reward;
    totals.perArm[s.body.arm_index].selects++;
    totals.perArm[s.body.arm_index].rewards += reward;
  }
  return totals;
}

/** Waits until the event store holds `count` events of the experiment. */
export async function waitForEvents(svc: ServiceFixture, experimentId: string, count: number, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await svc.dataSource.query('SELECT count(*) AS n FROM bandit_events WHERE experiment_id = ' + (svc.dataSource.options.type === 'postgres' ? '$1' : '?'), [experimentId]);
    const n = Number((rows as Array<{ n: unknown }>)[0].n);
    if (n >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${n} of ${count} events reached the event store in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
