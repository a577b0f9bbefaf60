/**
 * The four asset functions: each runs its step, records it in the tracking run and returns
 * the value `bandit materialize --json` prints plus Dagster materialization metadata.
 */
import type { AssetContext, AssetOutcome, MetadataValue } from './asset-graph';
import { resolveObdPath, type PipelineDeps, type PipelineOptions } from './pipeline.types';
import { estimatorsAgreeCheck, matchedRowsCheck, mergeChecks, propensityCheck, type CheckResult } from './checks';
import { ingestObp } from './ingest-obp';
import { obdSource } from './obd-source';
import { posteriorPlot, regretPlot } from './plots';
import { runReplay, type CampaignReplay } from './replay.asset';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { EXPERIMENT_NAME, type TrackingRun } from '../tracker';
import { invalidInput } from '../common/errors';
import { runConclude } from './conclude.asset';
import { EventStoreVerdicts } from './verdict-store';
import { requireIngested } from './ingest-obp';
import { protocolMarkdown, runOpe } from './ope.asset';

const int = (value: number): MetadataValue => ({ type: 'int', value });
/** A float, or a text 'n/a' for a non-finite value (JSON and Dagster's serdes have no NaN). */
const float = (value: number): MetadataValue => (Number.isFinite(value) ? { type: 'float', value } : { type: 'text', value: 'n/a' });
const text = (value: string): MetadataValue => ({ type: 'text', value });

export function seedOf(options: PipelineOptions): number {
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) throw invalidInput(`seed must be a number, got ${seed}`);
  return seed;
}

export async function ingestAsset(deps: PipelineDeps, ctx: AssetContext, options: PipelineOptions, run: TrackingRun): Promise<AssetOutcome> {
  const obdPath = resolveObdPath(deps.config, options);
  const result = await ingestObp(deps.store, ctx, { obdPath, campaigns: options.campaigns, behaviors: options.behaviors });
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
  // Dagster's own vocabulary: the rows of the silver logs tables and their columns
  metadata['dagster/row_count'] = int(result.datasets.reduce((s, d) => s + d.rows, 0));
  metadata['dagster/column_schema'] = { type: 'table_schema', value: SILVER_LOGS_COLUMNS };
  // the check per partition (a check of a partitioned asset is evaluated per partition), and over all
  const partitions: Array<NonNullable<AssetOutcome['partitions']>[number]> = [];
  const sliceChecks: CheckResult[] = [];
  for (const d of result.datasets) {
    const check = await propensityCheck(deps.store, [d]);
    sliceChecks.push(check);
    partitions.push({
      dimensions: { campaign: d.campaign, policy: d.behavior },
      metadata: {
        rows: int(d.rows),
        clicks: int(d.clicks),
        ctr: float(d.ctr),
        items: int(d.items),
        status: text(d.status),
        'dagster/row_count': int(d.rows),
        'dagster/column_schema': { type: 'table_schema', value: SILVER_LOGS_COLUMNS } as MetadataValue,
      },
      dataVersion: ingestDataVersion([d]),
      checks: [check],
    });
  }
  return { value: result, metadata, dataVersion: ingestDataVersion(result.datasets), partitions, checks: sliceChecks.length > 0 ? [mergeChecks(sliceChecks)] : [await propensityCheck(deps.store, [])] };
}

/** Columns of silver/obp/<behavior>/<campaign>/logs.parquet (plus the log's user_feature_* columns). */
export const SILVER_LOGS_COLUMNS = [
  { name: 'row', type: 'BIGINT', description: 'position of the row in time order (0-based)' },
  { name: 'timestamp', type: 'TIMESTAMPTZ', description: 'impression time' },
  { name: 'item_id', type: 'INTEGER', description: 'id of the shown item (0..K-1, item_context.parquet)' },
  { name: 'position', type: 'TINYINT', description: 'slot of the item (1..3)' },
  { name: 'click', type: 'TINYINT', description: 'reward: 1 when clicked' },
  { name: 'propensity_score', type: 'DOUBLE', description: 'probability that the logging policy showed the item in the slot, in (0, 1]' },
  { name: 'user_feature_*', type: 'VARCHAR', description: 'user features as logged' },
];

/**
 * The data version of an ingest: SHA-256 over the input files' hashes recorded in the silver
 * manifests (behavior/campaign order), so it changes exactly when the ingested logs change.
 */
