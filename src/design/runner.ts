/**
 * Runs design simulations (src/core/design) in parallel: the runs of every plan and
 * scenario are cut into slices of `slice` runs and handed to a pool of worker threads
 * (one per core by default). Each run has its own seed-derived stream, so the results do
 * not depend on the number of threads or the order slices finish in. Where the compiled
 * worker is not present (running the TypeScript sources) the slices run in this thread,
 * one per event-loop turn, unless `workerBootstrap` says how to load the worker.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { designReport, simulateRuns, summarizeRuns, type DesignPlan, type DesignReport, type DesignTargets, type RunResult, type ScenarioKind } from '../core/design';

export interface DesignUnit {
  id: number;
  plan: DesignPlan;
  kind: ScenarioKind;
  seed: string;
  from: number;
  to: number;
}

export interface DesignJob {
  plans: readonly DesignPlan[];
  seed: string;
  /** Runs per scenario and plan. */
  runs: number;
  /** Worker threads (default: the number of CPUs). */
  threads?: number;
  /** Runs per slice (default 10). */
  slice?: number;
  targets?: DesignTargets;
  /** Scenarios to simulate (default both; one left out is summarized over 0 runs). */
  scenarios?: readonly ScenarioKind[];
  /**
   * JavaScript run by each worker thread instead of the compiled `worker.js` (e.g. a
   * TypeScript loader followed by `require` of worker.ts, when running from sources).
   */
  workerBootstrap?: string;
  /** Called after each slice with the runs done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Stops the simulation (workers terminated, no further slice): runDesign rejects with DesignAborted. */
  signal?: AbortSignal;
}

/** runDesign's rejection when its job's signal aborted. */
export class DesignAborted extends Error {
  constructor() {
    super('the design simulation was stopped before it finished');
    this.name = 'DesignAborted';
  }
}

const WORKER = path.join(__dirname, 'worker.js');

/** Simulates every plan's A/A and lift scenarios and returns one report per plan. */
export async function runDesign(job: DesignJob): Promise<DesignReport[]> {
  const slice = job.slice ?? 10;
  const units: DesignUnit[] = [];
  job.plans.forEach((plan) => {
    for (const kind of job.scenarios ?? (['aa', 'lift'] as const)) {
      for (let from = 0; from < job.runs; from += slice) units.push({ id: units.length, plan, kind, seed: job.seed, from, to: Math.min(job.runs, from + slice) });
    }
  });
  const results: RunResult[][] = new Array<RunResult[]>(units.length);
  const total = units.reduce((n, u) => n + u.to - u.from, 0);
  let done = 0;
  const finish = (id: number, r: RunResult[]) => {
    results[id] = r;
    done += r.length;
    job.onProgress?.(done, total);
  };
  const threads = Math.max(1, Math.min(job.threads ?? os.availableParallelism(), units.length));
  if (job.signal?.aborted) throw new DesignAborted();
  if (job.workerBootstrap !== undefined || (fs.existsSync(WORKER) && threads > 1)) await inWorkers(units, threads, finish, job.workerBootstrap, job.signal);
  else {
    for (const u of units) {
      finish(u.id, simulateRuns(u.plan, u.kind, u.seed, u.from, u.to));
      await new Promise((r) => setImmediate(r));
      if (job.signal?.aborted) throw new DesignAborted();
    }
  }
  return job.plans.map((plan) => {
    const of = (kind: ScenarioKind) => units.filter((u) => u.plan === plan && u.kind === kind).flatMap((u) => results[u.id]);
    return designReport(plan, summarizeRuns(plan, 'aa', of('aa')), summarizeRuns(plan, 'lift', of('lift')), job.targets);
  });
}

async function inWorkers(units: readonly DesignUnit[], threads: number, finish: (id: number, r: RunResult[]) => void, bootstrap?: string, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: threads }, () => {
        const w = bootstrap === undefined ? new Worker(WORKER) : new Worker(bootstrap, { eval: true });
        workers.push(w);
        return new Promise<void>((resolve, reject) => {
          const feed = () => {
            if (next >= units.length) return resolve();
            w.postMessage(units[next++]);
          };
          w.on('message', (m: { id: number; results: RunResult[] }) => {
            finish(m.id, m.results);
            feed();
          });
          w.on('error', reject);
          w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`a design worker exited with code ${code}`))));
          // an abort rejects at once; the workers are terminated below
          signal?.addEventListener('abort', () => reject(new DesignAborted()), { once: true });
          feed();
        });
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
