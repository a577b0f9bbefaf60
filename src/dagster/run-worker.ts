/**
 * Executes one Dagster run of the pipeline's assets: reads the run the host created, runs the
 * selected assets in dependency order with the same asset functions as `bandit materialize`,
 * and writes the run's events (run start, per step start → materialization with metadata →
 * success, run success; step / run failure with the error and its cause; cancellation).
 */
import { BanditError, ErrorCode } from '../common/errors';
import { ASSET_GRAPH, type AssetContext, type AssetKey, type AssetOutcome } from '../pipeline/asset-graph';
import { assetKeysOf, checkSelectionOf } from './dagster-api.service';
import type { StoredCheck } from '../pipeline/stored-checks';
import { events, LEVEL, serializableError, type RunEvent, type RunIdentity } from './events';
import { isObject, optCollection, PyFloat, type SerdesObject, type SerdesValue } from './serdes';
import { assetDefinition, isAssetKey, partitionOptions, type ConfigFieldDefinition } from '../pipeline/asset-graph';
import { dataVersionTags, type InputProvenance } from './data-version';
import { assetKeyString, checkOutputName, type CheckKey } from './snapshots';
import { jobPartitions, multiPartitionTags, PARTITION_TAG, partitionDimensions, partitionKey, partitionKeys } from './partitions';
import type { DagsterInstanceStorage } from './storage/instance-storage';
import type { StepLogCapture } from './compute-logs';

/** What the worker needs from the pipeline (src/pipeline's `Pipeline`). */
export interface PipelinePort {
  run(key: AssetKey, ctx: AssetContext, options: Record<string, unknown>): Promise<AssetOutcome>;
  /** The checks of `key` on what it last stored (one partition's when given): a check-only step. */
  check?(key: AssetKey, partition: { campaign: string; policy: string } | null): Promise<StoredCheck[]>;
  close?(): Promise<void>;
}

/** Builds the pipeline for one run (the run's identity names its tracking runs). */
export type PipelineFactory = (run?: { runId: string; jobName: string }) => Promise<PipelinePort>;

export interface RunWorkerDeps {
  storage: DagsterInstanceStorage;
  pipeline: PipelineFactory;
  signal: AbortSignal;
  now?: () => number;
  pid?: number;
  /**
   * Per-step stdout / stderr capture into Dagster's compute-log storage (the run worker
   * process): each step gets a LOGS_CAPTURED event and its log lines echoed to stderr.
   */
  capture?: StepLogCapture;
}

const LEVEL_NAME: Record<number, string> = { [LEVEL.debug]: 'DEBUG', [LEVEL.info]: 'INFO', [LEVEL.warning]: 'WARNING', [LEVEL.error]: 'ERROR' };

/** A log line as Dagster's console logger prints it in a run worker. */
function consoleLine(run: RunIdentity, step: string, level: number, msg: string): string {
  const t = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000');
  return `${t} - dagster - ${LEVEL_NAME[level] ?? 'INFO'} - ${run.jobName} - ${run.runId} - ${step} - ${msg}\n`;
}

/** Rejects when `signal` aborts: a canceled step is not waited for. */
function abortion(signal: AbortSignal): { promise: Promise<never>; dispose: () => void } {
  let onAbort: () => void = () => undefined;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(new StepInterrupted());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => undefined);
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

class StepInterrupted extends Error {
  constructor() {
    super('Execution was interrupted: the run was terminated');
    this.name = 'DagsterExecutionInterruptedError';
  }
}

/**
 * The steps a run executes, in dependency order: its asset selection (else its op selection,
 * else the whole job) plus the ops of its selected checks (a run selecting only checks runs
 * their assets' ops for the checks alone), narrowed to its step keys when it has them (a
 * re-execution from failure runs only those).
 */
export function runSelection(body: SerdesObject): AssetKey[] {
  const assets = optCollection(body, 'asset_selection', 'PipelineRun');
  const ops = optCollection(body, 'solids_to_execute', 'PipelineRun');
  const checks = checkSelectionOf(body, 'PipelineRun');
  const selected =
    checks !== null && checks.length > 0
      ? [...assetKeysOf(assets ?? [], 'PipelineRun.asset_selection'), ...checks.map((c) => c.asset)]
      : assets && assets.length > 0
      ? assetKeysOf(assets, 'PipelineRun.asset_selection')
      : ops && ops.length > 0
        ? ops.map((o) => {
            if (typeof o !== 'string' || !isAssetKey(o)) throw new BanditError(ErrorCode.NotFound, `no op ${JSON.stringify(o)} in __ASSET_JOB`);
            return o;
          })
        : null;
  const steps = optCollection(body, 'step_keys_to_execute', 'PipelineRun');
  return ASSET_GRAPH.map((a) => a.key).filter((k) => (selected === null || selected.includes(k)) && (steps === null || steps.includes(k)));
}

