/**
 * Executes one Dagster run of the pipeline's assets: reads the run the host created, runs the
 * selected assets in dependency order with the same asset functions as `bandit materialize`,
 * and writes the run's events (run start, per step start → materialization with metadata →
 * success, run success; step / run failure with the error and its cause; cancellation).
 */
import { BanditError, ErrorCode } from '../common/errors';
import { ASSET_GRAPH, type AssetContext, type AssetKey, type AssetOutcome } from '../pipeline/asset-graph';
import { assetKeysOf } from './dagster-api.service';
import { events, LEVEL, serializableError, type RunEvent, type RunIdentity } from './events';
import { isObject, optCollection, type SerdesObject } from './serdes';
import { assetDefinition } from '../pipeline/asset-graph';
import type { DagsterInstanceStorage } from './storage/instance-storage';

/** What the worker needs from the pipeline (src/pipeline's `Pipeline`). */
export interface PipelinePort {
  run(key: AssetKey, ctx: AssetContext, options: Record<string, unknown>): Promise<AssetOutcome>;
}

/** Run-config values the worker understands (from `ops.<asset>.config`). */
export interface RunOverrides {
  obdPath?: string;
}

export type PipelineFactory = (overrides: RunOverrides) => Promise<PipelinePort>;

export interface RunWorkerDeps {
  storage: DagsterInstanceStorage;
  pipeline: PipelineFactory;
  signal: AbortSignal;
  now?: () => number;
  pid?: number;
}

/** The assets a run executes: its asset selection, else its step keys, else the whole job — in order. */
export function runSelection(body: SerdesObject): AssetKey[] {
  const assets = optCollection(body, 'asset_selection', 'PipelineRun');
  if (assets && assets.length > 0) return ASSET_GRAPH.map((a) => a.key).filter((k) => assetKeysOf(assets, 'PipelineRun.asset_selection').includes(k));
  const steps = optCollection(body, 'step_keys_to_execute', 'PipelineRun');
  if (steps && steps.length > 0) return ASSET_GRAPH.map((a) => a.key).filter((k) => steps.includes(k));
  return ASSET_GRAPH.map((a) => a.key);
}

/** `ops.<name>.config.obd_path` (any op) from the run config. */
export function runOverrides(body: SerdesObject): RunOverrides {
  const out: RunOverrides = {};
  const ops = isObject(body.run_config) ? body.run_config.ops : undefined;
  if (isObject(ops)) {
    for (const op of Object.values(ops)) {
      const cfg = isObject(op) ? op.config : undefined;
      if (isObject(cfg) && typeof cfg.obd_path === 'string') out.obdPath = cfg.obd_path;
    }
  }
  return out;
}

export async function executeRun(runId: string, deps: RunWorkerDeps): Promise<'SUCCESS' | 'FAILURE' | 'CANCELED'> {
  const now = deps.now ?? (() => Date.now() / 1000);
  const stored = await deps.storage.getRun(runId);
  if (!stored) throw new BanditError(ErrorCode.NotFound, `run ${runId} is not in ${deps.storage.description}`);
  const run: RunIdentity = { runId, jobName: String(stored.body.pipeline_name), pid: deps.pid ?? process.pid };
  const write = (e: RunEvent) => deps.storage.storeEvent(e);
  if (['SUCCESS', 'FAILURE', 'CANCELED'].includes(stored.status)) {
    throw new BanditError(ErrorCode.Conflict, `run ${runId} already finished (${stored.status})`);
  }

  let selection: AssetKey[];
  try {
    selection = runSelection(stored.body);
  } catch (err) {
    await write(events.runStart(run, now()));
    await write(events.runFailure(run, now(), `Execution of run for "${run.jobName}" failed. ${(err as Error).message}`, serializableError(err), 'JOB_INITIALIZATION_FAILURE', null));
    return 'FAILURE';
  }
  await write(events.runStart(run, now()));
  await write(events.engine(run, now(), `Executing steps in process (pid: ${run.pid})`, { pid: String(run.pid), step_keys: `[${selection.map((s) => `'${s}'`).join(', ')}]` }));

  const started = Date.now();
  const cancelled = async (): Promise<'CANCELED'> => {
    await write(events.runCanceled(run, now(), `Execution of run for "${run.jobName}" canceled.`));
    return 'CANCELED';
  };

  let pipeline: PipelinePort;
  try {
    pipeline = await deps.pipeline(runOverrides(stored.body));
  } catch (err) {
    await write(events.runFailure(run, now(), `Execution of run for "${run.jobName}" failed. An exception was thrown during initialization.`, serializableError(err), 'JOB_INITIALIZATION_FAILURE', null));
    return 'FAILURE';
  }

  const failed: AssetKey[] = [];
  const stepFailures: AssetKey[] = [];
  const done = new Set<AssetKey>();
  let firstFailure: SerdesObject | null = null;
  let firstError: SerdesObject | null = null;
  for (const step of selection) {
    if (deps.signal.aborted) return cancelled();
    const blocked = assetDefinition(step).deps.filter((d) => failed.includes(d) || (selection.includes(d) && !done.has(d)));
    if (blocked.length > 0) {
      failed.push(step);
      await write(events.log(run, now(), LEVEL.error, `Dependencies for step ${step} failed: [${blocked.map((b) => `'${b}'`).join(', ')}]. Not executing.`, step));
      continue;
    }
    await write(events.stepStart(run, now(), step));
    const t0 = Date.now();
    const pending: Promise<void>[] = [];
    const logAt = (level: number) => (msg: string) => {
      pending.push(write(events.log(run, now(), level, msg, step)).catch(() => undefined));
    };
    let lastProgress = 0;
    const ctx: AssetContext = {
      log: { debug: logAt(LEVEL.debug), info: logAt(LEVEL.info), warn: logAt(LEVEL.warning), error: logAt(LEVEL.error) },
      progress: (d, total, label) => {
        const t = Date.now();
        if (d >= total || t - lastProgress > 2000) {
          lastProgress = t;
          logAt(LEVEL.info)(`${label ?? step}: ${d}/${total}`);
        }
      },
      signal: deps.signal,
    };
    try {
      const outcome = await pipeline.run(step, ctx, { runId });
      await Promise.all(pending);
      if (deps.signal.aborted) return cancelled();
      await write(events.stepOutput(run, now(), step));
      await write(events.materialization(run, now(), step, outcome.metadata, null));
      await write(events.stepSuccess(run, now(), step, Date.now() - t0));
      done.add(step);
    } catch (err) {
      await Promise.all(pending);
      if (deps.signal.aborted) return cancelled();
      const error = serializableError(err);
      const ev = events.stepFailure(run, now(), step, error);
      await write(ev);
      failed.push(step);
      stepFailures.push(step);
      firstFailure ??= ev.entry.dagster_event as SerdesObject;
      firstError ??= error;
    }
  }
  await write(events.engine(run, now(), `Finished steps in process (pid: ${run.pid}) in ${Date.now() - started}ms`, { pid: String(run.pid) }));
  if (failed.length > 0) {
    await write(events.runFailure(run, now(), `Execution of run for "${run.jobName}" failed. Steps failed: [${stepFailures.map((s) => `'${s}'`).join(', ')}].`, firstError, 'STEP_FAILURE', firstFailure));
    return 'FAILURE';
  }
  await write(events.runSuccess(run, now()));
  return 'SUCCESS';
}
