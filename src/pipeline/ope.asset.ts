/**
 * ope: off-policy evaluation on the uniformly random logs of each ingested campaign, of
 *  (a) the production Bernoulli TS policy (its action distribution simulated from its
 *      prior, as obp does) — compared against the BTS logs' own click rate (the paper's
 *      protocol: relative estimation error), and
 *  (b) our sampler as the replay left it (action distribution simulated from its final
 *      posteriors).
 *
 * The scalable path: DuckDB aggregates the rows into cells (fold, item, slot, click,
 * propensity) with counts; the estimators and the multinomial cell bootstrap run on the
 * cells (docs/ope.md). Nothing row-sized reaches JavaScript.
 */
import * as path from 'node:path';
import { invalidInput, notFound } from '../common/errors';
import { evaluateOnCells } from '../core/ope/evaluate-cells';
import { crossFittedRewardModel, emptyFoldStats } from '../core/ope/reward-model';
import { topKActionDist } from '../core/ope/top-k-action-dist';
import { ESTIMATORS, type Estimate, type EstimatorName } from '../core/ope/types';
import type { OpeCell } from '../core/ope/units';
import { createRng } from '../core/rng';
import { getJson, putJson, type ObjectStore } from '../object-store';
import type { AssetContext } from './asset-graph';
import { Duck, sqlString } from './duckdb';
import { fileExists } from './files';
import type { DatasetManifest } from './ingest-obp';
import { requireIngested } from './ingest-obp';
import { keys } from './layout';
import { loadPrior } from './prior';
import { randomDatasets, requireReplay } from './replay.asset';

export const LEN_LIST = 3;

export interface CellOpeOptions {
  folds: number;
  bootstrap: number;
  alpha: number;
  lambda?: number;
  seed: number;
  estimators?: readonly EstimatorName[];
  onReplicate?: (done: number) => void;
}

export interface CellData {
  cells: OpeCell[];
  rows: number;
  q: Float64Array;
}

/**
 * Aggregates a log file into cells and fits q̂. Parquet or CSV with item_id, position 1..3,
 * click, propensity_score; the fold of a row is its `row` column (the silver layer's
 * time-order index) mod K, or its position in the file when there is none.
 */
export async function cellsOfLogs(duck: Duck, file: string, items: number, folds: number): Promise<CellData> {
  const src = /\.parquet$/i.test(file) ? `read_parquet(${sqlString(file)})` : `read_csv(${sqlString(file)}, header = true)`;
  const cols = (await duck.all<{ column_name: string }>(`DESCRIBE SELECT * FROM ${src}`)).map((r) => r.column_name);
  for (const c of ['item_id', 'position', 'click', 'propensity_score']) if (!cols.includes(c)) throw invalidInput(`logs ${file}: missing column ${c}`);
  let from = src;
  let rowExpr = '"row"';
  if (!cols.includes('row')) {
    // a table keeps insertion order, so rowid is the position in the file
    await duck.run(`CREATE OR REPLACE TEMP TABLE ope_cells_src AS SELECT item_id, position, click, propensity_score FROM ${src}`);
    from = 'ope_cells_src';
    rowExpr = 'rowid';
  }
  const cells = await duck.all<OpeCell>(
    `SELECT fold, item, slot, click, pscore, count(*)::DOUBLE AS count FROM (
       SELECT (${rowExpr} % ${folds})::INTEGER AS fold, item_id::INTEGER AS item, (position - 1)::INTEGER AS slot,
              click::DOUBLE AS click, propensity_score::DOUBLE AS pscore FROM ${from})
     GROUP BY ALL ORDER BY ALL`,
  );
  if (from !== src) await duck.run('DROP TABLE ope_cells_src');
  const o = { folds, items, lenList: LEN_LIST };
  const stats = emptyFoldStats(o);
  let rows = 0;
  for (const c of cells) {
    if (!(c.item >= 0 && c.item < items) || !(c.slot >= 0 && c.slot < LEN_LIST)) throw invalidInput(`logs ${file}: item ${c.item} / position ${c.slot + 1} outside 0..${items - 1} / 1..${LEN_LIST}`);
    const j = (c.fold * items + c.item) * LEN_LIST + c.slot;
    stats.rows[j] += c.count;
    stats.clicks[j] += c.count * c.click;
    rows += c.count;
  }
  return { cells, rows, q: crossFittedRewardModel(stats, o) };
}

