/**
 * The pipeline the worker runs: src/pipeline's `createPipeline(config)` — the same asset
 * functions as `bandit materialize` — with run-config overrides applied to the config.
 */
import * as path from 'node:path';
import { BanditError, ErrorCode } from '../common/errors';
import type { Config } from '../config/config';
import type { PipelineFactory, PipelinePort } from './run-worker';

interface PipelineModule {
  createPipeline(config: Config, overrides?: object, session?: { name: string; tags?: Record<string, string> }): Promise<PipelinePort>;
}

export function pipelineAvailable(): boolean {
  try {
    require.resolve(path.join(__dirname, '..', 'pipeline', 'index'));
    return true;
  } catch {
    return false;
  }
}

export function pipelineFactory(config: Config): PipelineFactory {
  return async (run) => {
    let mod: PipelineModule;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require(path.join(__dirname, '..', 'pipeline', 'index')) as PipelineModule;
    } catch (err) {
      throw new BanditError(ErrorCode.Unavailable, 'the pipeline (src/pipeline/index) is not part of this build', undefined, { cause: err });
    }
    // one Dagster run = one parent tracking run, its assets nested under it
    return mod.createPipeline(config, {}, run ? { name: `dagster ${run.runId}`, tags: { 'dagster.run_id': run.runId, 'dagster.job': run.jobName } } : undefined);
  };
}
