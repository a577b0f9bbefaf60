/**
 * Experiment tracking: one run per asset materialization, holding params, metrics with
 * steps (curves), tags and artifacts (plots, tables). Two implementations behind this
 * interface, chosen once from config (`createTracker`): the MLflow REST API when
 * MLFLOW_TRACKING_URI is set, a local run folder otherwise.
 */
export interface Metric {
  key: string;
  value: number;
  step?: number;
  /** ms since the epoch; defaults to now. */
  timestamp?: number;
}

export type RunStatus = 'FINISHED' | 'FAILED' | 'KILLED';

export interface TrackingRun {
  readonly runId: string;
  readonly experimentId: string;
  /** Where to look at the run (MLflow UI URL or the run folder). */
  readonly location: string;
  logParams(params: Record<string, string | number | boolean>): Promise<void>;
  logMetrics(metrics: readonly Metric[]): Promise<void>;
  setTags(tags: Record<string, string>): Promise<void>;
  /** Stores an artifact at `artifactPath` (relative, `/`-separated) in the run. */
  logArtifact(artifactPath: string, content: Buffer | string, contentType?: string): Promise<void>;
  end(status?: RunStatus): Promise<void>;
}

export interface Tracker {
  /** Where runs go (`http://…` or the folder). */
  readonly location: string;
  startRun(experimentName: string, runName: string, tags?: Record<string, string>): Promise<TrackingRun>;
}

export const EXPERIMENT_NAME = 'bayesian-bandit';
