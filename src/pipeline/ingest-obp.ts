/**
 * ingest_obp: validates Open Bandit Dataset logs and writes them to the object store.
 *
 * Input: `<obdPath>/<behavior>/<campaign>/<campaign>.csv` + `item_context.csv` for
 * behavior random / bts and campaign all / men / women, whichever are present.
 * Output: bronze (the files as received) under raw/obp/…, silver (typed Parquet written
 * by DuckDB, rows in time order, and a manifest written last) under silver/obp/….
 *
 * Nothing is written until every selected file has validated; a bad row stops the run
 * with an error naming the file, the line and the column. A dataset whose inputs have
 * the sha256 recorded in its manifest is left as it is (re-running changes nothing).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { BanditError, ErrorCode, invalidInput } from '../common/errors';
import { getJson, putJson, type ObjectStore } from '../object-store';
import type { AssetContext } from './asset-graph';
import { Duck, sqlIdent, sqlString } from './duckdb';
import { fileExists, sha256File, withTempDir } from './files';
import { BEHAVIORS, CAMPAIGNS, keys, type Behavior } from './layout';

export const REQUIRED_LOG_COLUMNS = ['timestamp', 'item_id', 'position', 'click', 'propensity_score'] as const;

export interface InputFile {
  /** Path relative to the OBD folder (e.g. random/men/men.csv). */
  file: string;
  bytes: number;
  sha256: string;
}

export interface DatasetManifest {
  schemaVersion: 1;
  behavior: Behavior;
  campaign: string;
  rows: number;
  clicks: number;
  ctr: number;
  /** Items in item_context (ids 0..items−1). */
  items: number;
  /** Distinct items in the logs. */
  itemsSeen: number;
  firstTimestamp: string;
  lastTimestamp: string;
  inputs: InputFile[];
  objects: { logs: string; itemContext: string; raw: string[] };
}

export interface IngestManifest {
  schemaVersion: 1;
  /** The OBD folder of the last ingest (the BTS prior file is looked for beside it). */
  obdPath?: string;
  datasets: Array<{ behavior: Behavior; campaign: string; manifest: string; rows: number; clicks: number; items: number }>;
}

export interface IngestResult {
  store: string;
  datasets: Array<DatasetManifest & { status: 'written' | 'unchanged' }>;
}

interface Found {
  behavior: Behavior;
  campaign: string;
  dir: string;
  logsFile: string;
  itemFile: string;
}

/** The datasets present under `obdPath` (restricted to `campaigns` / `behaviors` when given). */
export async function discoverObd(obdPath: string, campaigns?: readonly string[], behaviors?: readonly Behavior[]): Promise<Found[]> {
  const st = await fs.stat(obdPath).catch(() => null);
  if (!st?.isDirectory()) throw invalidInput(`OBD folder ${obdPath} does not exist (set --obd-path or BANDIT_OBD_PATH)`);
  const wanted = campaigns && campaigns.length > 0 ? campaigns : CAMPAIGNS;
  for (const c of wanted) if (!/^[a-z0-9_-]+$/.test(c)) throw invalidInput(`invalid campaign name ${JSON.stringify(c)}`);
  const found: Found[] = [];
  for (const b of behaviors ?? []) if (!BEHAVIORS.includes(b)) throw invalidInput(`invalid behavior policy ${JSON.stringify(b)} (expected ${BEHAVIORS.join(' or ')})`);
  for (const behavior of behaviors && behaviors.length > 0 ? behaviors : BEHAVIORS) {
    for (const campaign of wanted) {
      const dir = path.join(obdPath, behavior, campaign);
      const logsFile = path.join(dir, `${campaign}.csv`);
      const itemFile = path.join(dir, 'item_context.csv');
      if (!(await fileExists(logsFile))) continue;
      if (!(await fileExists(itemFile))) throw invalidInput(`${path.relative(obdPath, logsFile)} has no item_context.csv beside it`);
      found.push({ behavior, campaign, dir, logsFile, itemFile });
    }
  }
  if (found.length === 0) {
    const slice = behaviors && behaviors.length > 0 ? behaviors.flatMap((b) => wanted.map((c) => `${b}/${c}`)) : null;
    throw invalidInput(
      slice
        ? `no OBD logs under ${obdPath} for ${slice.join(', ')} (expected ${slice.map((s) => `${s}/${s.split('/')[1]}.csv`).join(', ')})`
        : `no OBD logs under ${obdPath} for campaign(s) ${wanted.join(', ')} (expected <random|bts>/<campaign>/<campaign>.csv)`,
    );
  }
  if (campaigns && campaigns.length > 0) {
    for (const c of campaigns) if (!found.some((f) => f.campaign === c)) throw invalidInput(`campaign ${c} has no logs under ${obdPath}`);
  }
  for (const b of behaviors ?? []) {
    if (!found.some((f) => f.behavior === b)) throw invalidInput(`no ${b} logs under ${obdPath} for campaign(s) ${wanted.join(', ')} (expected ${b}/<campaign>/<campaign>.csv)`);
  }
  return found;
}