/**
 * Every estimator with bootstrap intervals, for a policy π(a|k) shared by all rows. The
 * reward model is refitted inside every bootstrap replicate (evaluate-cells.ts), so DM's
 * interval includes the model's uncertainty; the point estimates use `data.q`'s fit.
 */
export function opeOnCells(data: CellData, policy: Float64Array, items: number, o: CellOpeOptions, stream: string): Estimate[] {
  return evaluateOnCells(data.cells, policy, { folds: o.folds, items, lenList: LEN_LIST }, o.estimators ?? ESTIMATORS, {
    lambda: o.lambda,
    replayMatch: 'expected',
    bootstrap: o.bootstrap > 0 ? { replicates: o.bootstrap, alpha: o.alpha, rng: createRng(`ope/${stream}/${o.seed}`), onReplicate: o.onReplicate } : undefined,
  });
}

export interface PolicyEvaluation {
  policy: 'bts' | 'ours';
  description: string;
  estimates: Estimate[];
}

export interface ProtocolRow {
  estimator: EstimatorName;
  value: number;
  lower?: number;
  upper?: number;
  relativeError: number;
}

export interface CampaignOpe {
  campaign: string;
  rows: number;
  cells: number;
  folds: number;
  bootstrap: number;
  nSim: number;
  lambda: number | null;
  /** Mean click of the BTS logs (the ground truth of the paper's protocol), when ingested. */
  btsOnPolicyCtr: number | null;
  randomCtr: number;
  evaluations: PolicyEvaluation[];
  protocol: ProtocolRow[];
  /** Our sampler's replay click rate (matched rows), from the replay asset. */
  replayMatchedCtr: number | null;
}

export interface OpeAssetOptions extends CellOpeOptions {
  nSim: number;
  btsPriorPath?: string;
  campaigns?: readonly string[];
}

async function btsGroundTruth(store: ObjectStore, duck: Duck, campaign: string): Promise<number | null> {
  const ingest = await requireIngested(store);
  const d = ingest.datasets.find((x) => x.behavior === 'bts' && x.campaign === campaign);
  if (!d) return null;
  const m = await getJson<DatasetManifest>(store, d.manifest);
  const file = await store.localPath(m.objects.logs);
  return (await duck.one<{ ctr: number }>(`SELECT avg(click)::DOUBLE AS ctr FROM read_parquet(${sqlString(file)})`)).ctr;
}

export function protocolTable(truth: number | null, estimates: readonly Estimate[]): ProtocolRow[] {
  return estimates.map((e) => ({
    estimator: e.estimator,
    value: e.value,
    lower: e.ci?.lower,
    upper: e.ci?.upper,
    relativeError: truth ? Math.abs(e.value - truth) / truth : NaN,
  }));
}

const f6 = (x: number | undefined | null) => (x === undefined || x === null || !Number.isFinite(x) ? '—' : x.toFixed(6));
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');

/** The paper's protocol table (markdown) for every campaign. */
export function protocolMarkdown(results: readonly CampaignOpe[]): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(`### ${r.campaign}: BTS policy estimated from the random logs (${r.rows} rows)`, '');
    out.push(`Ground truth V (BTS logs' click rate): ${f6(r.btsOnPolicyCtr)}; random logs' click rate ${f6(r.randomCtr)}; B = ${r.bootstrap} (rows resampled, reward model refitted in every replicate), n_sim = ${r.nSim}, K = ${r.folds} folds, λ = ${r.lambda ?? '∞'}.`, '');
    out.push('| estimator | V̂ | 95% CI | relative error \\|V̂ − V\\| / V |', '|---|---:|---|---:|');
    for (const p of r.protocol) out.push(`| ${p.estimator} | ${f6(p.value)} | [${f6(p.lower)}, ${f6(p.upper)}] | ${f3(p.relativeError)} |`);
    const ours = r.evaluations.find((e) => e.policy === 'ours');
    if (ours) {
      out.push('', `Our sampler after replay (${ours.description}); replay matched-row click rate ${f6(r.replayMatchedCtr)}:`, '');
      out.push('| estimator | V̂ | 95% CI |', '|---|---:|---|');
      for (const e of ours.estimates) out.push(`| ${e.estimator} | ${f6(e.value)} | [${f6(e.ci?.lower)}, ${f6(e.ci?.upper)}] |`);
    }
    out.push('');
  }
  return out.join('\n');
}

