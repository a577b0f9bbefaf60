import type { Config } from '../config/config';
import { LocalTracker } from './local.tracker';
import { MlflowClient } from './mlflow.client';
import { MlflowTracker } from './mlflow.tracker';
import type { Tracker } from './tracker';

export * from './tracker';
export { MlflowClient, MlflowError } from './mlflow.client';
export { LocalTracker } from './local.tracker';
export { MlflowTracker } from './mlflow.tracker';

/** MLflow when `config.mlflowTrackingUri` is set; the local run folder `config.mlflowRunsDir` otherwise. */
export function createTracker(config: Pick<Config, 'mlflowTrackingUri' | 'mlflowRunsDir' | 'mlflowUser'>): Tracker {
  return config.mlflowTrackingUri ? new MlflowTracker(new MlflowClient(config.mlflowTrackingUri), config.mlflowUser) : new LocalTracker(config.mlflowRunsDir);
}