class RowError extends BanditError {
  constructor(file: string, line: number, column: string, message: string) {
    super(ErrorCode.InvalidInput, `${file}: line ${line}, column ${column}: ${message}`, { file, line, column });
  }
}

async function columnsOf(duck: Duck, file: string): Promise<string[]> {
  const rows = await duck.all<{ column_name: string }>(`DESCRIBE SELECT * FROM read_csv(${sqlString(file)}, header = true, all_varchar = true)`);
  return rows.map((r) => r.column_name);
}

function csvError(rel: string, err: unknown): BanditError {
  const msg = (err as Error).message.split('\n')[0];
  return invalidInput(`${rel}: cannot parse as CSV: ${msg}`);
}

/** A check: SQL that is true for a bad value, and how to describe it. */
interface Check {
  column: string;
  bad: string;
  expected: string;
}

async function firstBad(duck: Duck, table: string, rel: string, checks: readonly Check[]): Promise<void> {
  for (const c of checks) {
    const rows = await duck.all<{ rowid: bigint; value: string | null }>(
      `SELECT rowid, ${sqlIdent(c.column)} AS value FROM ${table} WHERE ${c.bad} ORDER BY rowid LIMIT 1`,
    );
    if (rows.length > 0) {
      const v = rows[0].value;
      throw new RowError(rel, Number(rows[0].rowid) + 2, c.column, `expected ${c.expected}, got ${v === null ? 'an empty value' : JSON.stringify(v)}`);
    }
  }
}

interface Validated {
  found: Found;
  manifest: DatasetManifest;
  logsParquet: string;
  itemParquet: string;
}