const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

const shown = (v: SerdesValue) => (v instanceof PyFloat ? String(v.value) : typeof v === 'bigint' ? v.toString() : JSON.stringify(v));

/** One config value checked against its declared type, as Dagster's config validation does. */
function configValue(f: ConfigFieldDefinition, v: SerdesValue, where: string): unknown {
  const bad = (expected: string) => new BanditError(ErrorCode.InvalidInput, `run config ${where}: expected ${expected}, got ${shown(v)}`);
  switch (f.type) {
    case 'Int':
      if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
      throw bad('an Int');
    case 'Float':
      if (v instanceof PyFloat && Number.isFinite(v.value)) return v.value;
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      throw bad('a finite Float');
    case 'String':
      if (typeof v === 'string') return v;
      throw bad('a String');
    case '[String]':
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
      throw bad('a list of Strings');
  }
}

/**
 * The pipeline options of one step: `run_config.ops.<step>.config` checked against the asset's
 * typed config (src/pipeline/asset-graph.ts) — unknown keys and wrongly typed values are refused
 * with the path and what was expected, null leaves an optional key unset — with snake_case keys
 * in camelCase (`obd_path` → `obdPath`, `n_sim` → `nSim`, `bootstrap`, `seed`…). The Dagster
 * host validates the same schema at launch; this covers runs started without it (execute_run).
 */
export function stepOptions(body: SerdesObject, step: AssetKey): Record<string, unknown> {
  const ops = isObject(body.run_config) ? body.run_config.ops : undefined;
  const op = isObject(ops) ? ops[step] : undefined;
  const cfg = isObject(op) ? op.config : undefined;
  if (cfg === undefined || cfg === null) return {};
  if (!isObject(cfg)) throw new BanditError(ErrorCode.InvalidInput, `run config ops.${step}.config must be a mapping`);
  const fields = assetDefinition(step).config;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg)) {
    const f = fields.find((x) => x.name === k);
    if (!f) {
      throw new BanditError(ErrorCode.InvalidInput, `run config ops.${step}.config: unknown key ${JSON.stringify(k)} (${step} takes ${fields.map((x) => x.name).join(', ')})`);
    }
    if (v === null && f.default === undefined) continue;
    out[camel(k)] = configValue(f, v, `ops.${step}.config.${k}`);
  }
  return out;
}

/**
 * The partition a run was launched for (its `dagster/partition` tag), split by dimension; null
 * for a run of no partition. An unknown key is refused naming the valid ones.
 */
export function runPartition(body: SerdesObject): { key: string; dimensions: Record<string, string> } | null {
  const key = isObject(body.tags) ? body.tags[PARTITION_TAG] : undefined;
  if (key === undefined || key === null) return null;
  const dims = jobPartitions();
  if (typeof key !== 'string' || !dims) throw new BanditError(ErrorCode.InvalidInput, `run tag ${PARTITION_TAG}=${shown(key)}: this job is not partitioned by such a key`);
  const dimensions = partitionDimensions(dims, key);
  if (!dimensions) throw new BanditError(ErrorCode.InvalidInput, `run tag ${PARTITION_TAG}: unknown partition ${JSON.stringify(key)} (expected one of ${partitionKeys(dims).join(', ')})`);
  return { key, dimensions };
}

type RunResult = 'SUCCESS' | 'FAILURE' | 'CANCELED';

export async function executeRun(runId: string, deps: RunWorkerDeps): Promise<RunResult> {
  const stored = await deps.storage.getRun(runId);
  if (!stored) throw new BanditError(ErrorCode.NotFound, `run ${runId} is not in ${deps.storage.description}`);
  if (['SUCCESS', 'FAILURE', 'CANCELED'].includes(stored.status)) {
    throw new BanditError(ErrorCode.Conflict, `run ${runId} already finished (${stored.status})`);
  }
  return new RunExecution(runId, stored.body, deps).execute();
}

