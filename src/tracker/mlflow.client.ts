/**
 * A small typed client of the MLflow tracking REST API (2.0 endpoints, served by MLflow
 * 2.x and 3.x): experiments/get-by-name, experiments/create, runs/create, runs/log-batch,
 * runs/set-tag, runs/update, runs/get, metrics/get-history, and artifact upload through the
 * server's artifact proxy (`mlflow server --serve-artifacts`):
 * PUT /api/2.0/mlflow-artifacts/artifacts/<experiment>/<run>/artifacts/<path>.
 * https://mlflow.org/docs/latest/api_reference/rest-api.html
 */
import { BanditError, ErrorCode } from '../common/errors';

export interface MlflowTag {
  key: string;
  value: string;
}
export interface MlflowMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}
export interface MlflowRunInfo {
  run_id: string;
  experiment_id: string;
  run_name?: string;
  status: string;
  start_time?: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage?: string;
}
export interface MlflowRun {
  info: MlflowRunInfo;
  data: { metrics?: MlflowMetric[]; params?: MlflowTag[]; tags?: MlflowTag[] };
}
export interface MlflowExperiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: string;
}

export class MlflowError extends BanditError {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(status === 0 || status >= 500 ? ErrorCode.Unavailable : status === 404 ? ErrorCode.NotFound : ErrorCode.InvalidInput, message);
  }
}

/** MLflow's per-request limits of runs/log-batch. */
const MAX_METRICS = 1000;
const MAX_PARAMS = 100;
const MAX_TAGS = 100;

export class MlflowClient {
  private readonly base: string;

  constructor(trackingUri: string) {
    this.base = trackingUri.replace(/\/+$/, '');
  }

  get trackingUri(): string {
    return this.base;
  }