async function validate(duck: Duck, obdPath: string, f: Found, inputs: InputFile[], tmp: string): Promise<Validated> {
  const relLogs = path.relative(obdPath, f.logsFile);
  const relItems = path.relative(obdPath, f.itemFile);
  const itemCols = await columnsOf(duck, f.itemFile).catch((e: unknown) => {
    throw csvError(relItems, e);
  });
  if (!itemCols.includes('item_id')) throw invalidInput(`${relItems}: missing column item_id`);
  const ic = `ic_${f.behavior}_${f.campaign}`.replace(/[^a-z0-9_]/g, '_');
  await duck.run(`CREATE OR REPLACE TEMP TABLE ${ic} AS SELECT * FROM read_csv(${sqlString(f.itemFile)}, header = true, all_varchar = true)`).catch((e: unknown) => {
    throw csvError(relItems, e);
  });
  await firstBad(duck, ic, relItems, [{ column: 'item_id', bad: 'TRY_CAST(item_id AS INTEGER) IS NULL OR TRY_CAST(item_id AS INTEGER) < 0', expected: 'a non-negative integer item id' }]);
  const dup = await duck.all<{ rowid: bigint; item_id: string }>(
    `SELECT rowid, item_id FROM (SELECT rowid, item_id, row_number() OVER (PARTITION BY CAST(item_id AS INTEGER) ORDER BY rowid) AS k FROM ${ic}) WHERE k > 1 ORDER BY rowid LIMIT 1`,
  );
  if (dup.length > 0) throw new RowError(relItems, Number(dup[0].rowid) + 2, 'item_id', `duplicate item id ${dup[0].item_id}`);
  const { items, maxId } = await duck.one<{ items: number; maxId: number }>(`SELECT count(*)::INTEGER AS items, max(CAST(item_id AS INTEGER)) AS maxId FROM ${ic}`);
  if (items === 0) throw invalidInput(`${relItems}: no items`);
  if (maxId !== items - 1) throw invalidInput(`${relItems}: item ids must be 0..${items - 1} (found a largest id of ${maxId} among ${items} items)`);

  const cols = await columnsOf(duck, f.logsFile).catch((e: unknown) => {
    throw csvError(relLogs, e);
  });
  for (const c of REQUIRED_LOG_COLUMNS) if (!cols.includes(c)) throw invalidInput(`${relLogs}: missing column ${c} (line 1 has ${cols.filter((x) => !x.startsWith('column')).join(', ')})`);
  const userCols = cols.filter((c) => /^user_feature_\d+$/.test(c));
  const raw = `raw_${f.behavior}_${f.campaign}`.replace(/[^a-z0-9_]/g, '_');
  const selected = [...REQUIRED_LOG_COLUMNS, ...userCols].map(sqlIdent).join(', ');
  await duck.run(`CREATE OR REPLACE TEMP TABLE ${raw} AS SELECT ${selected} FROM read_csv(${sqlString(f.logsFile)}, header = true, all_varchar = true)`).catch((e: unknown) => {
    throw csvError(relLogs, e);
  });
  await firstBad(duck, raw, relLogs, [
    { column: 'timestamp', bad: `TRY_CAST("timestamp" AS TIMESTAMPTZ) IS NULL`, expected: 'a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff][+00:00])' },
    { column: 'item_id', bad: `TRY_CAST(item_id AS INTEGER) IS NULL OR TRY_CAST(item_id AS DOUBLE) <> TRY_CAST(item_id AS INTEGER)`, expected: 'an integer item id' },
    { column: 'item_id', bad: `CAST(item_id AS INTEGER) NOT BETWEEN 0 AND ${items - 1}`, expected: `an item id of ${relItems} (0..${items - 1})` },
    { column: 'position', bad: `TRY_CAST(position AS DOUBLE) IS NULL OR TRY_CAST(position AS DOUBLE) NOT IN (1, 2, 3)`, expected: 'a position in {1, 2, 3}' },
    { column: 'click', bad: `TRY_CAST(click AS DOUBLE) IS NULL OR TRY_CAST(click AS DOUBLE) NOT IN (0, 1)`, expected: 'a click in {0, 1}' },
    {
      column: 'propensity_score',
      bad: `TRY_CAST(propensity_score AS DOUBLE) IS NULL OR NOT isfinite(TRY_CAST(propensity_score AS DOUBLE)) OR TRY_CAST(propensity_score AS DOUBLE) <= 0 OR TRY_CAST(propensity_score AS DOUBLE) > 1`,
      expected: 'a propensity score with 0 < p <= 1',
    },
  ]);
  const stats = await duck.one<{ rows: number; clicks: number; seen: number; first: string; last: string }>(
    `SELECT count(*)::DOUBLE AS rows, sum(CAST(click AS DOUBLE)) AS clicks, count(DISTINCT CAST(item_id AS INTEGER))::INTEGER AS seen,
            CAST(min(CAST("timestamp" AS TIMESTAMPTZ)) AS VARCHAR) AS first, CAST(max(CAST("timestamp" AS TIMESTAMPTZ)) AS VARCHAR) AS last FROM ${raw}`,
  );
  if (stats.rows === 0) throw invalidInput(`${relLogs}: no rows`);
  const logsParquet = path.join(tmp, `${f.behavior}-${f.campaign}-logs.parquet`);
  const itemParquet = path.join(tmp, `${f.behavior}-${f.campaign}-items.parquet`);
  const userSel = userCols.map((c) => `, ${sqlIdent(c)}`).join('');
  await duck.run(
    `COPY (SELECT (row_number() OVER (ORDER BY CAST("timestamp" AS TIMESTAMPTZ), rowid) - 1)::BIGINT AS "row",
                  CAST("timestamp" AS TIMESTAMPTZ) AS "timestamp", CAST(item_id AS INTEGER) AS item_id,
                  CAST(CAST(position AS DOUBLE) AS TINYINT) AS position, CAST(CAST(click AS DOUBLE) AS TINYINT) AS click,
                  CAST(propensity_score AS DOUBLE) AS propensity_score${userSel}
           FROM ${raw} ORDER BY "row") TO ${sqlString(logsParquet)} (FORMAT parquet, COMPRESSION zstd)`,
  );
  const itemCast = itemCols
    .filter((c) => !/^column\d+$/.test(c) && c !== '')
    .map((c) => (c === 'item_id' ? 'CAST(item_id AS INTEGER) AS item_id' : /^item_feature_0$/.test(c) ? `TRY_CAST(${sqlIdent(c)} AS DOUBLE) AS ${sqlIdent(c)}` : sqlIdent(c)))
    .join(', ');
  await duck.run(`COPY (SELECT ${itemCast} FROM ${ic} ORDER BY CAST(item_id AS INTEGER)) TO ${sqlString(itemParquet)} (FORMAT parquet)`);
  await duck.run(`DROP TABLE ${raw}; DROP TABLE ${ic};`);
  const rawKeys = [keys.raw(f.behavior, f.campaign, path.basename(f.logsFile)), keys.raw(f.behavior, f.campaign, 'item_context.csv')];
  return {
    found: f,
    logsParquet,
    itemParquet,
    manifest: {
      schemaVersion: 1,
      behavior: f.behavior,
      campaign: f.campaign,
      rows: stats.rows,
      clicks: stats.clicks,
      ctr: stats.clicks / stats.rows,
      items,
      itemsSeen: stats.seen,
      firstTimestamp: stats.first,
      lastTimestamp: stats.last,
      inputs,
      objects: { logs: keys.logs(f.behavior, f.campaign), itemContext: keys.itemContext(f.behavior, f.campaign), raw: rawKeys },
    },
  };
}

