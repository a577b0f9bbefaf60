/**
 * Runs started by the host through `StartRun`. With a `worker` command (what `bandit
 * code-server` uses) every run is a process of its own — `<worker> dagster api execute_run -
 * --run-id <id>` with the ExecuteRunArgs in its environment, as Dagster's run launchers start `dagster api execute_run` — detached
 * from the code server, so a SIGKILL, OOM or redeploy of the code server does not end it;
 * cancel is SIGTERM to that process (SIGKILL if it has not ended 10 s later); a worker that
 * dies without ending its run gets the run failed with its exit status and last output.
 * Without one (tests), runs execute in this process. Either way StartRun replies at once,
 * runs are listed by `GetCurrentRuns`, and a run whose worker cannot start is recorded as
 * failed, never left STARTING.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BanditError, ErrorCode } from '../common/errors';
import { inheritedEnvironment } from '../config/environment';
import { events, serializableError } from './events';
import type { StepLogCapture } from './compute-logs';
import { executeRun, type PipelineFactory } from './run-worker';
import { expectClass, klass, pyJson, str, type SerdesObject } from './serdes';
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
  /** Run each run as its own process: `command args… dagster api execute_run <ExecuteRunArgs>`. */
  worker?: { command: string; args: string[]; env?: NodeJS.ProcessEnv; logDir?: string };
}

interface Execution {
  abort: AbortController;
  done: Promise<void>;
  child?: ChildProcess;
}

/**
 * How long a worker has to end after SIGTERM before it is killed (a step in a long synchronous
 * computation only sees the signal between chunks); the code server then ends the run itself.
 */
export const CANCEL_GRACE_MS = 5_000;

/** The environment variable `bandit dagster api execute_run -` reads its ExecuteRunArgs from. */
export const RUN_ARGS_ENV = 'BANDIT_DAGSTER_EXECUTE_RUN_ARGS';

export class RunManager implements RunLauncher {
  private readonly runs = new Map<string, Execution>();

  constructor(private readonly deps: RunManagerDeps) {}

