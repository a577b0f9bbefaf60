/**
 * `bandit gen-obd`: writes Open Bandit Dataset-shaped logs with KNOWN click rates, for
 * fresh machines and scale tests:
 *   <out>/random/<campaign>/<campaign>.csv   uniform logging policy, propensity 1/items
 *   <out>/bts/<campaign>/<campaign>.csv      a Bernoulli-TS-like logging policy π_b(a|k)
 *   <out>/<behavior>/<campaign>/item_context.csv
 *   <out>/zozotown_prior_bts.json            the Beta prior whose top-3 simulation is π_b
 *   <out>/truth.json                         click rates, slot factors, π_b, expected CTRs
 * A row is one item shown in one slot (k uniform in 1..3); click ~ Bernoulli(ctr[a]·slot[k]).
 * DuckDB generates and writes the rows (COPY … TO, parallel); randomness per row is a
 * hash of (row, seed, stream), so the output is the same for a seed.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { invalidInput } from '../common/errors';
import { topKActionDist } from '../core/ope/top-k-action-dist';
import { createRng } from '../core/rng';
import type { AssetContext } from './asset-graph';
import { Duck, sqlString } from './duckdb';

export interface GenObdOptions {
  rows: number;
  items: number;
  seed: number;
  out: string;
  campaign?: string;
  behaviors?: ReadonlyArray<'random' | 'bts'>;
  /** csv (OBD's format, default) or parquet (with a `row` column; faster for scale tests). */
  format?: 'csv' | 'parquet';
  /** Pseudo-observations of the BTS prior (how concentrated the logging policy is). Default 2000. */
  btsStrength?: number;
}

export interface GenObdTruth {
  campaign: string;
  rows: number;
  items: number;
  seed: number;
  ctr: number[];
  slotFactor: number[];
  /** π_b(a | k) of the BTS logs, index a·3 + k. */
  btsPolicy: number[];
  /** Expected click rate of the random logs: mean over a, k of ctr[a]·slot[k]. */
  randomCtr: number;
  /** Expected click rate of the BTS logs (its on-policy value). */
  btsCtr: number;
}

export const SLOT_FACTOR = [1, 0.85, 0.7];
const START = "TIMESTAMPTZ '2019-11-24 00:00:00+00'";
const WEEK_US = 7 * 24 * 3600 * 1e6;
/**
 * Independent hash streams per (row, salt, seed): DuckDB's single-argument hash (a 64-bit
 * finalizer) of a distinct integer per stream. (Its multi-argument hash(i, seed, salt)
 * gives strongly correlated streams for different salts, so it is not used.) Rows < 2^28.
 */
const H = (salt: number, seed: number) => `hash(i * 16 + ${salt} + ${seed % 1_048_576} * 4294967296)`;
const U = (salt: number, seed: number) => `((${H(salt, seed)} >> 11)::DOUBLE / 9007199254740992.0)`;

/** Per-item click rates: 0.1%–1.2%, a few good items (a skewed draw), fixed by the seed. */
export function generatedCtr(items: number, seed: number): number[] {
  const rng = createRng(`gen-obd/ctr/${seed}`);
  return Array.from({ length: items }, () => 0.001 + 0.011 * Math.pow(rng.nextFloat(), 3));
}

