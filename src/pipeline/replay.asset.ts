/**
 * replay: our Bernoulli Thompson sampler replayed on the uniformly random logs of each
 * ingested campaign (the core's `createReplay`), rows streamed from DuckDB in time order.
 */
import { createReplay, type ReplayResult } from '../core/replay';
import { createRng } from '../core/rng';
import { BanditError, ErrorCode, invalidInput, notFound } from '../common/errors';
import { getJson, putJson, type ObjectStore } from '../object-store';
import type { AssetContext } from './asset-graph';
import { Duck, sqlString } from './duckdb';
import { requireIngested, type DatasetManifest } from './ingest-obp';
import { keys } from './layout';
import { loadPrior, uniformPrior, type BetaPrior } from './prior';

export interface ReplayOptions {
  seed: number;
  /** Prior file (zozotown_prior_bts.json shape); uniform Beta(1, 1) when undefined. */
  priorPath?: string;
  campaigns?: readonly string[];
}

export interface CampaignReplay extends ReplayResult {
  campaign: string;
  seed: number;
  prior: BetaPrior;
  /** Per-item click rates over all random-log rows (the hindsight used for regret). */
  hindsightCtr: number[];
  finalRegret: number;
  /**
   * Baselines on the same steps as `curve` (t = matched rows of our sampler): the expected
   * regret of a uniformly random policy, t·(μ* − mean μ), and the realized regret of the
   * logging policy over the first t logged rows, Σ_{s≤t} (μ* − μ_{a_s}).
   */
  baselines: { uniform: number[]; logging: number[] };
}

export interface ReplaySummary {
  campaigns: Array<{ campaign: string; key: string; rows: number; matched: number; clicks: number; matchedCtr: number | null; bestItem: number; bestItemCtr: number; finalRegret: number; prior: string }>;
}

/** The random-log datasets of the ingest, restricted to `campaigns` when given. */
export async function randomDatasets(store: ObjectStore, campaigns?: readonly string[]): Promise<DatasetManifest[]> {
  const ingest = await requireIngested(store);
  const out: DatasetManifest[] = [];
  for (const d of ingest.datasets) {
    if (d.behavior !== 'random') continue;
    if (campaigns && campaigns.length > 0 && !campaigns.includes(d.campaign)) continue;
    out.push(await getJson<DatasetManifest>(store, d.manifest));
  }
  if (campaigns) for (const c of campaigns) if (!out.some((d) => d.campaign === c)) throw notFound(`campaign ${c} has no ingested random logs (ingest_obp holds ${ingest.datasets.map((d) => `${d.behavior}/${d.campaign}`).join(', ')})`);
  if (out.length === 0) throw invalidInput('the ingest holds no random-policy logs (replay and OPE need <obd>/random/<campaign>/<campaign>.csv)');
  return out;
}

export async function replayCampaign(store: ObjectStore, duck: Duck, ds: DatasetManifest, options: ReplayOptions, ctx: AssetContext, onRows: (n: number) => void): Promise<CampaignReplay> {
  const file = sqlString(await store.localPath(ds.objects.logs));
  const prior = options.priorPath ? await loadPrior(options.priorPath, ds.campaign, ds.items) : uniformPrior(ds.items);
  const perItem = await duck.all<{ item: number; ctr: number }>(`SELECT item_id AS item, avg(click)::DOUBLE AS ctr FROM read_parquet(${file}) GROUP BY item_id`);
  const hindsightCtr = new Array<number>(ds.items).fill(0);
  for (const r of perItem) hindsightCtr[r.item] = r.ctr;
  const replay = createReplay({
    alpha: prior.alpha,
    beta: prior.beta,
    lenList: 3,
    hindsightCtr,
    rng: createRng(`replay/${ds.campaign}/${options.seed}`),
    expectedMatches: Math.ceil(ds.rows / ds.items),
  });
  for await (const chunk of duck.chunks(`SELECT item_id, position - 1, click FROM read_parquet(${file}) ORDER BY "row"`)) {
    if (ctx.signal.aborted) throw new BanditError(ErrorCode.Unavailable, 'replay canceled');
    replay.stepChunk(chunk.columns[0], chunk.columns[1], chunk.columns[2], chunk.rows);
    onRows(chunk.rows);
  }
  const r = replay.result();
  const baselines = await regretBaselines(duck, file, hindsightCtr, r.curve.map((c) => c.step));
  return { ...r, campaign: ds.campaign, seed: options.seed, prior, hindsightCtr, finalRegret: r.curve.at(-1)?.regret ?? 0, baselines };
}

