import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Metric, RunStatus, Tracker, TrackingRun } from './tracker';

/**
 * The embedded default: one folder per run,
 *   <runsDir>/<experiment>/<run id>/run.json       name, status, start / end, tags, params
 *   <runsDir>/<experiment>/<run id>/metrics.json   every metric with its step and timestamp
 *   <runsDir>/<experiment>/<run id>/artifacts/…    plots and tables
 */
export class LocalTracker implements Tracker {
  constructor(readonly location: string) {}

  async startRun(experimentName: string, runName: string, tags: Record<string, string> = {}): Promise<TrackingRun> {
    const runId = randomUUID().replace(/-/g, '');
    const dir = path.join(this.location, experimentName.replace(/[^A-Za-z0-9._-]/g, '_'), runId);
    await fs.mkdir(path.join(dir, 'artifacts'), { recursive: true });
    const run = new LocalRun(dir, runId, experimentName, { runName, status: 'RUNNING', startTime: Date.now(), tags: { ...tags }, params: {} });
    await run.flush();
    return run;
  }
}

interface RunFile {
  runName: string;
  status: string;
  startTime: number;
  endTime?: number;
  tags: Record<string, string>;
  params: Record<string, string>;
}

class LocalRun implements TrackingRun {
  private readonly metrics: Array<Required<Metric>> = [];

  constructor(
    readonly location: string,
    readonly runId: string,
    readonly experimentId: string,
    private readonly info: RunFile,
  ) {}

  async flush(): Promise<void> {
    await fs.writeFile(path.join(this.location, 'run.json'), JSON.stringify(this.info, null, 2) + '\n');
    await fs.writeFile(path.join(this.location, 'metrics.json'), JSON.stringify(this.metrics) + '\n');
  }

  async logParams(params: Record<string, string | number | boolean>): Promise<void> {
    for (const [k, v] of Object.entries(params)) this.info.params[k] = String(v);
    await this.flush();
  }

  async logMetrics(metrics: readonly Metric[]): Promise<void> {
    const now = Date.now();
    for (const m of metrics) if (Number.isFinite(m.value)) this.metrics.push({ key: m.key, value: m.value, step: m.step ?? 0, timestamp: m.timestamp ?? now });
    await this.flush();
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    Object.assign(this.info.tags, tags);
    await this.flush();
  }

  async logArtifact(artifactPath: string, content: Buffer | string): Promise<void> {
    const parts = artifactPath.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..')) throw new Error(`invalid artifact path ${artifactPath}`);
    const file = path.join(this.location, 'artifacts', ...parts);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content);
  }

  async end(status: RunStatus = 'FINISHED'): Promise<void> {
    this.info.status = status;
    this.info.endTime = Date.now();
    await this.flush();
  }
}
