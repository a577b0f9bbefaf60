/**
 * Runs started by the host through `StartRun`: each executes in this process (asynchronously,
 * after StartRun has replied), can be cancelled through `CancelExecution`, and is listed by
 * `GetCurrentRuns`. A run whose worker cannot start is recorded as failed, never left STARTING.
 */
import { BanditError, ErrorCode } from '../common/errors';
import { events, serializableError } from './events';
import { executeRun, type PipelineFactory } from './run-worker';
import { expectClass, str, type SerdesObject } from './serdes';
import { openInstanceStorage, storageTargetFromInstanceRef, type DagsterInstanceStorage, type StorageTarget } from './storage/instance-storage';

export interface RunLauncher {
  /**
   * Validates `ExecuteExternalPipelineArgs`, opens the run's storage and finds the run, then
   * resolves while the run goes on in the background; rejects when the run cannot start.
   */
  start(args: SerdesObject): Promise<void>;
  cancel(runId: string): boolean;
  canCancel(runId: string): boolean;
  currentRuns(): string[];
  /** Resolves when every run has finished. */
  drain(): Promise<void>;
  /** Cancels every running run (they record themselves CANCELED). */
  abortAll(reason: string): void;
}

export interface RunLog {
  info(msg: string): void;
  error(msg: string): void;
}

export interface RunManagerDeps {
  pipeline: PipelineFactory;
  env: (name: string) => string | undefined;
  log: RunLog;
  openStorage?: (target: StorageTarget) => Promise<DagsterInstanceStorage>;
}

interface Execution {
  abort: AbortController;
  done: Promise<void>;
}

export class RunManager implements RunLauncher {
  private readonly runs = new Map<string, Execution>();

  constructor(private readonly deps: RunManagerDeps) {}

  async start(args: SerdesObject): Promise<void> {
    expectClass(args, ['ExecuteExternalPipelineArgs', 'ExecuteRunArgs'], 'ExecuteRunArgs');
    const runId = str(args, 'pipeline_run_id', 'ExecuteRunArgs');
    if (args.instance_ref === null || args.instance_ref === undefined) throw new BanditError(ErrorCode.InvalidInput, 'ExecuteRunArgs.instance_ref is required (the code server has no instance of its own)');
    const target = storageTargetFromInstanceRef(expectClass(args.instance_ref, ['InstanceRef'], 'ExecuteRunArgs.instance_ref'), this.deps.env);
    if (this.runs.has(runId)) throw new BanditError(ErrorCode.Conflict, `run ${runId} is already executing`);
    const abort = new AbortController();
    let settle: (err?: unknown) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => (settle = (err) => (err === undefined ? resolve() : reject(err))));
    const done = this.execute(runId, target, abort.signal, settle).finally(() => this.runs.delete(runId));
    this.runs.set(runId, { abort, done });
    await ready;
  }

  /** Runs `runId` to the end in this process (also what `bandit dagster api execute_run` does). */
  async execute(runId: string, target: StorageTarget, signal: AbortSignal, onReady: (err?: unknown) => void = () => undefined): Promise<void> {
    const open = this.deps.openStorage ?? openInstanceStorage;
    let storage: DagsterInstanceStorage;
    try {
      storage = await open(target);
    } catch (err) {
      this.deps.log.error(`run ${runId}: cannot open the Dagster storage: ${(err as Error).message}`);
      return onReady(err);
    }
    try {
      if (!(await storage.getRun(runId))) throw new BanditError(ErrorCode.NotFound, `run ${runId} is not in ${storage.description}`);
    } catch (err) {
      await storage.close().catch(() => undefined);
      this.deps.log.error(`run ${runId}: cannot start: ${(err as Error).message}`);
      return onReady(err);
    }
    onReady();
    try {
      this.deps.log.info(`run ${runId}: started (${storage.description})`);
      const result = await executeRun(runId, { storage, pipeline: this.deps.pipeline, signal });
      this.deps.log.info(`run ${runId}: ${result}`);
    } catch (err) {
      this.deps.log.error(`run ${runId}: ${(err as Error).message}`);
      await this.recordCrash(storage, runId, err);
    } finally {
      await storage.close().catch(() => undefined);
    }
  }

  /** A worker error outside any step still ends the run (FAILURE), so it never stays STARTING. */
  private async recordCrash(storage: DagsterInstanceStorage, runId: string, err: unknown): Promise<void> {
    try {
      const stored = await storage.getRun(runId);
      if (!stored || ['SUCCESS', 'FAILURE', 'CANCELED'].includes(stored.status)) return;
      const run = { runId, jobName: String(stored.body.pipeline_name), pid: process.pid };
      await storage.storeEvent(events.runFailure(run, Date.now() / 1000, `Execution of run for "${run.jobName}" failed. An unexpected error occurred in the run worker.`, serializableError(err), 'UNEXPECTED_ERROR', null));
    } catch (e) {
      this.deps.log.error(`run ${runId}: could not record the failure: ${(e as Error).message}`);
    }
  }

  cancel(runId: string): boolean {
    const r = this.runs.get(runId);
    if (!r || r.abort.signal.aborted) return false;
    r.abort.abort(new Error('run canceled by the Dagster host'));
    return true;
  }

  canCancel(runId: string): boolean {
    const r = this.runs.get(runId);
    return r !== undefined && !r.abort.signal.aborted;
  }

  currentRuns(): string[] {
    return [...this.runs.keys()];
  }

  abortAll(reason: string): void {
    for (const r of this.runs.values()) if (!r.abort.signal.aborted) r.abort.abort(new Error(reason));
  }

  async drain(): Promise<void> {
    await Promise.all([...this.runs.values()].map((r) => r.done));
  }
}