export function ingestDataVersion(datasets: ReadonlyArray<{ behavior: string; campaign: string; inputs: ReadonlyArray<{ file: string; sha256: string }> }>): string {
  const lines = [...datasets]
    .sort((a, b) => `${a.behavior}/${a.campaign}`.localeCompare(`${b.behavior}/${b.campaign}`))
    .flatMap((d) => d.inputs.map((i) => `${i.file}\t${i.sha256}`));
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
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
      ...r.curve.flatMap((p, i) => [
        { key: `${r.campaign}.regret`, value: p.regret, step: p.step },
        { key: `${r.campaign}.cumulative_reward`, value: p.cumulativeReward, step: p.step },
        // the baselines on the same steps: one chart shows whether the sampler learns
        { key: `${r.campaign}.regret_uniform`, value: r.baselines.uniform[i], step: p.step },
        { key: `${r.campaign}.regret_logging`, value: r.baselines.logging[i], step: p.step },
      ]),
    ]);
    await run.logArtifact(`replay/${r.campaign}.json`, JSON.stringify(r, null, 2), 'application/json');
    for (const a of await plotsOf(r)) await run.logArtifact(a.path, a.svg, 'image/svg+xml');
    // the campaign's own nested run: its curves under plain names, so one chart holds them all
    await campaignRun(deps, run, 'replay', r.campaign, async (child) => {
      await child.logMetrics([
        { key: 'matched_ctr', value: r.matchedCtr },
        { key: 'matched_rows', value: r.matched },
        ...r.curve.flatMap((p, i) => [
          { key: 'regret', value: p.regret, step: p.step },
          { key: 'regret_uniform', value: r.baselines.uniform[i], step: p.step },
          { key: 'regret_logging', value: r.baselines.logging[i], step: p.step },
          { key: 'cumulative_reward', value: p.cumulativeReward, step: p.step },
        ]),
      ]);
      for (const a of await plotsOf(r)) await child.logArtifact(a.path, a.svg, 'image/svg+xml');
    });
  }
  const metadata: Record<string, MetadataValue> = { campaigns: int(results.length), seed: int(seed), prior: text(options.priorPath ?? 'uniform') };
  for (const c of summary.campaigns) {
    metadata[`${c.campaign}.matched_ctr`] = float(c.matchedCtr ?? NaN);
    metadata[`${c.campaign}.matched_rows`] = int(c.matched);
    metadata[`${c.campaign}.final_regret`] = float(c.finalRegret);
  }
  return { value: summary, metadata, checks: [matchedRowsCheck(summary.campaigns)] };
}

/** A tracking run of one campaign, nested under the asset's run (`<asset> <campaign>`). */
async function campaignRun(deps: PipelineDeps, parent: TrackingRun, asset: string, campaign: string, fill: (run: TrackingRun) => Promise<void>): Promise<void> {
  const child = await deps.tracker.startRun(EXPERIMENT_NAME, `${asset} ${campaign}`, { 'mlflow.parentRunId': parent.runId, 'bandit.asset': asset, 'bandit.campaign': campaign });
  try {
    await fill(child);
    await child.end('FINISHED');
  } catch (err) {
    await child.end('FAILED').catch(() => undefined);
    throw err;
  }
}

/** Regret and posterior plots of one campaign's replay. */
async function plotsOf(r: CampaignReplay): Promise<Array<{ path: string; svg: string }>> {
  return [
    { path: `plots/${r.campaign}-regret.svg`, svg: regretPlot(r) },
    { path: `plots/${r.campaign}-posteriors.svg`, svg: posteriorPlot(r) },
  ];
}


/** The production policy's prior file beside the OBD logs: in the folder, or an object under the bucket prefix (copied locally). */
async function priorBeside(deps: PipelineDeps, obdPath: string): Promise<string | undefined> {
  const source = obdSource(obdPath, deps.store);
  if (source.kind === 'folder') return path.join(source.path, BTS_PRIOR_FILE);
  const key = `${source.prefix}/${BTS_PRIOR_FILE}`;
  return (await deps.store.exists(key)) ? deps.store.localPath(key) : undefined;
}

const BTS_PRIOR_FILE = 'zozotown_prior_bts.json';

