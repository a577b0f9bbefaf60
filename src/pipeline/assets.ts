/**
 * The four asset functions: each runs its step, records it in the tracking run and returns
 * the value `bandit materialize --json` prints plus Dagster materialization metadata.
 */
import type { AssetContext, AssetOutcome, MetadataValue } from './asset-graph';
import { resolveObdPath, type PipelineDeps, type PipelineOptions } from './pipeline.types';
import { ingestObp } from './ingest-obp';
import { runReplay } from './replay.asset';
import type { TrackingRun } from '../tracking';
import { invalidInput } from '../common/errors';

const int = (value: number): MetadataValue => ({ type: 'int', value });
const float = (value: number): MetadataValue => ({ type: 'float', value });
const text = (value: string): MetadataValue => ({ type: 'text', value });

export function seedOf(options: PipelineOptions): number {
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) throw invalidInput(`seed must be a number, got ${seed}`);
  return seed;
}

export async function ingestAsset(deps: PipelineDeps, ctx: AssetContext, options: PipelineOptions, run: TrackingRun): Promise<AssetOutcome> {
  const obdPath = resolveObdPath(deps.config, options);
  const result = await ingestObp(deps.store, ctx, { obdPath, campaigns: options.campaigns });
  await run.logParams({ obd_path: obdPath, campaigns: result.datasets.map((d) => `${d.behavior}/${d.campaign}`).join(',') });
  await run.logMetrics(result.datasets.flatMap((d) => [
    { key: `${d.behavior}.${d.campaign}.rows`, value: d.rows },
    { key: `${d.behavior}.${d.campaign}.ctr`, value: d.ctr },
  ]));
  const metadata: Record<string, MetadataValue> = {
    store: text(result.store),
    datasets: int(result.datasets.length),
    rows: int(result.datasets.reduce((s, d) => s + d.rows, 0)),
    written: int(result.datasets.filter((d) => d.status === 'written').length),
    unchanged: int(result.datasets.filter((d) => d.status === 'unchanged').length),
  };
  for (const d of result.datasets) {
    metadata[`${d.behavior}/${d.campaign}`] = text(`${d.rows} rows, ${d.clicks} clicks (CTR ${d.ctr.toFixed(5)}), ${d.items} items — ${d.status}`);
  }
  return { value: result, metadata };
}

export async function replayAsset(deps: PipelineDeps, ctx: AssetContext, options: PipelineOptions, run: TrackingRun): Promise<AssetOutcome> {
  const seed = seedOf(options);
  const { summary, results } = await runReplay(deps.store, ctx, { seed, priorPath: options.priorPath, campaigns: options.campaigns });
  await run.logParams({ seed, prior: options.priorPath ?? 'uniform', campaigns: results.map((r) => r.campaign).join(','), slots: 3 });
  for (const r of results) {
    await run.logMetrics([
      { key: `${r.campaign}.matched_ctr`, value: r.matchedCtr },
      { key: `${r.campaign}.matched_rows`, value: r.matched },
      { key: `${r.campaign}.final_regret`, value: r.finalRegret },
      ...r.curve.flatMap((p) => [
        { key: `${r.campaign}.regret`, value: p.regret, step: p.step },
        { key: `${r.campaign}.cumulative_reward`, value: p.cumulativeReward, step: p.step },
      ]),
    ]);
    await run.logArtifact(`replay/${r.campaign}.json`, JSON.stringify(r, null, 2), 'application/json');
    for (const a of await plotsOf(r)) await run.logArtifact(a.path, a.svg, 'image/svg+xml');
  }
  const metadata: Record<string, MetadataValue> = { campaigns: int(results.length), seed: int(seed), prior: text(options.priorPath ?? 'uniform') };
  for (const c of summary.campaigns) {
    metadata[`${c.campaign}.matched_ctr`] = float(c.matchedCtr ?? NaN);
    metadata[`${c.campaign}.matched_rows`] = int(c.matched);
    metadata[`${c.campaign}.final_regret`] = float(c.finalRegret);
  }
  return { value: summary, metadata };
}

/** Regret and posterior plots (empty when no plotting module is available). */
async function plotsOf(_r: unknown): Promise<Array<{ path: string; svg: string }>> {
  return [];
}

export { opeAsset, concludeAsset } from './assets-later';