export async function runOpe(store: ObjectStore, ctx: AssetContext, o: OpeAssetOptions): Promise<CampaignOpe[]> {
  const datasets = await randomDatasets(store, o.campaigns);
  const replays = await requireReplay(store);
  const results: CampaignOpe[] = [];
  const duck = await Duck.open();
  const steps = datasets.length * 2 * (o.bootstrap + 1);
  let done = 0;
  try {
    for (const ds of datasets) {
      const file = await store.localPath(ds.objects.logs);
      const data = await cellsOfLogs(duck, file, ds.items, o.folds);
      const evaluations: PolicyEvaluation[] = [];
      const progress = (label: string) => (b: number) => {
        if (b % 50 === 0 || b === o.bootstrap) ctx.progress(done + b, steps, label);
      };
      // (a) the production BTS policy
      const priorPath = o.btsPriorPath;
      if (priorPath && (await fileExists(priorPath))) {
        const prior = await loadPrior(priorPath, ds.campaign, ds.items).catch((err: Error) => {
          ctx.log.warn(`${ds.campaign}: no BTS prior (${err.message}); skipping the BTS policy`);
          return null;
        });
        if (prior) {
          const pi = topKActionDist(prior.alpha, prior.beta, LEN_LIST, o.nSim, createRng(`bts-sim/${ds.campaign}/${o.seed}`));
          evaluations.push({ policy: 'bts', description: `Bernoulli TS with the prior of ${path.basename(priorPath)}, n_sim ${o.nSim}`, estimates: opeOnCells(data, pi, ds.items, { ...o, onReplicate: progress(`${ds.campaign} BTS`) }, `bts/${ds.campaign}`) });
        }
      } else ctx.log.warn(`${ds.campaign}: BTS prior file ${priorPath ?? '(none)'} not found; skipping the BTS policy`);
      done += o.bootstrap + 1;
      // (b) our sampler, as the replay left it
      const replay = replays.find((r) => r.campaign === ds.campaign);
      if (!replay) throw notFound(`upstream asset replay has no result for campaign ${ds.campaign}; run \`bandit materialize replay\` first`);
      const pi = topKActionDist(replay.alpha, replay.beta, LEN_LIST, o.nSim, createRng(`ours-sim/${ds.campaign}/${o.seed}`));
      evaluations.push({ policy: 'ours', description: `our Bernoulli TS with its posteriors after replay (prior ${path.basename(replay.prior.source)}), n_sim ${o.nSim}`, estimates: opeOnCells(data, pi, ds.items, { ...o, onReplicate: progress(`${ds.campaign} ours`) }, `ours/${ds.campaign}`) });
      done += o.bootstrap + 1;
      const truth = await btsGroundTruth(store, duck, ds.campaign);
      const bts = evaluations.find((e) => e.policy === 'bts');
      const result: CampaignOpe = {
        campaign: ds.campaign,
        rows: data.rows,
        cells: data.cells.length,
        folds: o.folds,
        bootstrap: o.bootstrap,
        nSim: o.nSim,
        lambda: Number.isFinite(o.lambda ?? Infinity) ? (o.lambda as number) : null,
        btsOnPolicyCtr: truth,
        randomCtr: ds.ctr,
        evaluations,
        protocol: bts ? protocolTable(truth, bts.estimates) : [],
        replayMatchedCtr: Number.isFinite(replay.matchedCtr) ? replay.matchedCtr : null,
      };
      await putJson(store, keys.ope(ds.campaign), result);
      results.push(result);
    }
  } finally {
    duck.close();
  }
  await store.put(keys.opeTable(), protocolMarkdown(results));
  await putJson(store, keys.opeManifest(), { campaigns: results.map((r) => ({ campaign: r.campaign, key: keys.ope(r.campaign) })) });
  return results;
}

export async function requireOpe(store: ObjectStore): Promise<CampaignOpe[]> {
  if (!(await store.exists(keys.opeManifest()))) {
    throw notFound(`upstream asset ope was never materialized (no ${store.uri(keys.opeManifest())}); run \`bandit materialize ope\` first`);
  }
  const m = await getJson<{ campaigns: Array<{ key: string }> }>(store, keys.opeManifest());
  return Promise.all(m.campaigns.map((c) => getJson<CampaignOpe>(store, c.key)));
}
