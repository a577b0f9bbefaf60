import * as os from 'node:os';
import { MlflowClient } from './mlflow.client';
import type { Metric, RunStatus, Tracker, TrackingRun } from './tracker';

const str = (v: string | number | boolean) => (typeof v === 'string' ? v : String(v));

/** What MLflow shows as a run's source and user (BANDIT_MLFLOW_USER, else the OS user). */
const SOURCE_TAGS = (user: string | undefined): Record<string, string> => ({
  'mlflow.source.type': 'JOB',
  'mlflow.source.name': 'bandit-pipeline',
  'mlflow.user': user ?? safeUser(),
});

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'bandit';
  }
}

/** Runs in an MLflow tracking server (a `mlflow.parentRunId` tag nests a run under another). */
export class MlflowTracker implements Tracker {
  readonly location: string;
  private readonly experiments = new Map<string, Promise<string>>();

  constructor(
    readonly client: MlflowClient,
    private readonly user?: string,
  ) {
    this.location = client.trackingUri;
  }

  async startRun(experimentName: string, runName: string, tags: Record<string, string> = {}): Promise<TrackingRun> {
    let exp = this.experiments.get(experimentName);
    if (!exp) {
      // MLflow 3 opens an experiment of this kind as model training (not GenAI)
      exp = this.client.ensureExperiment(experimentName).then(async (id) => {
        await this.client.setExperimentTag(id, 'mlflow.experimentKind', 'custom_model_development');
        return id;
      });
      this.experiments.set(experimentName, exp);
      exp.catch(() => this.experiments.delete(experimentName));
    }
    const experimentId = await exp;
    const info = await this.client.createRun(
      experimentId,
      runName,
      Object.entries({ 'mlflow.runName': runName, ...SOURCE_TAGS(this.user), ...tags }).map(([key, value]) => ({ key, value })),
    );
    return new MlflowRun(this.client, info.run_id, experimentId, info.artifact_uri, `${this.location}/#/experiments/${experimentId}/runs/${info.run_id}`);
  }
}

class MlflowRun implements TrackingRun {
  constructor(
    private readonly client: MlflowClient,
    readonly runId: string,
    readonly experimentId: string,
    private readonly artifactUri: string,
    readonly location: string,
  ) {}

  async logParams(params: Record<string, string | number | boolean>): Promise<void> {
    await this.client.logBatch(this.runId, { params: Object.entries(params).map(([key, v]) => ({ key, value: str(v).slice(0, 6000) })) });
  }

  async logMetrics(metrics: readonly Metric[]): Promise<void> {
    const now = Date.now();
    await this.client.logBatch(this.runId, {
      metrics: metrics.filter((m) => Number.isFinite(m.value)).map((m) => ({ key: m.key, value: m.value, step: m.step ?? 0, timestamp: m.timestamp ?? now })),
    });
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    await this.client.logBatch(this.runId, { tags: Object.entries(tags).map(([key, value]) => ({ key, value })) });
  }

  private warnedNoProxy = false;

  /**
   * Uploads through the server's artifact proxy. A server without `--serve-artifacts`
   * cannot take uploads over HTTP: the artifact is skipped and the run tagged
   * `bandit.artifacts` saying so, instead of failing the materialization.
   */
  async logArtifact(artifactPath: string, content: Buffer | string, contentType?: string): Promise<void> {
    if (!MlflowClient.proxiesArtifacts(this.artifactUri)) {
      if (!this.warnedNoProxy) {
        this.warnedNoProxy = true;
        await this.setTags({ 'bandit.artifacts': `not uploaded: the artifact store ${this.artifactUri} is not served by the tracking server (start it with --serve-artifacts)` });
      }
      return;
    }
    await this.client.uploadArtifact(this.artifactUri, artifactPath, content, contentType);
  }

  async end(status: RunStatus = 'FINISHED'): Promise<void> {
    await this.client.updateRun(this.runId, status);
  }
}
