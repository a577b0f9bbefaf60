/**
 * `bandit ope` on files: logs (OBD-shaped CSV or Parquet: item_id, position 1..L, click,
 * propensity_score; sorted by timestamp when the column is there, as obp does) and the
 * evaluation policy as obp's arrays of shape (rows, items, len_list) — `action_dist` and,
 * optionally, `estimated_rewards_by_reg_model` — in `.npy` or JSON (nested lists).
 * The per-row path: the arrays are held as typed arrays (fine for obp-sized inputs).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { invalidInput } from '../common/errors';
import { evaluateEstimators } from '../core/ope/evaluate';
import { crossFittedRewardModel, emptyFoldStats } from '../core/ope/reward-model';
import { ESTIMATORS, type Estimate, type EstimatorName } from '../core/ope/types';
import { OpeInputError, unitsFromActionDist, type LoggedRows, type Tensor3 } from '../core/ope/units';
import { NEEDS_REWARD_MODEL } from '../core/ope/estimators';
import { createRng } from '../core/rng';
import { readNpy } from '../object-store/npy';
import { Duck, sqlIdent, sqlString } from './duckdb';
import { cellsOfLogs, LEN_LIST, opeOnCells } from './ope.asset';
import { loadPrior } from './prior';
import { topKActionDist } from '../core/ope/top-k-action-dist';

export interface OpeFileOptions {
  logs: string;
  actionDist: string;
  estimatedRewards?: string;
  estimators?: readonly EstimatorName[];
  lambda?: number;
  bootstrap?: number;
  alpha?: number;
  seed?: number;
  /** Folds of the reward model fit from the logs when no estimated rewards are given. */
  folds?: number;
  /**
   * A column of the logs holding each row's index in action_dist (distinct integers
   * 0..n−1). Without it rows are matched in timestamp order, ties in file order.
   */
  rowIndex?: string;
}

export interface OpeFileResult {
  rows: number;
  items: number;
  lenList: number;
  lambda: number | null;
  rewardModel: 'given' | 'cross-fitted per (item, slot) click rate' | 'none';
  estimates: Estimate[];
}