  private async call<T>(method: 'GET' | 'POST', endpoint: string, body?: Record<string, unknown>): Promise<T> {
    const url = new URL(`${this.base}/api/2.0/mlflow/${endpoint}`);
    if (method === 'GET' && body) for (const [k, v] of Object.entries(body)) url.searchParams.set(k, String(v));
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: method === 'POST' ? { 'content-type': 'application/json' } : undefined,
        body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
      });
    } catch (err) {
      throw new MlflowError(0, 'UNREACHABLE', `MLflow at ${this.base} is unreachable: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) {
      let code = `HTTP_${res.status}`;
      let message = text.slice(0, 300);
      try {
        const j = JSON.parse(text) as { error_code?: string; message?: string };
        code = j.error_code ?? code;
        message = j.message ?? message;
      } catch {
        /* not JSON */
      }
      throw new MlflowError(res.status, code, `MLflow ${endpoint}: ${code}: ${message}`);
    }
    return (text === '' ? {} : JSON.parse(text)) as T;
  }

  async getExperimentByName(name: string): Promise<MlflowExperiment | null> {
    try {
      return (await this.call<{ experiment: MlflowExperiment }>('GET', 'experiments/get-by-name', { experiment_name: name })).experiment;
    } catch (err) {
      if (err instanceof MlflowError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return null;
      throw err;
    }
  }

  async createExperiment(name: string): Promise<string> {
    return (await this.call<{ experiment_id: string }>('POST', 'experiments/create', { name })).experiment_id;
  }

  /** The experiment's id, created when missing (a concurrent create is tolerated). */
  async ensureExperiment(name: string): Promise<string> {
    const found = await this.getExperimentByName(name);
    if (found) return found.experiment_id;
    try {
      return await this.createExperiment(name);
    } catch (err) {
      const again = await this.getExperimentByName(name);
      if (again) return again.experiment_id;
      throw err;
    }
  }

  /** Runs matching an MLflow filter (e.g. "tags.`mlflow.parentRunId` = '…'"), first page of 1,000. */
  async searchRuns(experimentIds: string[], filter: string): Promise<MlflowRun[]> {
    return (await this.call<{ runs?: MlflowRun[] }>('POST', 'runs/search', { experiment_ids: experimentIds, filter, max_results: 1000 })).runs ?? [];
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    await this.call('POST', 'experiments/set-experiment-tag', { experiment_id: experimentId, key, value });
  }

  async createRun(experimentId: string, runName: string, tags: MlflowTag[] = [], startTime = Date.now()): Promise<MlflowRunInfo> {
    return (await this.call<{ run: MlflowRun }>('POST', 'runs/create', { experiment_id: experimentId, run_name: runName, start_time: startTime, tags })).run.info;
  }

  /** Logs any number of metrics / params / tags, split to respect the per-request limits. */
  async logBatch(runId: string, batch: { metrics?: MlflowMetric[]; params?: MlflowTag[]; tags?: MlflowTag[] }): Promise<void> {
    const metrics = batch.metrics ?? [];
    const params = batch.params ?? [];
    const tags = batch.tags ?? [];
    for (let i = 0; i < params.length; i += MAX_PARAMS) await this.call('POST', 'runs/log-batch', { run_id: runId, params: params.slice(i, i + MAX_PARAMS) });
    for (let i = 0; i < tags.length; i += MAX_TAGS) await this.call('POST', 'runs/log-batch', { run_id: runId, tags: tags.slice(i, i + MAX_TAGS) });
    for (let i = 0; i < metrics.length; i += MAX_METRICS) await this.call('POST', 'runs/log-batch', { run_id: runId, metrics: metrics.slice(i, i + MAX_METRICS) });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.call('POST', 'runs/set-tag', { run_id: runId, key, value });
  }

  async updateRun(runId: string, status: string, endTime = Date.now()): Promise<MlflowRunInfo> {
    return (await this.call<{ run_info: MlflowRunInfo }>('POST', 'runs/update', { run_id: runId, status, end_time: endTime })).run_info;
  }

  async getRun(runId: string): Promise<MlflowRun> {
    return (await this.call<{ run: MlflowRun }>('GET', 'runs/get', { run_id: runId })).run;
  }

  async getMetricHistory(runId: string, metricKey: string): Promise<MlflowMetric[]> {
    return (await this.call<{ metrics?: MlflowMetric[] }>('GET', 'metrics/get-history', { run_id: runId, metric_key: metricKey })).metrics ?? [];
  }

  /** True when the run's artifacts go through the server's proxy (`mlflow-artifacts:` URI). */
  static proxiesArtifacts(artifactUri: string): boolean {
    return artifactUri.startsWith('mlflow-artifacts:');
  }

  private artifactUrl(artifactUri: string, artifactPath: string): string {
    // mlflow-artifacts:/1/<run>/artifacts  or  mlflow-artifacts://host:port/1/<run>/artifacts
    const rest = artifactUri.replace(/^mlflow-artifacts:(\/\/[^/]+)?/, '').replace(/^\/+/, '');
    const encoded = [...rest.split('/'), ...artifactPath.split('/')].filter((s) => s !== '').map(encodeURIComponent).join('/');
    return `${this.base}/api/2.0/mlflow-artifacts/artifacts/${encoded}`;
  }

  async uploadArtifact(artifactUri: string, artifactPath: string, content: Buffer | string, contentType = 'application/octet-stream'): Promise<void> {
    if (!MlflowClient.proxiesArtifacts(artifactUri)) {
      throw new MlflowError(400, 'ARTIFACTS_NOT_PROXIED', `the run's artifact store ${artifactUri} is not served by the tracking server (start it with --serve-artifacts)`);
    }
    const res = await fetch(this.artifactUrl(artifactUri, artifactPath), { method: 'PUT', headers: { 'content-type': contentType }, body: typeof content === 'string' ? content : new Uint8Array(content) });
    if (!res.ok) throw new MlflowError(res.status, `HTTP_${res.status}`, `MLflow artifact upload ${artifactPath}: ${(await res.text()).slice(0, 300)}`);
  }

  async downloadArtifact(artifactUri: string, artifactPath: string): Promise<Buffer> {
    const res = await fetch(this.artifactUrl(artifactUri, artifactPath));
    if (!res.ok) throw new MlflowError(res.status, `HTTP_${res.status}`, `MLflow artifact download ${artifactPath}: HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }
}