/**
 * Whether a run materializes `step`'s asset: not when the step is there only for selected checks
 * (a check selection without the asset).
 */
export function materializes(body: SerdesObject, step: AssetKey): boolean {
  const checks = checkSelectionOf(body, 'PipelineRun');
  if (checks === null || checks.length === 0) return true;
  return assetKeysOf(optCollection(body, 'asset_selection', 'PipelineRun') ?? [], 'PipelineRun.asset_selection').includes(step);
}

/** The checks of `step` a run evaluates: its check selection's, else all of the asset's. */
function selectedChecks(checks: readonly CheckKey[] | null, step: AssetKey): string[] {
  const all = (assetDefinition(step).checks ?? []).map((c) => c.name);
  return checks === null ? all : all.filter((name) => checks.some((c) => c.asset === step && c.name === name));
}

/** One run in progress: writes its events in order. */
class RunExecution {
  private readonly run: RunIdentity;
  private readonly now: () => number;
  private readonly failed: AssetKey[] = [];
  private readonly stepFailures: AssetKey[] = [];
  private readonly done = new Set<AssetKey>();
  private firstFailure: SerdesObject | null = null;
  private firstError: SerdesObject | null = null;
  private partition: { key: string; dimensions: Record<string, string> } | null = null;
  private checks: CheckKey[] | null = null;

  constructor(
    runId: string,
    private readonly body: SerdesObject,
    private readonly deps: RunWorkerDeps,
  ) {
    this.run = { runId, jobName: String(body.pipeline_name), pid: deps.pid ?? process.pid };
    this.now = deps.now ?? (() => Date.now() / 1000);
  }

  private queue: Promise<void> = Promise.resolve();