  async start(args: SerdesObject): Promise<void> {
    expectClass(args, ['ExecuteExternalPipelineArgs', 'ExecuteRunArgs'], 'ExecuteRunArgs');
    const runId = str(args, 'pipeline_run_id', 'ExecuteRunArgs');
    if (args.instance_ref === null || args.instance_ref === undefined) throw new BanditError(ErrorCode.InvalidInput, 'ExecuteRunArgs.instance_ref is required (the code server has no instance of its own)');
    const target = storageTargetFromInstanceRef(expectClass(args.instance_ref, ['InstanceRef'], 'ExecuteRunArgs.instance_ref'), this.deps.env);
    if (this.runs.has(runId)) throw new BanditError(ErrorCode.Conflict, `run ${runId} is already executing`);
    if (this.deps.worker) return this.spawnRun(runId, args, target, this.deps.worker);
    const abort = new AbortController();
    let settle: (err?: unknown) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => (settle = (err) => (err === undefined ? resolve() : reject(err))));
    const done = this.execute(runId, target, abort.signal, settle).finally(() => this.runs.delete(runId));
    this.runs.set(runId, { abort, done });
    await ready;
  }

  /** Runs `runId` to the end in this process (also what `bandit dagster api execute_run` does). */
  async execute(runId: string, target: StorageTarget, signal: AbortSignal, onReady: (err?: unknown) => void = () => undefined, capture?: StepLogCapture): Promise<void> {
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
      const result = await executeRun(runId, { storage, pipeline: this.deps.pipeline, signal, capture });
      this.deps.log.info(`run ${runId}: ${result}`);
    } catch (err) {
      this.deps.log.error(`run ${runId}: ${(err as Error).message}`);
      await this.recordCrash(storage, runId, err);
    } finally {
      await storage.close().catch(() => undefined);
    }
  }

  /**
   * Starts the run's worker process once its storage and run are found. Its output goes to a
   * log file (never a pipe to this process, which may die first); its exit is watched.
   */
  private async spawnRun(runId: string, args: SerdesObject, target: StorageTarget, worker: NonNullable<RunManagerDeps['worker']>): Promise<void> {
    const open = this.deps.openStorage ?? openInstanceStorage;
    const storage = await open(target);
    try {
      if (!(await storage.getRun(runId))) throw new BanditError(ErrorCode.NotFound, `run ${runId} is not in ${storage.description}`);
    } finally {
      await storage.close().catch(() => undefined);
    }
    const logDir = worker.logDir ?? path.join(os.tmpdir(), 'bandit-dagster-runs');
    fs.mkdirSync(logDir, { recursive: true });
    const logFile = path.join(logDir, `${runId}.log`);
    const fd = fs.openSync(logFile, 'a');
    const runArgs = klass('ExecuteRunArgs', { instance_ref: args.instance_ref, pipeline_origin: args.pipeline_origin, pipeline_run_id: runId, set_exit_code_on_failure: null });
    let child: ChildProcess;
    try {
      // the args (with the instance's storage settings) go through the environment, not argv
      child = spawn(worker.command, [...worker.args, 'dagster', 'api', 'execute_run', '-', '--run-id', runId], {
        detached: true,
        stdio: ['ignore', fd, fd],
        env: { ...(worker.env ?? inheritedEnvironment()), [RUN_ARGS_ENV]: pyJson(runArgs) },
      });
    } finally {
      fs.closeSync(fd);
    }
    const abort = new AbortController();
    const done = new Promise<void>((resolve) => {
      let ended = false;
      const end = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
        if (ended) return;
        ended = true;
        void this.workerEnded(runId, target, { pid: child.pid, code, signal, spawnError, logFile, canceled: abort.signal.aborted }).finally(() => {
          this.runs.delete(runId);
          resolve();
        });
      };
      child.once('error', (err) => end(null, null, err));
      child.once('exit', (code, signal) => end(code, signal));
    });
    this.runs.set(runId, { abort, done, child });
    this.deps.log.info(`run ${runId}: worker process ${child.pid ?? '?'} started (output: ${logFile})`);
  }

  /** After a worker process ends: a run it left unfinished is failed (or canceled) with what happened. */
  private async workerEnded(
    runId: string,
    target: StorageTarget,
    w: { pid: number | undefined; code: number | null; signal: NodeJS.Signals | null; spawnError?: Error; logFile: string; canceled: boolean },
  ): Promise<void> {
    const how = w.spawnError ? `could not start: ${w.spawnError.message}` : w.signal ? `was killed by ${w.signal}` : `exited with code ${w.code}`;
    this.deps.log.info(`run ${runId}: worker process ${w.pid ?? '?'} ${how}`);
    let storage: DagsterInstanceStorage | undefined;
    try {
      storage = await (this.deps.openStorage ?? openInstanceStorage)(target);
      const stored = await storage.getRun(runId);
      if (!stored || ['SUCCESS', 'FAILURE', 'CANCELED'].includes(stored.status)) {
        if (stored?.status === 'SUCCESS') fs.rmSync(w.logFile, { force: true });
        return;
      }
      const run = { runId, jobName: String(stored.body.pipeline_name), pid: w.pid ?? process.pid };
      const now = () => Date.now() / 1000;
      const output = tail(w.logFile, 4000);
      const message = w.canceled
        ? `Execution of run for "${run.jobName}" canceled: its worker process ${how}.`
        : `Execution of run for "${run.jobName}" failed. The run worker process (pid ${w.pid ?? '?'}) ${how} before the run ended.`;
      const error = serializableError(`${message}${output && !w.canceled ? `\nLast output of the worker:\n${output}` : ''}`, 'DagsterRunWorkerError');
      // no step stays in progress: each one the worker left open ends as failed
      for (const step of await storage.stepsInProgress(runId)) {
        await storage.storeEvent(events.stepFailure(run, now(), step, w.canceled ? serializableError('Execution was interrupted: the run was terminated', 'DagsterExecutionInterruptedError') : error));
      }
      if (w.canceled) await storage.storeEvent(events.runCanceled(run, now(), message));
      else await storage.storeEvent(events.runFailure(run, now(), message, error, 'UNEXPECTED_ERROR', null));
    } catch (e) {
      this.deps.log.error(`run ${runId}: could not record the end of its worker: ${(e as Error).message}`);
    } finally {
      await storage?.close().catch(() => undefined);
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
    if (r.child) {
      const child = r.child;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), CANCEL_GRACE_MS);
      t.unref();
      child.once('exit', () => clearTimeout(t));
    }
    return true;
  }

  canCancel(runId: string): boolean {
    const r = this.runs.get(runId);
    return r !== undefined && !r.abort.signal.aborted;
  }

  currentRuns(): string[] {
    return [...this.runs.keys()];
  }

  /** Cancels the runs executing in this process; worker processes are left to finish their runs. */
  abortAll(reason: string): void {
    for (const [runId, r] of this.runs) {
      if (r.child) {
        this.deps.log.info(`run ${runId}: worker process ${r.child.pid ?? '?'} keeps running after the code server stops`);
        r.child.unref();
        this.runs.delete(runId);
      } else if (!r.abort.signal.aborted) r.abort.abort(new Error(reason));
    }
  }

  async drain(): Promise<void> {
    await Promise.all([...this.runs.values()].map((r) => r.done));
  }
}

/** The last `bytes` of a file ('' when it cannot be read). */
function tail(file: string, bytes: number): string {
  try {
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(bytes, size));
      fs.readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString('utf8').trim();
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}
