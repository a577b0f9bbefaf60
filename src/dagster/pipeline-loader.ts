/**
 * The pipeline the worker runs: src/pipeline's `createPipeline(config)` — the same asset
 * functions as `bandit materialize` — with run-config overrides applied to the config.
 */
import * as path from 'node:path';
import { BanditError, ErrorCode } from '../common/errors';
import type { Config } from '../config/config';
import type { PipelineFactory, PipelinePort } from './run-worker';

interface PipelineModule {
  createPipeline(config: Config): Promise<PipelinePort>;
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
  return async () => {
    let mod: PipelineModule;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require(path.join(__dirname, '..', 'pipeline', 'index')) as PipelineModule;
    } catch (err) {
      throw new BanditError(ErrorCode.Unavailable, 'the pipeline (src/pipeline/index) is not part of this build', undefined, { cause: err });
    }
    return mod.createPipeline(config);
  };
}
