/**
 * What the reliability suites share: a bounded load generator over /select + /reward that
 * records every request's outcome and time, HTTP helpers, and the event-store reads used
 * to account for every acknowledged event.
 */
import * as http from 'node:http';
import { Client } from 'pg';
import { sleep } from '../../support/processes';

export const ADMIN_TOKEN = 'reliability-admin-token-7f3a9c';

export interface Outcome {
  op: 'select' | 'reward';
  /** base URL the request went to */
  url: string;
  /** ms since the load started, when the request was sent / answered */
  t0: number;
  t1: number;
  /** HTTP status; 0 when no answer came (connection refused / reset / timeout) */
  status: number;
  error?: string;
  decisionId?: string;
  arm?: number;
  reward?: number;
  duplicate?: boolean;
  body?: unknown;
}

export async function call(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<{ status: number; body: unknown; headers: Headers; text: string }> {
  const res = await fetch(url + path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, headers: res.headers, text };
}

/**
 * One request on a connection of its own (no keep-alive): a refused connection means the
 * server was not accepting, a reset means an accepted request was dropped.
 */
export function callFresh(url: string, path: string, body: unknown, timeoutMs = 10_000): Promise<{ status: number; body: unknown }> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(url + path, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), connection: 'close' }, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(data);
  });
}

export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

export async function createExperiment(url: string, id: string, arms = ['control', 'a', 'b'], extra: Record<string, unknown> = {}): Promise<void> {
  const r = await call(url, 'POST', '/experiments', { id, arms, ...extra }, admin);
  if (r.status !== 201) throw new Error(`creating ${id}: ${r.status} ${r.text}`);
}

export interface ArmCounts {
  alpha: number[];
  beta: number[];
  assignments: number[];
}

export async function liveCounts(url: string, id: string): Promise<ArmCounts> {
  const r = await call(url, 'GET', `/experiments/${id}`);
  if (r.status !== 200) throw new Error(`GET /experiments/${id}: ${r.status} ${r.text}`);
  const arms = (r.body as { arms: Array<{ alpha: number; beta: number; assignments: number }> }).arms;
  return { alpha: arms.map((a) => a.alpha), beta: arms.map((a) => a.beta), assignments: arms.map((a) => a.assignments) };
}

/** A deterministic reward stream (0/1 with arm-dependent rates, plus some 0.5 to exercise fractions). */
export function rewardFor(i: number, arm: number): number {
  const x = ((i * 2654435761) >>> 0) / 2 ** 32;
  if (i % 7 === 0) return 0.5;
  return x < 0.2 + 0.15 * arm ? 1 : 0;
}

export interface LoadHandle {
  outcomes: Outcome[];
  /** Stops sending new requests and waits for the in-flight ones. */
  stop(): Promise<Outcome[]>;
  started: number;
}

/**
 * `workers` loops of select → reward against one or several base URLs (round robin),
 * until stopped. Every answer (or failure to answer) is recorded.
 */
export function startLoad(urls: string | string[], experimentId: string, opts: { workers?: number; pauseMs?: number; timeoutMs?: number; freshConnections?: boolean } = {}): LoadHandle {
  const list = Array.isArray(urls) ? urls : [urls];
  const outcomes: Outcome[] = [];
  const started = Date.now();
  let running = true;
  let n = 0;
  const now = () => Date.now() - started;
  const one = async (op: Outcome['op'], url: string, body: Record<string, unknown>): Promise<Outcome> => {
    const t0 = now();
    try {
      const r = opts.freshConnections ? await callFresh(url, `/${op}`, body, opts.timeoutMs) : await call(url, 'POST', `/${op}`, body, {}, opts.timeoutMs ?? 10_000);
      const o: Outcome = { op, url, t0, t1: now(), status: r.status, body: r.body };
      outcomes.push(o);
      return o;
    } catch (err) {
      const o: Outcome = { op, url, t0, t1: now(), status: 0, error: errorName(err) };
      outcomes.push(o);
      return o;
    }
  };
  const worker = async (w: number) => {
    for (let round = 0; running; round++) {
      const i = n++;
      const url = list[(round + w) % list.length];
      const s = await one('select', url, { experiment_id: experimentId });
      if (s.status === 200) {
        const b = s.body as { decision_id: string; arm_index: number };
        s.decisionId = b.decision_id;
        s.arm = b.arm_index;
        const reward = rewardFor(i, b.arm_index);
        // reward through the other replica when there are several: any replica serves any decision
        const r = await one('reward', list[(round + w + 1) % list.length], { decision_id: b.decision_id, reward });
        r.decisionId = b.decision_id;
        r.arm = b.arm_index;
        r.reward = reward;
        if (r.status === 200) r.duplicate = (r.body as { duplicate: boolean }).duplicate;
      } else if (s.status === 0) {
        await sleep(20);
      }
      if (opts.pauseMs) await sleep(opts.pauseMs);
    }
  };
  const workers = Array.from({ length: opts.workers ?? 8 }, (_, w) => worker(w));
  return {
    outcomes,
    started,
    async stop() {
      running = false;
      await Promise.all(workers);
      return outcomes;
    },
  };
}

function errorName(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  return e?.cause?.code ?? e?.code ?? e?.name ?? String(err);
}

export function summarize(outcomes: readonly Outcome[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of outcomes) {
    const k = `${o.op} ${o.status === 0 ? (o.error ?? 'no answer') : o.status}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** Rewards answered 200 and counted (not a retry's duplicate). */
export function countedRewards(outcomes: readonly Outcome[]): Outcome[] {
  return outcomes.filter((o) => o.op === 'reward' && o.status === 200 && o.duplicate === false);
}

export interface EventRow {
  decision_id: string;
  event_type: 'select' | 'reward';
  arm_index: number;
  reward: number | null;
}

export async function withPg<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function storedEvents(dbUrl: string, experimentId: string): Promise<EventRow[]> {
  return withPg(dbUrl, async (c) => {
    const r = await c.query<EventRow>('select decision_id, event_type, arm_index, reward from bandit_events where experiment_id = $1', [experimentId]);
    return r.rows.map((x) => ({ ...x, arm_index: Number(x.arm_index), reward: x.reward === null ? null : Number(x.reward) }));
  });
}

/** α, β, assignments per arm implied by the stored events under a Beta(1, 1) prior. */
export function countsFromEvents(rows: readonly EventRow[], arms: number): ArmCounts {
  const alpha = new Array<number>(arms).fill(1);
  const beta = new Array<number>(arms).fill(1);
  const assignments = new Array<number>(arms).fill(0);
  for (const r of rows) {
    if (r.event_type === 'select') assignments[r.arm_index]++;
    else {
      alpha[r.arm_index] += r.reward ?? 0;
      beta[r.arm_index] += 1 - (r.reward ?? 0);
    }
  }
  return { alpha, beta, assignments };
}

/** (decision, type) pairs stored more than once. */
export function doubled(rows: readonly EventRow[]): string[] {
  const seen = new Map<string, number>();
  for (const r of rows) seen.set(`${r.decision_id}/${r.event_type}`, (seen.get(`${r.decision_id}/${r.event_type}`) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
}

/** Waits until the stored events stop changing and reach at least `min` rows. */
export async function settledEvents(dbUrl: string, experimentId: string, min: number, timeoutMs = 20_000): Promise<EventRow[]> {
  const deadline = Date.now() + timeoutMs;
  let prev = -1;
  for (;;) {
    const rows = await storedEvents(dbUrl, experimentId);
    if (rows.length >= min && rows.length === prev) return rows;
    if (Date.now() > deadline) return rows;
    prev = rows.length;
    await sleep(400);
  }
}