export async function genObd(o: GenObdOptions, ctx?: Pick<AssetContext, 'progress' | 'log'>): Promise<GenObdTruth> {
  if (!(Number.isInteger(o.rows) && o.rows > 0)) throw invalidInput(`--rows must be a positive integer, got ${o.rows}`);
  if (!(Number.isInteger(o.items) && o.items >= 3 && o.items <= 10_000)) throw invalidInput(`--items must be an integer in 3..10000, got ${o.items}`);
  if (!(Number.isInteger(o.seed) && o.seed >= 0)) throw invalidInput(`--seed must be a non-negative integer, got ${o.seed}`);
  if (o.rows >= 2 ** 28) throw invalidInput(`--rows must be below 2^28, got ${o.rows}`);
  const campaign = o.campaign ?? 'all';
  const behaviors = o.behaviors ?? ['random', 'bts'];
  const K = o.items;
  const ctr = generatedCtr(K, o.seed);
  const strength = o.btsStrength ?? 2000;
  const prior = { alpha: ctr.map((c) => 1 + c * strength), beta: ctr.map((c) => 1 + (1 - c) * strength) };
  const pi = topKActionDist(prior.alpha, prior.beta, 3, 20_000, createRng(`gen-obd/bts/${o.seed}`));
  let randomCtr = 0;
  let btsCtr = 0;
  for (let a = 0; a < K; a++) {
    for (let k = 0; k < 3; k++) {
      randomCtr += (ctr[a] * SLOT_FACTOR[k]) / (3 * K);
      btsCtr += (pi[a * 3 + k] * ctr[a] * SLOT_FACTOR[k]) / 3;
    }
  }
  const truth: GenObdTruth = { campaign, rows: o.rows, items: K, seed: o.seed, ctr, slotFactor: SLOT_FACTOR, btsPolicy: Array.from(pi), randomCtr, btsCtr };
  await fs.mkdir(o.out, { recursive: true });
  const duck = await Duck.open({ tempDir: path.join(o.out, '.tmp-duckdb') });
  try {
    await duck.run(`CREATE TEMP TABLE ctr AS SELECT * FROM (VALUES ${ctr.map((c, a) => `(${a}, ${c}::DOUBLE)`).join(', ')}) t(item, ctr)`);
    await duck.run(`CREATE TEMP TABLE slot AS SELECT * FROM (VALUES (0, ${SLOT_FACTOR[0]}::DOUBLE), (1, ${SLOT_FACTOR[1]}::DOUBLE), (2, ${SLOT_FACTOR[2]}::DOUBLE)) t(slot, factor)`);
    const cdf: string[] = [];
    for (let k = 0; k < 3; k++) {
      let lo = 0;
      for (let a = 0; a < K; a++) {
        const p = pi[a * 3 + k];
        if (p > 0) cdf.push(`(${k}, ${a}, ${lo}::DOUBLE, ${p}::DOUBLE)`);
        lo += p;
      }
    }
    await duck.run(`CREATE TEMP TABLE cdf AS SELECT * FROM (VALUES ${cdf.join(', ')}) t(slot, item, lo, p)`);
    const hex = (s: string) => createHash('md5').update(s).digest('hex');
    const features = [3, 5, 8, 9]
      .map((card, f) => `[${Array.from({ length: card }, (_, j) => `'${hex(`${o.seed}/uf${f}/${j}`)}'`).join(', ')}][(${H(5 + f, o.seed)} % ${card})::INTEGER + 1] AS user_feature_${f}`)
      .join(', ');
    for (const [bi, behavior] of behaviors.entries()) {
      const dir = path.join(o.out, behavior, campaign);
      await fs.mkdir(dir, { recursive: true });
      const parquet = o.format === 'parquet';
      const file = path.join(dir, `${campaign}.${parquet ? 'parquet' : 'csv'}`);
      const seed = o.seed * 2 + bi;
      const base = `SELECT i, ${START} + to_microseconds(floor(i::DOUBLE * ${WEEK_US} / ${o.rows})::BIGINT) AS ts, (${H(1, seed)} % 3)::INTEGER AS slot, ${U(2, seed)} AS u, ${U(3, seed)} AS v FROM range(${o.rows}) t(i)`;
      const chosen =
        behavior === 'random'
          ? `SELECT i, ts, slot, (${H(4, seed)} % ${K})::INTEGER AS item, (1.0 / ${K})::DOUBLE AS p, v FROM (${base})`
          : `SELECT r.i, r.ts, r.slot, c.item, c.p, r.v FROM (${base}) r ASOF JOIN cdf c ON r.slot = c.slot AND r.u >= c.lo`;
      await duck.run(
        `COPY (SELECT ${parquet ? 'x.i AS "row", ts AS "timestamp"' : `strftime(ts, '%Y-%m-%d %H:%M:%S.%f+00:00') AS "timestamp"`}, x.item AS item_id, x.slot + 1 AS position,
                      (x.v < ctr.ctr * slot.factor)::INTEGER AS click, x.p AS propensity_score, ${features}
               FROM (${chosen}) x JOIN ctr ON ctr.item = x.item JOIN slot ON slot.slot = x.slot ORDER BY x.i)
         TO ${sqlString(file)} ${parquet ? '(FORMAT parquet, COMPRESSION zstd)' : "(HEADER, DELIMITER ',')"}`,
      );
      const itemCtx = ctr.map((_, a) => `${a},${a},${((a - (K - 1) / 2) / K).toFixed(6)},c${a % 7},g${a % 4},h${a % 3}`).join('\n');
      await fs.writeFile(path.join(dir, 'item_context.csv'), `,item_id,item_feature_0,item_feature_1,item_feature_2,item_feature_3\n${itemCtx}\n`);
      ctx?.progress(bi + 1, behaviors.length, `${behavior}/${campaign}`);
      ctx?.log.info(`wrote ${file}`);
    }
  } finally {
    duck.close();
    await fs.rm(path.join(o.out, '.tmp-duckdb'), { recursive: true, force: true });
  }
  await fs.writeFile(path.join(o.out, 'zozotown_prior_bts.json'), JSON.stringify({ _note: `generated by bandit gen-obd (seed ${o.seed}): the Beta prior of the BTS logging policy`, [campaign]: prior }) + '\n');
  await fs.writeFile(path.join(o.out, 'truth.json'), JSON.stringify(truth, null, 2) + '\n');
  return truth;
}
