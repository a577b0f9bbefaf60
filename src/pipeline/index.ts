/**
 * The pipeline's entry point: one function per asset of the asset graph, over the object
 * store (silver layer), the tracker (MLflow or the local run folder) and the event store.
 * `bandit materialize` and the Dagster code location both call `Pipeline.run`.
 *
 * Every asset reads its upstream results from the object store, so assets can run in
 * separate processes; an asset whose upstream was never materialized fails with an error
 * naming it.
 */
import { invalidInput } from '../common/errors';
import type { Config } from '../config/config';
import { createObjectStore } from '../object-store';
import { createTracker, EXPERIMENT_NAME, type TrackingRun } from '../tracker';
import type { AssetContext, AssetKey, AssetOutcome } from './asset-graph';
import { concludeAsset, ingestAsset, opeAsset, replayAsset } from './assets';
import type { AssetFunction, PipelineDeps, PipelineOptions } from './pipeline.types';
import { storedChecks, type StoredCheck } from './stored-checks';

export type { PipelineOptions, PipelineDeps } from './pipeline.types';

export interface Pipeline {
  run(key: AssetKey, ctx: AssetContext, options: PipelineOptions): Promise<AssetOutcome>;
  /** The checks of `key` evaluated on what it last stored (of one partition when given), without materializing it. */
  check(key: AssetKey, partition: { campaign: string; policy: string } | null): Promise<StoredCheck[]>;
  close(): Promise<void>;
}

/**
 * One pipeline run in the tracker: a parent run (e.g. `dagster <run id>` or `materialize
 * <time>`) under which each asset's run is nested, tagged with what started it.
 */
export interface PipelineSession {
  name: string;
  tags?: Record<string, string>;
}

export async function createPipeline(config: Config, overrides: Partial<Omit<PipelineDeps, 'config'>> = {}, session?: PipelineSession): Promise<Pipeline> {
  const deps: PipelineDeps = { config, store: overrides.store ?? createObjectStore(config), tracker: overrides.tracker ?? createTracker(config), verdicts: overrides.verdicts };
  const sessionName = session?.name ?? `materialize ${new Date().toISOString()}`;
  let parent: Promise<TrackingRun> | undefined;
  let failed = false;
  const parentRun = () => (parent ??= deps.tracker.startRun(EXPERIMENT_NAME, sessionName, { 'bandit.pipeline_run': 'true', 'bandit.store': deps.store.location, ...session?.tags }));
  const assets: Record<AssetKey, AssetFunction> = {
    ingest_obp: ingestAsset,
    replay: replayAsset,
    ope: opeAsset,
    conclude: concludeAsset,
  };
  return {
    async run(key, ctx, options) {
      const fn = assets[key];
      if (!fn) throw invalidInput(`unknown asset ${String(key)}`);
      const p = await parentRun();
      const run = await deps.tracker.startRun(EXPERIMENT_NAME, key, { 'bandit.asset': key, 'bandit.store': deps.store.location, 'mlflow.parentRunId': p.runId, ...session?.tags });
      try {
        const outcome = await fn(deps, ctx, options, run);
        await run.end('FINISHED');
        outcome.metadata.tracking_run = /^https?:/.test(run.location) ? { type: 'url', value: run.location } : { type: 'text', value: run.location };
        return outcome;
      } catch (err) {
        failed = true;
        await run.setTags({ 'bandit.error': (err as Error).message.slice(0, 5000) }).catch(() => undefined);
        await run.end('FAILED').catch(() => undefined);
        throw err;
      }
    },
    async check(key, partition) {
      return storedChecks(deps.store, key, partition);
    },
    async close() {
      if (parent) await (await parent).end(failed ? 'FAILED' : 'FINISHED').catch(() => undefined);
      await deps.store.close();
    },
  };
}

export { ASSET_GRAPH, ASSET_KEYS, withUpstream, type AssetContext, type AssetKey, type AssetOutcome } from './asset-graph';