  /** Stores events one at a time, in the order they happen (log lines arrive unawaited). */
  private write(e: RunEvent): Promise<number | null> {
    const p = this.queue.then(() => this.deps.storage.storeEvent(e));
    this.queue = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  private async fail(message: string, err: unknown): Promise<void> {
    await this.write(events.runFailure(this.run, this.now(), `Execution of run for "${this.run.jobName}" failed. ${message}`, serializableError(err), 'JOB_INITIALIZATION_FAILURE', null));
  }

  private async cancelled(): Promise<'CANCELED'> {
    const reason = this.deps.signal.reason instanceof Error ? ` (${this.deps.signal.reason.message})` : '';
    await this.write(events.runCanceled(this.run, this.now(), `Execution of run for "${this.run.jobName}" canceled${reason}.`));
    return 'CANCELED';
  }

  async execute(): Promise<RunResult> {
    const { run } = this;
    await this.write(events.runStart(run, this.now()));
    let selection: AssetKey[];
    try {
      selection = runSelection(this.body);
      for (const step of selection) stepOptions(this.body, step);
      this.partition = runPartition(this.body);
      this.checks = checkSelectionOf(this.body, 'PipelineRun');
    } catch (err) {
      await this.fail((err as Error).message, err);
      return 'FAILURE';
    }
    await this.write(events.engine(run, this.now(), `Executing steps in process (pid: ${run.pid})`, { pid: String(run.pid), step_keys: `[${selection.map((s) => `'${s}'`).join(', ')}]` }));
    let pipeline: PipelinePort;
    try {
      pipeline = await this.deps.pipeline({ runId: run.runId, jobName: run.jobName });
    } catch (err) {
      await this.fail('An exception was thrown during initialization.', err);
      return 'FAILURE';
    }
    const started = Date.now();
    try {
      for (const step of selection) {
        if (this.deps.signal.aborted) return await this.cancelled();
        const ok = await this.step(pipeline, step, selection);
        if (ok === 'CANCELED') return await this.cancelled();
      }
    } finally {
      await pipeline.close?.().catch(() => undefined);
    }
    await this.write(events.engine(run, this.now(), `Finished steps in process (pid: ${run.pid}) in ${Date.now() - started}ms`, { pid: String(run.pid) }));
    if (this.failed.length > 0) {
      const message = `Execution of run for "${run.jobName}" failed. Steps failed: [${this.stepFailures.map((s) => `'${s}'`).join(', ')}].`;
      await this.write(events.runFailure(run, this.now(), message, this.firstError, 'STEP_FAILURE', this.firstFailure));
      return 'FAILURE';
    }
    await this.write(events.runSuccess(run, this.now()));
    return 'SUCCESS';
  }

  private async step(pipeline: PipelinePort, step: AssetKey, selection: readonly AssetKey[]): Promise<'OK' | 'FAILED' | 'CANCELED'> {
    const { run } = this;
    const blocked = assetDefinition(step).deps.filter((d) => this.failed.includes(d) || (selection.includes(d) && !this.done.has(d)));
    if (blocked.length > 0) {
      this.failed.push(step);
      await this.write(events.log(run, this.now(), LEVEL.error, `Dependencies for step ${step} failed: [${blocked.map((b) => `'${b}'`).join(', ')}]. Not executing.`, step));
      return 'FAILED';
    }
    const capture = this.deps.capture;
    if (capture) {
      try {
        capture.begin(step);
        await this.write(events.logsCaptured(run, this.now(), step, [step]));
      } catch (err) {
        await this.write(events.engine(run, this.now(), `Could not capture the logs of step ${step}: ${(err as Error).message}`, {}, step));
      }
    }
    try {
      return materializes(this.body, step) ? await this.executeStep(pipeline, step) : await this.checkStep(pipeline, step);
    } finally {
      await capture?.end();
    }
  }

  private async executeStep(pipeline: PipelinePort, step: AssetKey): Promise<'OK' | 'FAILED' | 'CANCELED'> {
    const { run } = this;
    await this.write(events.stepStart(run, this.now(), step));
    const t0 = Date.now();
    const pending: Promise<unknown>[] = [];
    const capture = this.deps.capture;
    const logAt = (level: number) => (msg: string) => {
      if (capture) process.stderr.write(consoleLine(run, step, level, msg));
      pending.push(this.write(events.log(run, this.now(), level, msg, step)).catch(() => undefined));
    };
    let lastProgress = 0;
    const ctx: AssetContext = {
      log: { debug: logAt(LEVEL.debug), info: logAt(LEVEL.info), warn: logAt(LEVEL.warning), error: logAt(LEVEL.error) },
      progress: (done, total, label) => {
        const t = Date.now();
        if (done >= total || t - lastProgress > 2000) {
          lastProgress = t;
          logAt(LEVEL.info)(`${label ?? step}: ${done}/${total}`);
        }
      },
      signal: this.deps.signal,
    };
    const interrupted = abortion(this.deps.signal);
    try {
      const slice = this.partition && assetDefinition(step).partitions ? partitionOptions(step, this.partition.dimensions) : {};
      const outcome = await Promise.race([pipeline.run(step, ctx, { ...stepOptions(this.body, step), ...slice }), interrupted.promise]);
      await Promise.all(pending);
      if (this.deps.signal.aborted) return await this.interrupted(step);
      await this.write(events.stepOutput(run, this.now(), step));
      let target: { storageId: number; timestamp: number } | null = null;
      const written: Array<{ partition: string | null; target: { storageId: number; timestamp: number } | null; checks?: AssetOutcome['checks'] }> = [];
      const inputs = await this.inputProvenance(step);
      for (const m of this.materializations(step, outcome)) {
        const at = this.now();
        const tags = { ...dataVersionTags(assetDefinition(step).codeVersion, m.dataVersion, inputs), ...multiPartitionTags(m.dimensions) };
        const id = await this.write(events.materialization(run, at, step, m.metadata, null, tags, m.partition));
        if (id !== null) target = { storageId: id, timestamp: at };
        written.push({ partition: m.partition, target: id === null ? null : { storageId: id, timestamp: at }, checks: m.checks });
      }
      for (const name of selectedChecks(this.checks, step)) {
        const result = outcome.checks?.find((c) => c.name === name);
        // a partitioned asset's check is evaluated per partition written, each on its materialization
        const perPartition = written
          .map((m) => ({ ...m, result: m.checks?.find((c) => c.name === name) }))
          .filter((m): m is typeof m & { result: NonNullable<typeof m.result> } => m.partition !== null && m.result !== undefined);
        if (!result && perPartition.length === 0) continue;
        await this.write(events.stepOutput(run, this.now(), step, checkOutputName(step, name)));
        for (const m of perPartition) await this.write(events.checkEvaluation(run, this.now(), step, m.result, m.target, m.partition));
        // a run of no partition also evaluates the whole asset (the host planned the check without a partition)
        if (result && (perPartition.length === 0 || this.partition === null)) await this.write(events.checkEvaluation(run, this.now(), step, result, target));
      }
      await this.write(events.stepSuccess(run, this.now(), step, Date.now() - t0));
      this.done.add(step);
      return 'OK';
    } catch (err) {
      await Promise.all(pending);
      if (this.deps.signal.aborted) return await this.interrupted(step);
      return await this.stepFailed(step, err);
    } finally {
      interrupted.dispose();
    }
  }

  /**
   * A step for the run's selected checks only: evaluates them on what the asset last stored
   * (per partition for a partitioned asset, only the run's partition when it has one), each
   * evaluation pointing at the materialization it judged; nothing is materialized.
   */
  private async checkStep(pipeline: PipelinePort, step: AssetKey): Promise<'OK' | 'FAILED' | 'CANCELED'> {
    const { run } = this;
    await this.write(events.stepStart(run, this.now(), step));
    const t0 = Date.now();
    try {
      if (!pipeline.check) throw new BanditError(ErrorCode.Internal, `this pipeline cannot evaluate checks without materializing ${step}`);
      const dims = this.partition && assetDefinition(step).partitions ? this.partition.dimensions : null;
      const results = await pipeline.check(step, dims ? { campaign: dims.campaign, policy: dims.policy } : null);
      if (this.deps.signal.aborted) return await this.interrupted(step);
      for (const name of selectedChecks(this.checks, step)) {
        const mine = results.filter((r) => r.result.name === name);
        if (mine.length === 0) continue;
        await this.write(events.stepOutput(run, this.now(), step, checkOutputName(step, name)));
        for (const r of mine) {
          const partition = r.dimensions && assetDefinition(step).partitions ? partitionKey(r.dimensions) : null;
          const target = await this.deps.storage.materializationOf(assetKeyString(step), partition);
          await this.write(events.checkEvaluation(run, this.now(), step, r.result, target, partition));
        }
      }
      await this.write(events.stepSuccess(run, this.now(), step, Date.now() - t0));
      this.done.add(step);
      return 'OK';
    } catch (err) {
      if (this.deps.signal.aborted) return await this.interrupted(step);
      return await this.stepFailed(step, err);
    }
  }

  /** The data version and event of each input's latest materialization (what this step read). */
  private async inputProvenance(step: AssetKey): Promise<InputProvenance[]> {
    return Promise.all(
      assetDefinition(step).deps.map(async (dep) => {
        const latest = await this.deps.storage.latestMaterialization(assetKeyString(dep));
        return { asset: dep, dataVersion: latest?.dataVersion ?? null, storageId: latest?.storageId ?? null };
      }),
    );
  }

  /**
   * What a step materialized: one materialization, or for a partitioned asset one per partition
   * it wrote (only the run's partition when it has one).
   */
  private materializations(
    step: AssetKey,
    outcome: AssetOutcome,
  ): Array<{ metadata: AssetOutcome['metadata']; dataVersion?: string; partition: string | null; dimensions: Readonly<Record<string, string>> | null; checks?: AssetOutcome['checks'] }> {
    if (!assetDefinition(step).partitions) return [{ metadata: outcome.metadata, dataVersion: outcome.dataVersion, partition: null, dimensions: null }];
    if (!outcome.partitions) return [{ metadata: outcome.metadata, dataVersion: outcome.dataVersion, partition: this.partition?.key ?? null, dimensions: this.partition?.dimensions ?? null }];
    return outcome.partitions
      .map((p) => ({ metadata: p.metadata, dataVersion: p.dataVersion, partition: partitionKey(p.dimensions), dimensions: p.dimensions, checks: p.checks }))
      .filter((p) => this.partition === null || p.partition === this.partition.key);
  }

  /** A step that threw: its failure with the error, remembered for the run's failure. */
  private async stepFailed(step: AssetKey, err: unknown): Promise<'FAILED'> {
    const error = serializableError(err);
    const ev = events.stepFailure(this.run, this.now(), step, error);
    await this.write(ev);
    this.failed.push(step);
    this.stepFailures.push(step);
    this.firstFailure ??= ev.entry.dagster_event as SerdesObject;
    this.firstError ??= error;
    return 'FAILED';
  }

  /** A step stopped by termination ends as a failure (not left in progress), then the run is canceled. */
  private async interrupted(step: AssetKey): Promise<'CANCELED'> {
    await this.write(events.stepFailure(this.run, this.now(), step, serializableError(new StepInterrupted())));
    return 'CANCELED';
  }
}
