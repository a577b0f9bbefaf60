/**
 * The MLflow client and tracker against a real `mlflow server` (PyPI, temp SQLite backend
 * store, --serve-artifacts): params, metrics with steps (more than one log-batch), tags,
 * artifacts, run status; then a pipeline materialization tracked in it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createPipeline } from '../../../src/pipeline';
import { keys } from '../../../src/pipeline/layout';
import type { CampaignReplay, ReplaySummary } from '../../../src/pipeline/replay.asset';
import { createObjectStore, getJson } from '../../../src/object-store';
import { EXPERIMENT_NAME, MlflowClient, MlflowTracker } from '../../../src/tracker';
import { describeIf, hasPeer } from '../../support/env';
import { obdShaped } from '../../support/obd';
import { recordingContext, tempConfig } from './helpers';
import { startMlflow, type Peer } from './peers';

jest.setTimeout(300_000);

/**
 * Independent reference for the replay baselines from the raw OBD CSV: per-item click rates μ
 * over the whole log, μ* − mean μ (uniform random policy's regret per row), and the logging
 * policy's cumulative regret Σ (μ* − μ_{a_s}) over the rows in time order (ties: file order).
 */
function referenceBaselines(csv: string): { gap: number; logging: number[] } {
  const [head, ...lines] = fs.readFileSync(csv, 'utf8').trim().split('\n');
  const cols = head.split(',');
  const at = (name: string) => cols.indexOf(name);
  const rows = lines.map((l, i) => {
    const f = l.split(',');
    return { i, t: Date.parse(f[at('timestamp')]), item: Number(f[at('item_id')]), click: Number(f[at('click')]) };
  });
  rows.sort((a, b) => a.t - b.t || a.i - b.i);
  const sum = new Map<number, { n: number; c: number }>();
  for (const r of rows) {
    const s = sum.get(r.item) ?? { n: 0, c: 0 };
    s.n++;
    s.c += r.click;
    sum.set(r.item, s);
  }
  const items = Math.max(...rows.map((r) => r.item)) + 1;
  const mu = Array.from({ length: items }, (_, i) => (sum.get(i) ? sum.get(i)!.c / sum.get(i)!.n : 0));
  const best = Math.max(...mu);
  const mean = mu.reduce((s, x) => s + x, 0) / items;
  let acc = 0;
  return { gap: best - mean, logging: rows.map((r) => (acc += best - mu[r.item])) };
}

