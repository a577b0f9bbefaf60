/**
 * The demo's `BanditClient` over the HTTP API of bandit-service, and a helper that starts
 * the real service in this process on the embedded defaults (in-process posterior store,
 * SQLite in $BANDIT_DATA_DIR) on a free port — so `bandit demo` exercises the same
 * /select and /reward path production traffic takes.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AllocationPolicy, StoppingConfig } from '../core';
import { createApp } from '../app/create-app';
import { SystemClock } from '../clock/clock.repository';
import type { Config } from '../config/config';
import type { BanditClient, DemoArm, Selection } from './bandit-client';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export class HttpBanditClient implements BanditClient {
  private readonly base: string;

  constructor(
    baseUrl: string,
    readonly experimentId: string,
    private readonly token?: string,
  ) {
    this.base = baseUrl.replace(/\/$/, '');
  }

  async select(): Promise<Selection> {
    const body = await this.request<{ decision_id: string; arm: string; propensity: number }>('POST', '/select', { experiment_id: this.experimentId });
    return { decisionId: body.decision_id, arm: body.arm, propensity: body.propensity };
  }

  async reward(decisionId: string, r: number): Promise<void> {
    await this.request('POST', '/reward', { decision_id: decisionId, reward: r });
  }

  async state(): Promise<DemoArm[]> {
    const body = await this.request<{ arms: Array<{ name: string; alpha: number; beta: number; assignments: number; observations: number }> }>('GET', `/experiments/${encodeURIComponent(this.experimentId)}`);
    return body.arms.map((a) => ({ name: a.name, alpha: a.alpha, beta: a.beta, assignments: a.assignments, observations: a.observations }));
  }

  /** Waits until no assignment of the experiment has an open conversion window. */
  async settle(timeoutMs = 120_000): Promise<void> {
    const t0 = Date.now();
    for (;;) {
      const body = await this.request<{ arms: Array<{ pending?: number }> }>('GET', `/experiments/${encodeURIComponent(this.experimentId)}`);
      if (body.arms.every((a) => !a.pending)) return;
      if (Date.now() - t0 > timeoutMs) throw new HttpError(504, 'timeout', `conversion windows of ${this.experimentId} still open after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Creates the experiment (admin route). */
  async create(definition: Record<string, unknown>): Promise<void> {
    await this.request('POST', '/experiments', { id: this.experimentId, ...definition });
  }

  private async request<T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const res = await fetch(this.base + route, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new HttpError(res.status, 'not_json', `${method} ${route}: ${res.status} ${text.slice(0, 200)}`);
    }
    if (!res.ok) {
      const err = (parsed as { error?: { code?: string; message?: string } }).error;
      throw new HttpError(res.status, err?.code ?? 'unknown', `${method} ${route}: ${res.status} ${err?.message ?? text.slice(0, 200)}`);
    }
    return parsed as T;
  }
}

/** 32-bit FNV-1a hash of a string. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** A system clock whose generator seeds derive from a fixed seed (reproducible demo runs). */
class SeededClock extends SystemClock {
  private n = 0;
  constructor(private readonly base: number) {
    super();
  }
  override seed(): number {
    return (this.base + 0x9e3779b9 * ++this.n) >>> 0;
  }
}

export interface DemoService {
  url: string;
  client: HttpBanditClient;
  close(): Promise<void>;
}

/**
 * Starts bandit-service in this process on the embedded defaults and creates the demo's
 * experiment in it. `close()` stops the service (moving every queued event into SQLite).
 */
export async function startDemoService(
  base: Config,
  experiment: { arms: readonly string[]; policy: AllocationPolicy; stopping: StoppingConfig; seed: string; conversionWindowSeconds?: number },
): Promise<DemoService> {
  // Reproducible for a seed: the allocation is recomputed on every posterior change and the
  // stopping rule evaluated on every reward, instead of on wall-clock intervals.
  const config: Config = {
    ...base,
    redis: undefined,
    databaseUrl: undefined,
    adminToken: undefined,
    logLevel: 'warn',
    host: '127.0.0.1',
    port: 0,
    allocationRefreshMs: 0,
    autoConcludeIntervalMs: 0,
  };
  // the demo's stdout is its report: the service's log lines go to stderr
  const app: NestFastifyApplication = await createApp(config, { clock: new SeededClock(fnv1a(experiment.seed)), logToStderr: true });
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
  } catch (err) {
    await app.close();
    throw err;
  }
  const addr = app.getHttpServer().address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const id = `demo-${Date.now().toString(36)}-${fnv1a(experiment.seed).toString(36)}`;
  const client = new HttpBanditClient(url, id);
  await client.create({
    arms: experiment.arms,
    algorithm: experiment.policy.algorithm,
    ...(experiment.policy.algorithm === 'top_two' && experiment.policy.topTwoBeta !== undefined ? { topTwoBeta: experiment.policy.topTwoBeta } : {}),
    stopping: { probBest: experiment.stopping.probBest, expectedLoss: experiment.stopping.expectedLoss, minSamplesPerArm: experiment.stopping.minSamplesPerArm },
    ...(experiment.conversionWindowSeconds !== undefined ? { conversion_window_seconds: experiment.conversionWindowSeconds } : {}),
  });
  return { url, client, close: () => app.close() };
}