export async function opeAsset(deps: PipelineDeps, ctx: AssetContext, options: PipelineOptions, run: TrackingRun): Promise<AssetOutcome> {
  const seed = seedOf(options);
  const ingest = await requireIngested(deps.store);
  const obdPath = options.obdPath ?? ingest.obdPath ?? deps.config.obdPath;
  const btsPriorPath = options.btsPriorPath ?? (obdPath ? await priorBeside(deps, obdPath) : undefined);
  const o = {
    seed,
    bootstrap: options.bootstrap ?? 1000,
    nSim: options.nSim ?? 100_000,
    folds: options.folds ?? 5,
    alpha: options.alpha ?? 0.05,
    lambda: options.lambda,
    btsPriorPath,
    campaigns: options.campaigns,
  };
  const results = await runOpe(deps.store, ctx, o);
  const table = protocolMarkdown(results);
  await run.logParams({ seed, bootstrap: o.bootstrap, n_sim: o.nSim, folds: o.folds, alpha: o.alpha, lambda: String(o.lambda ?? 'inf'), bts_prior: btsPriorPath ?? 'none', reward_model: 'per-(item, slot) Beta-smoothed click rate, cross-fitted' });
  const metrics = results.flatMap((r) => [
    ...r.evaluations.flatMap((ev) => ev.estimates.map((e) => ({ key: `${r.campaign}.${ev.policy}.${e.estimator}`, value: e.value }))),
    ...r.protocol.map((p) => ({ key: `${r.campaign}.bts.${p.estimator}.relative_error`, value: p.relativeError })),
  ]);
  await run.logMetrics(metrics);
  for (const r of results) {
    await campaignRun(deps, run, 'ope', r.campaign, (child) =>
      child.logMetrics([
        ...r.evaluations.flatMap((ev) => ev.estimates.map((e) => ({ key: `${ev.policy}.${e.estimator}`, value: e.value }))),
        ...r.protocol.map((p) => ({ key: `bts.${p.estimator}.relative_error`, value: p.relativeError })),
      ]),
    );
  }
  await run.logArtifact('ope/table.md', table, 'text/markdown');
  for (const r of results) await run.logArtifact(`ope/${r.campaign}.json`, JSON.stringify(r, null, 2), 'application/json');
  const metadata: Record<string, MetadataValue> = { campaigns: int(results.length), bootstrap: int(o.bootstrap), n_sim: int(o.nSim), protocol_table: { type: 'md', value: table } };
  for (const r of results) {
    if (r.btsOnPolicyCtr !== null) metadata[`${r.campaign}.bts_on_policy_ctr`] = float(r.btsOnPolicyCtr);
    for (const p of r.protocol) metadata[`${r.campaign}.bts.${p.estimator}`] = float(p.value);
    const ours = r.evaluations.find((e) => e.policy === 'ours');
    for (const e of ours?.estimates ?? []) metadata[`${r.campaign}.ours.${e.estimator}`] = float(e.value);
  }
  return { value: { campaigns: results, table }, metadata, checks: [estimatorsAgreeCheck(results)] };
}

export async function concludeAsset(deps: PipelineDeps, ctx: AssetContext, options: PipelineOptions, run: TrackingRun): Promise<AssetOutcome> {
  const verdicts = await (deps.verdicts ?? (() => EventStoreVerdicts.open(deps.config)))();
  try {
    const result = await runConclude(deps.store, verdicts, ctx, { experiments: options.experiments, now: new Date() });
    await run.logParams({ experiments: result.verdicts.map((d) => d.experimentId).join(',') });
    await run.logMetrics(result.verdicts.flatMap((d) => [
      { key: `${d.experimentId}.prob_best`, value: d.probBestOfLeader },
      { key: `${d.experimentId}.expected_loss`, value: d.expectedLossOfLeader },
    ]));
    await run.setTags(Object.fromEntries(result.verdicts.map((d) => [`verdict.${d.experimentId}`, d.winner ? `winner: ${d.winner}` : d.status])));
    await run.logArtifact('conclude/verdicts.json', JSON.stringify(result, null, 2), 'application/json');
    const metadata: Record<string, MetadataValue> = { verdicts: int(result.verdicts.length) };
    for (const d of result.verdicts) {
      metadata[d.experimentId] = text(`${d.status}${d.winner ? ` (${d.winner})` : ''}: leader ${d.leader}, P(best) ${d.probBestOfLeader.toFixed(4)}, expected loss ${d.expectedLossOfLeader.toExponential(2)}`);
    }
    return { value: result, metadata };
  } finally {
    await verdicts.close();
  }
}