/** Reads an (n, items, len_list) array from `.npy` or JSON. */
export async function readTensor3(file: string, what: string): Promise<Tensor3> {
  const buf = await fs.readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw invalidInput(`${what} ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  });
  let shape: number[];
  let data: Float64Array;
  if (file.endsWith('.npy')) {
    ({ shape, data } = readNpy(buf, `${what} ${file}`));
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(buf.toString('utf8'));
    } catch (err) {
      throw invalidInput(`${what} ${file}: not .npy and not JSON (${(err as Error).message})`);
    }
    shape = [];
    let probe: unknown = parsed;
    while (Array.isArray(probe)) {
      shape.push(probe.length);
      probe = probe[0];
    }
    const flat = (parsed as unknown[]).flat(Infinity) as unknown[];
    if (flat.length !== shape.reduce((a, b) => a * b, 1) || flat.some((v) => typeof v !== 'number')) throw invalidInput(`${what} ${file}: must be a rectangular nested list of numbers`);
    data = Float64Array.from(flat as number[]);
  }
  if (shape.length !== 3) throw invalidInput(`${what} ${file}: expected 3 dimensions (rows, items, len_list), got shape (${shape.join(', ')})`);
  return { data, rows: shape[0], items: shape[1], lenList: shape[2] };
}

/** Reads OBD-shaped logs into typed arrays (position converted to 0-based). */
export async function readLogs(duck: Duck, file: string, rowIndex?: string): Promise<LoggedRows> {
  const ext = path.extname(file).toLowerCase();
  const src = ext === '.parquet' ? `read_parquet(${sqlString(file)})` : `read_csv(${sqlString(file)}, header = true)`;
  await fs.access(file).catch(() => {
    throw invalidInput(`logs ${file}: no such file`);
  });
  const cols = (await duck.all<{ column_name: string }>(`DESCRIBE SELECT * FROM ${src}`)).map((r) => r.column_name);
  for (const c of ['item_id', 'position', 'click', 'propensity_score']) if (!cols.includes(c)) throw invalidInput(`logs ${file}: missing column ${c}`);
  await duck.run(`CREATE OR REPLACE TEMP TABLE ope_logs AS SELECT * FROM ${src}`);
  let order = cols.includes('timestamp') ? `ORDER BY ${sqlIdent('timestamp')}, rowid` : 'ORDER BY rowid';
  const { n } = await duck.one<{ n: number }>('SELECT count(*)::INTEGER AS n FROM ope_logs');
  if (rowIndex !== undefined) {
    if (!cols.includes(rowIndex)) throw invalidInput(`logs ${file}: no column ${JSON.stringify(rowIndex)} for --row-index`);
    const col = sqlIdent(rowIndex);
    const v = await duck.one<{ bad: number; lo: number | null; hi: number | null; distinct: number }>(
      `SELECT count(*) FILTER (WHERE ${col} IS NULL OR CAST(${col} AS DOUBLE) <> round(CAST(${col} AS DOUBLE)))::INTEGER AS bad, min(CAST(${col} AS DOUBLE)) AS lo, max(CAST(${col} AS DOUBLE)) AS hi, count(DISTINCT ${col})::INTEGER AS distinct FROM ope_logs`,
    );
    if (v.bad > 0 || (n > 0 && (v.lo !== 0 || v.hi !== n - 1 || v.distinct !== n))) throw invalidInput(`logs ${file}: --row-index column ${rowIndex} must hold the distinct integers 0..${n - 1} (one per row)`);
    order = `ORDER BY ${col}`;
  }
  const logs: LoggedRows = { action: new Int32Array(n), position: new Int32Array(n), reward: new Float64Array(n), pscore: new Float64Array(n) };
  let i = 0;
  for await (const chunk of duck.chunks(`SELECT CAST(item_id AS DOUBLE), CAST(position AS DOUBLE) - 1, CAST(click AS DOUBLE), CAST(propensity_score AS DOUBLE) FROM ope_logs ${order}`)) {
    for (let j = 0; j < chunk.rows; j++, i++) {
      logs.action[i] = chunk.columns[0][j];
      logs.position[i] = chunk.columns[1][j];
      logs.reward[i] = chunk.columns[2][j];
      logs.pscore[i] = chunk.columns[3][j];
      if (!Number.isInteger(chunk.columns[0][j]) || !Number.isInteger(chunk.columns[1][j])) throw invalidInput(`logs ${file}: row ${i}: item_id and position must be integers`);
    }
  }
  await duck.run('DROP TABLE ope_logs');
  return logs;
}

/** q̂ per row from a cross-fitted per-(item, slot) click-rate model (fold = row mod K). */
export function rowRewardModel(logs: LoggedRows, items: number, lenList: number, folds: number): Tensor3 {
  const n = logs.action.length;
  const o = { folds, items, lenList };
  const stats = emptyFoldStats(o);
  for (let i = 0; i < n; i++) {
    const j = ((i % folds) * items + logs.action[i]) * lenList + logs.position[i];
    stats.rows[j]++;
    stats.clicks[j] += logs.reward[i];
  }
  const q = crossFittedRewardModel(stats, o);
  const data = new Float64Array(n * items * lenList);
  for (let i = 0; i < n; i++) data.set(q.subarray((i % folds) * items * lenList, ((i % folds) + 1) * items * lenList), i * items * lenList);
  return { data, rows: n, items, lenList };
}

export async function opeOnFiles(o: OpeFileOptions): Promise<OpeFileResult> {
  const estimators = o.estimators ?? ESTIMATORS;
  const actionDist = await readTensor3(o.actionDist, 'action_dist');
  const duck = await Duck.open();
  let logs: LoggedRows;
  try {
    logs = await readLogs(duck, o.logs, o.rowIndex);
  } finally {
    duck.close();
  }
  const needModel = estimators.some((e) => NEEDS_REWARD_MODEL[e]);
  let q: Tensor3 | undefined;
  let rewardModel: OpeFileResult['rewardModel'] = 'none';
  if (o.estimatedRewards) {
    q = await readTensor3(o.estimatedRewards, 'estimated_rewards');
    rewardModel = 'given';
  } else if (needModel) {
    q = rowRewardModel(logs, actionDist.items, actionDist.lenList, o.folds ?? 5);
    rewardModel = 'cross-fitted per (item, slot) click rate';
  }
  try {
    const units = unitsFromActionDist(logs, actionDist, q);
    const estimates = evaluateEstimators(units, estimators, {
      lambda: o.lambda,
      bootstrap: (o.bootstrap ?? 1000) > 0 ? { replicates: o.bootstrap ?? 1000, alpha: o.alpha ?? 0.05, rng: createRng(`ope/${o.seed ?? 0}`) } : undefined,
    });
    return { rows: logs.action.length, items: actionDist.items, lenList: actionDist.lenList, lambda: Number.isFinite(o.lambda ?? Infinity) ? (o.lambda as number) : null, rewardModel, estimates };
  } catch (err) {
    if (err instanceof OpeInputError) throw invalidInput(err.message);
    throw err;
  }
}

export interface PriorPolicyOptions {
  logs: string;
  /** Prior file in the zozotown_prior_bts.json shape. */
  priorPath: string;
  campaign: string;
  nSim?: number;
  lambda?: number;
  bootstrap?: number;
  alpha?: number;
  seed?: number;
  folds?: number;
  estimators?: readonly EstimatorName[];
}

export interface PriorPolicyResult {
  rows: number;
  cells: number;
  items: number;
  nSim: number;
  lambda: number | null;
  rewardModel: string;
  estimates: Estimate[];
}

/**
 * The scalable path for a context-free Thompson policy given by its Beta prior: DuckDB
 * aggregates the logs into cells, the estimators and the multinomial bootstrap run on
 * the cells (the ope asset's method, on any log file).
 */
export async function opeOfPriorPolicy(o: PriorPolicyOptions): Promise<PriorPolicyResult> {
  const raw = JSON.parse(await fs.readFile(o.priorPath, 'utf8').catch((e: Error) => {
    throw invalidInput(`prior ${o.priorPath}: ${e.message}`);
  })) as Record<string, { alpha?: number[] }>;
  const items = raw[o.campaign]?.alpha?.length;
  if (!items) throw invalidInput(`prior ${o.priorPath} has no campaign ${o.campaign}`);
  const prior = await loadPrior(o.priorPath, o.campaign, items);
  const nSim = o.nSim ?? 100_000;
  const folds = o.folds ?? 5;
  const duck = await Duck.open();
  try {
    await fs.access(o.logs).catch(() => {
      throw invalidInput(`logs ${o.logs}: no such file`);
    });
    const data = await cellsOfLogs(duck, o.logs, items, folds);
    if (items < LEN_LIST) throw invalidInput(`prior ${o.priorPath}: ${o.campaign} has ${items} items, fewer than the ${LEN_LIST} slots`);
    const pi = topKActionDist(prior.alpha, prior.beta, LEN_LIST, nSim, createRng(`ope-prior/${o.seed ?? 0}`));
    let estimates: Estimate[];
    try {
      estimates = opeOnCells(data, pi, items, { folds, bootstrap: o.bootstrap ?? 1000, alpha: o.alpha ?? 0.05, lambda: o.lambda, seed: o.seed ?? 0, estimators: o.estimators }, 'file');
    } catch (err) {
      if (err instanceof OpeInputError) throw invalidInput(`logs ${o.logs}: ${err.message}`);
      throw err;
    }
    return {
      rows: data.rows,
      cells: data.cells.length,
      items,
      nSim,
      lambda: Number.isFinite(o.lambda ?? Infinity) ? (o.lambda as number) : null,
      rewardModel: `cross-fitted (${folds} folds) per (item, slot) click rate`,
      estimates,
    };
  } finally {
    duck.close();
  }
}