/** The uniform-random and logging-policy regrets at `steps` (see `CampaignReplay.baselines`). */
async function regretBaselines(duck: Duck, file: string, hindsightCtr: readonly number[], steps: readonly number[]): Promise<{ uniform: number[]; logging: number[] }> {
  const best = Math.max(...hindsightCtr);
  const mean = hindsightCtr.reduce((s, x) => s + x, 0) / hindsightCtr.length;
  const uniform = steps.map((t) => t * (best - mean));
  if (steps.length === 0) return { uniform, logging: [] };
  const rates = hindsightCtr.map((c, i) => `(${i}, ${c})`).join(', ');
  const rows = await duck.all<{ step: number; regret: number }>(
    `WITH rates(item_id, ctr) AS (VALUES ${rates}),
          c AS (SELECT l."row" + 1 AS step, sum(${best} - rates.ctr) OVER (ORDER BY l."row" ROWS UNBOUNDED PRECEDING) AS regret
                FROM read_parquet(${file}) l JOIN rates USING (item_id))
     SELECT step::BIGINT::DOUBLE AS step, regret::DOUBLE AS regret FROM c WHERE step IN (${[...new Set(steps)].join(', ')})`,
  );
  const at = new Map(rows.map((x) => [Number(x.step), Number(x.regret)]));
  return { uniform, logging: steps.map((t) => at.get(t) ?? NaN) };
}

export async function runReplay(store: ObjectStore, ctx: AssetContext, options: ReplayOptions): Promise<{ summary: ReplaySummary; results: CampaignReplay[] }> {
  const datasets = await randomDatasets(store, options.campaigns);
  const total = datasets.reduce((s, d) => s + d.rows, 0);
  let done = 0;
  const duck = await Duck.open();
  const results: CampaignReplay[] = [];
  try {
    for (const ds of datasets) {
      const r = await replayCampaign(store, duck, ds, options, ctx, (n) => {
        done += n;
        ctx.progress(done, total, `replay ${ds.campaign}`);
      });
      await putJson(store, keys.replay(ds.campaign), r);
      ctx.log.info(`${ds.campaign}: ${r.matched} of ${r.rows} rows matched, click rate ${r.matchedCtr.toFixed(5)}, regret ${r.finalRegret.toFixed(3)}`);
      results.push(r);
    }
  } finally {
    duck.close();
  }
  const summary: ReplaySummary = {
    campaigns: results.map((r) => ({
      campaign: r.campaign,
      key: keys.replay(r.campaign),
      rows: r.rows,
      matched: r.matched,
      clicks: r.clicks,
      matchedCtr: Number.isFinite(r.matchedCtr) ? r.matchedCtr : null,
      bestItem: r.bestItem,
      bestItemCtr: r.bestItemCtr,
      finalRegret: r.finalRegret,
      prior: r.prior.source,
    })),
  };
  await putJson(store, keys.replayManifest(), summary);
  return { summary, results };
}

/** The replay results of every campaign of the last replay materialization. */
export async function requireReplay(store: ObjectStore): Promise<CampaignReplay[]> {
  if (!(await store.exists(keys.replayManifest()))) {
    throw notFound(`upstream asset replay was never materialized (no ${store.uri(keys.replayManifest())}); run \`bandit materialize replay\` first`);
  }
  const summary = await getJson<ReplaySummary>(store, keys.replayManifest());
  return Promise.all(summary.campaigns.map((c) => getJson<CampaignReplay>(store, c.key)));
}