async function readManifest(store: ObjectStore, key: string): Promise<DatasetManifest | null> {
  if (!(await store.exists(key))) return null;
  return getJson<DatasetManifest>(store, key);
}

function sameInputs(a: readonly InputFile[], b: readonly InputFile[]): boolean {
  return a.length === b.length && a.every((x, i) => x.file === b[i].file && x.sha256 === b[i].sha256 && x.bytes === b[i].bytes);
}

/**
 * Ingests the OBD logs under `obdPath`. With `behaviors` (one slice, e.g. a Dagster partition
 * `men|random`) only those datasets are read and written, and the ingest manifest keeps the
 * other datasets of the previous ingest of the same folder, so downstream assets still see them.
 */
export async function ingestObp(
  store: ObjectStore,
  ctx: AssetContext,
  options: { obdPath: string; campaigns?: readonly string[]; behaviors?: readonly Behavior[] },
): Promise<IngestResult> {
  const obdPath = path.resolve(options.obdPath);
  const found = await discoverObd(obdPath, options.campaigns, options.behaviors);
  const total = found.length * 2;
  let done = 0;
  const unchanged: Array<DatasetManifest & { status: 'unchanged' }> = [];
  const changed: Array<{ f: Found; inputs: InputFile[] }> = [];
  for (const f of found) {
    const inputs: InputFile[] = [];
    for (const file of [f.logsFile, f.itemFile]) {
      inputs.push({ file: path.relative(obdPath, file), bytes: (await fs.stat(file)).size, sha256: await sha256File(file) });
    }
    const prev = await readManifest(store, keys.manifest(f.behavior, f.campaign));
    if (prev && sameInputs(prev.inputs, inputs) && (await store.exists(prev.objects.logs)) && (await store.exists(prev.objects.itemContext))) {
      unchanged.push({ ...prev, status: 'unchanged' });
      ctx.log.info(`${f.behavior}/${f.campaign}: unchanged (sha256 ${inputs[0].sha256.slice(0, 12)}…), nothing to write`);
      done += 2;
    } else changed.push({ f, inputs });
    ctx.progress(done, total, 'hashing');
  }
  const written: Array<DatasetManifest & { status: 'written' }> = [];
  if (changed.length > 0) {
    await withTempDir('ingest', async (tmp) => {
      const duck = await Duck.open({ tempDir: path.join(tmp, 'spill') });
      try {
        // phase 1: validate everything (and write Parquet locally) — nothing stored yet
        const validated: Validated[] = [];
        for (const { f, inputs } of changed) {
          if (ctx.signal.aborted) throw new BanditError(ErrorCode.Unavailable, 'ingest_obp canceled');
          ctx.log.info(`validating ${f.behavior}/${f.campaign}`);
          validated.push(await validate(duck, obdPath, f, inputs, tmp));
          ctx.progress(++done, total, `validated ${f.behavior}/${f.campaign}`);
        }
        // phase 2: bronze, silver, then the manifest of each dataset last
        for (const v of validated) {
          if (ctx.signal.aborted) throw new BanditError(ErrorCode.Unavailable, 'ingest_obp canceled');
          const { behavior, campaign } = v.found;
          await store.putFile(v.manifest.objects.raw[0], v.found.logsFile);
          await store.putFile(v.manifest.objects.raw[1], v.found.itemFile);
          await store.putFile(v.manifest.objects.logs, v.logsParquet);
          await store.putFile(v.manifest.objects.itemContext, v.itemParquet);
          await putJson(store, keys.manifest(behavior, campaign), v.manifest);
          written.push({ ...v.manifest, status: 'written' });
          ctx.log.info(`${behavior}/${campaign}: ${v.manifest.rows} rows, ${v.manifest.clicks} clicks → ${store.uri(v.manifest.objects.logs)}`);
          ctx.progress(++done, total, `wrote ${behavior}/${campaign}`);
        }
      } finally {
        duck.close();
      }
    });
  }
  const datasets = [...unchanged, ...written].sort((a, b) => `${a.behavior}/${a.campaign}`.localeCompare(`${b.behavior}/${b.campaign}`));
  const prevSummary = (await store.exists(keys.ingestManifest())) ? (await store.get(keys.ingestManifest())).toString('utf8') : '';
  const entries: IngestManifest['datasets'] = datasets.map((d) => ({ behavior: d.behavior, campaign: d.campaign, manifest: keys.manifest(d.behavior, d.campaign), rows: d.rows, clicks: d.clicks, items: d.items }));
  if (options.behaviors && options.behaviors.length > 0 && prevSummary !== '') {
    const prev = JSON.parse(prevSummary) as IngestManifest;
    if (prev.obdPath === obdPath) entries.push(...prev.datasets.filter((p) => !entries.some((e) => e.behavior === p.behavior && e.campaign === p.campaign)));
    entries.sort((a, b) => `${a.behavior}/${a.campaign}`.localeCompare(`${b.behavior}/${b.campaign}`));
  }
  const summary: IngestManifest = { schemaVersion: 1, obdPath, datasets: entries };
  if (prevSummary !== JSON.stringify(summary, null, 2) + '\n') await putJson(store, keys.ingestManifest(), summary);
  return { store: store.location, datasets };
}

/** The ingest manifest, or a clear error naming the asset to materialize first. */
export async function requireIngested(store: ObjectStore): Promise<IngestManifest> {
  if (!(await store.exists(keys.ingestManifest()))) {
    throw new BanditError(ErrorCode.NotFound, `upstream asset ingest_obp was never materialized (no ${store.uri(keys.ingestManifest())}); run \`bandit materialize ingest_obp\` first`);
  }
  return getJson<IngestManifest>(store, keys.ingestManifest());
}