describeIf(() => hasPeer('mlflow'))('MLflow tracking against a real server', () => {
  let mlflow: Peer;
  let client: MlflowClient;
  beforeAll(async () => {
    mlflow = await startMlflow();
    client = new MlflowClient(mlflow.url);
  });
  afterAll(async () => mlflow?.stop());

  it('creates the experiment once and a run with params, stepped metrics, tags and artifacts', async () => {
    const tracker = new MlflowTracker(client);
    const run = await tracker.startRun('tracker-test', 'unit-run', { 'bandit.asset': 'replay' });
    await run.logParams({ seed: 7, prior: 'uniform', flag: true });
    const curve = Array.from({ length: 1500 }, (_, i) => ({ key: 'regret', value: Math.sqrt(i), step: i }));
    await run.logMetrics([...curve, { key: 'final', value: 0.25 }, { key: 'nan-is-skipped', value: NaN }]);
    await run.setTags({ outcome: 'ok' });
    await run.logArtifact('plots/regret.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>', 'image/svg+xml');
    await run.logArtifact('ope/table.md', '| a | b |\n', 'text/markdown');
    await run.end();
    const again = await tracker.startRun('tracker-test', 'second');
    expect(again.experimentId).toBe(run.experimentId);
    await again.end('FAILED');

    const got = await client.getRun(run.runId);
    expect(got.info.status).toBe('FINISHED');
    expect(got.info.run_name).toBe('unit-run');
    expect(Object.fromEntries((got.data.params ?? []).map((p) => [p.key, p.value]))).toEqual({ seed: '7', prior: 'uniform', flag: 'true' });
    const tags = Object.fromEntries((got.data.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({ 'bandit.asset': 'replay', outcome: 'ok' });
    const history = await client.getMetricHistory(run.runId, 'regret');
    expect(history).toHaveLength(1500);
    expect(history.map((h) => h.step).sort((a, b) => a - b)).toEqual(curve.map((c) => c.step));
    expect(history.find((h) => h.step === 900)?.value).toBeCloseTo(30, 12);
    expect((got.data.metrics ?? []).map((m) => m.key).sort()).toEqual(['final', 'regret']);
    expect((await client.downloadArtifact(got.info.artifact_uri, 'ope/table.md')).toString()).toBe('| a | b |\n');
    expect((await client.getRun(again.runId)).info.status).toBe('FAILED');
  });

  it('reports server errors with their MLflow error code', async () => {
    await expect(client.getRun('0123456789abcdef0123456789abcdef')).rejects.toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(new MlflowClient('http://127.0.0.1:9').getExperimentByName('x')).rejects.toThrow(/unreachable/);
  });

  describe('a materialization', () => {
    it('is one run of experiment bayesian-bandit with the regret curve as stepped metrics', async () => {
      const env = tempConfig({ BANDIT_OBD_PATH: await obdShaped(), MLFLOW_TRACKING_URI: mlflow.url });
      try {
        const p = await createPipeline(env.config, {}, { name: 'dagster r-123', tags: { 'dagster.run_id': 'r-123' } });
        const ingest = await p.run('ingest_obp', recordingContext(), {});
        const out = await p.run('replay', recordingContext(), { seed: 3 });
        await p.close();
        // one pipeline run = one parent MLflow run, each asset a child of it
        const childTags = async (url: string) => Object.fromEntries(((await client.getRun(path.basename(url))).data.tags ?? []).map((t) => [t.key, t.value]));
        const replayTags = await childTags((out.metadata.tracking_run as { value: string }).value);
        const ingestTags = await childTags((ingest.metadata.tracking_run as { value: string }).value);
        expect(out.metadata.tracking_run.type).toBe('url');
        expect(replayTags['mlflow.parentRunId']).toBeDefined();
        expect(ingestTags['mlflow.parentRunId']).toBe(replayTags['mlflow.parentRunId']);
        expect(replayTags).toMatchObject({ 'dagster.run_id': 'r-123', 'mlflow.source.type': 'JOB', 'mlflow.source.name': 'bandit-pipeline', 'bandit.asset': 'replay' });
        expect(replayTags['mlflow.user']).toEqual(expect.any(String));
        const parent = await client.getRun(replayTags['mlflow.parentRunId']);
        expect(parent.info.run_name).toBe('dagster r-123');
        expect(parent.info.status).toBe('FINISHED');
        expect(Object.fromEntries((parent.data.tags ?? []).map((t) => [t.key, t.value]))).toMatchObject({ 'dagster.run_id': 'r-123', 'bandit.pipeline_run': 'true' });
        const runUrl = (out.metadata.tracking_run as { value: string }).value;
        const runId = path.basename(runUrl);
        const exp = await client.getExperimentByName(EXPERIMENT_NAME);
        // MLflow 3 opens it as model training
        expect((exp as unknown as { tags?: Array<{ key: string; value: string }> }).tags).toEqual(expect.arrayContaining([{ key: 'mlflow.experimentKind', value: 'custom_model_development' }]));
        expect(runUrl).toBe(`${mlflow.url}/#/experiments/${exp?.experiment_id}/runs/${runId}`);
        const replay = await getJson<CampaignReplay>(createObjectStore(env.config), keys.replay('men'));
        const history = await client.getMetricHistory(runId, 'men.regret');
        expect(history.map((h) => [h.step, h.value]).sort((a, b) => a[0] - b[0])).toEqual(replay.curve.map((c) => [c.step, c.regret]));
        // the baselines on the same steps, checked against an independent pass over the CSV
        const ref = referenceBaselines(path.join(await obdShaped(), 'random', 'men', 'men.csv'));
        const byStep = async (key: string) => new Map((await client.getMetricHistory(runId, key)).map((h) => [h.step, h.value]));
        const uniform = await byStep('men.regret_uniform');
        const logging = await byStep('men.regret_logging');
        expect([...uniform.keys()].sort((a, b) => a - b)).toEqual(replay.curve.map((c) => c.step));
        for (const c of replay.curve) {
          expect(uniform.get(c.step)).toBeCloseTo(c.step * ref.gap, 9);
          expect(logging.get(c.step)).toBeCloseTo(ref.logging[c.step - 1], 9);
        }
        // the campaign's nested run holds the three curves under plain names
        const campaignRuns = await client.searchRuns([exp!.experiment_id], `tags.\`mlflow.parentRunId\` = '${runId}'`);
        const summary = await getJson<ReplaySummary>(createObjectStore(env.config), keys.replayManifest());
        expect(campaignRuns.map((r) => r.info.run_name).sort()).toEqual(summary.campaigns.map((c) => `replay ${c.campaign}`).sort());
        expect(campaignRuns.every((r) => r.info.status === 'FINISHED')).toBe(true);
        const men = campaignRuns.find((r) => r.info.run_name === 'replay men')!;
        for (const key of ['regret', 'regret_uniform', 'regret_logging']) {
          expect((await client.getMetricHistory(men.info.run_id, key)).map((h) => h.step).sort((a, b) => a - b)).toEqual(replay.curve.map((c) => c.step));
        }
        // the sampler learns: its regret ends below the uniform random policy's
        expect(replay.curve.at(-1)!.regret).toBeLessThan(uniform.get(replay.curve.at(-1)!.step)!);
        const run = await client.getRun(runId);
        expect(run.info.status).toBe('FINISHED');
        expect((await client.downloadArtifact(run.info.artifact_uri, 'replay/men.json')).length).toBeGreaterThan(100);
      } finally {
        env.cleanup();
      }
    });
  });

  it('skips artifacts (and says so in a tag) on a server that does not proxy them', async () => {
    const plain = await startMlflow({ serveArtifacts: false });
    try {
      const c = new MlflowClient(plain.url);
      const run = await new MlflowTracker(c).startRun('no-proxy', 'r');
      await run.logMetrics([{ key: 'm', value: 1, step: 0 }]);
      await run.logArtifact('ope/table.md', 'x');
      await run.end();
      const got = await c.getRun(run.runId);
      expect(got.info.status).toBe('FINISHED');
      expect(Object.fromEntries((got.data.tags ?? []).map((t) => [t.key, t.value]))['bandit.artifacts']).toMatch(/not uploaded: .*--serve-artifacts/);
      expect((got.data.metrics ?? []).map((m) => m.key)).toEqual(['m']);
    } finally {
      await plain.stop();
    }
  });
});
