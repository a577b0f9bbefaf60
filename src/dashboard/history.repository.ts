/**
 * Time-bucketed reads of the event store for the dashboard's history: events per arm and
 * bucket, and the last posterior snapshot per arm and bucket. One class over both event
 * stores (Postgres, and the embedded SQLite file); only the epoch expression and the
 * parameter placeholders differ, chosen once from the data source's driver.
 */
import type { DataSource } from 'typeorm';

export interface EventBucketRow {
  /** Bucket number: floor(epoch seconds / bucket width). */
  bucket: number;
  arm: number;
  type: 'select' | 'reward';
  count: number;
  rewardSum: number;
}

export interface SnapshotBucketRow {
  bucket: number;
  arm: number;
  /** Epoch milliseconds of the snapshot. */
  at: number;
  probBest: number;
  mean: number;
  ciLow: number;
  ciHigh: number;
}

interface Dialect {
  /** SQL for the epoch seconds (fractional) of a timestamp column. */
  epoch(column: string): string;
  /** SQL for floor(epoch / width) as an integer, width being the placeholder `p`. */
  bucket(column: string, p: string): string;
  /** The placeholder of the n-th (1-based) parameter. */
  placeholder(n: number): string;
}

const POSTGRES: Dialect = {
  epoch: (c) => `extract(epoch from ${c})`,
  bucket: (c, p) => `floor(extract(epoch from ${c}) / ${p})::bigint`,
  placeholder: (n) => `$${n}`,
};

// typeorm stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.SSS' in UTC. julianday() reads the
// milliseconds but as a fraction of a day (~10 µs of float error), so the epoch is rounded
// back to whole milliseconds: a time exactly on a bucket boundary stays in its bucket.
const sqliteEpoch = (c: string) => `(round((julianday(${c}) - 2440587.5) * 86400000.0) / 1000.0)`;
const SQLITE: Dialect = {
  epoch: sqliteEpoch,
  bucket: (c, p) => `CAST(${sqliteEpoch(c)} / ${p} AS INTEGER)`,
  placeholder: () => '?',
};

/** Parameters in the order their placeholders appear in the SQL (SQLite's `?` are positional). */
class Params {
  readonly values: unknown[] = [];
  constructor(private readonly dialect: Dialect) {}
  add(value: unknown): string {
    this.values.push(value);
    return this.dialect.placeholder(this.values.length);
  }
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export class HistoryRepository {
  private readonly sql: Dialect;

  constructor(private readonly ds: DataSource) {
    this.sql = ds.options.type === 'postgres' ? POSTGRES : SQLITE;
  }

  /** Select / reward events per bucket and arm within [fromMs, toMs], in bucket order. */
  async eventBuckets(experimentId: string, bucketSeconds: number, fromMs: number, toMs: number): Promise<EventBucketRow[]> {
    const s = this.sql;
    const p = new Params(s);
    const rows = await this.ds.query<Array<Record<string, unknown>>>(
      `SELECT ${s.bucket('created_at', p.add(bucketSeconds))} AS bucket, arm_index AS arm, event_type AS type,
              count(*) AS n, coalesce(sum(reward), 0) AS reward_sum
         FROM bandit_events
        WHERE experiment_id = ${p.add(experimentId)}
          AND ${s.epoch('created_at')} >= ${p.add(fromMs / 1000)} AND ${s.epoch('created_at')} <= ${p.add(toMs / 1000)}
        GROUP BY 1, 2, 3
        ORDER BY 1, 2, 3`,
      p.values,
    );
    return rows.map((r) => ({ bucket: num(r.bucket), arm: num(r.arm), type: r.type as 'select' | 'reward', count: num(r.n), rewardSum: num(r.reward_sum) }));
  }

  /** The last snapshot of each arm in each bucket within [fromMs, toMs], in bucket order. */
  async snapshotBuckets(experimentId: string, bucketSeconds: number, fromMs: number, toMs: number): Promise<SnapshotBucketRow[]> {
    const s = this.sql;
    const p = new Params(s);
    const rows = await this.ds.query<Array<Record<string, unknown>>>(
      `SELECT bucket, arm, at, prob_best, mean, ci_low, ci_high FROM (
         SELECT ${s.bucket('created_at', p.add(bucketSeconds))} AS bucket, arm_index AS arm, ${s.epoch('created_at')} AS at,
                prob_best, mean, ci_low, ci_high,
                row_number() OVER (PARTITION BY ${s.bucket('created_at', p.add(bucketSeconds))}, arm_index ORDER BY created_at DESC, id DESC) AS rn
           FROM posterior_snapshots
          WHERE experiment_id = ${p.add(experimentId)}
            AND ${s.epoch('created_at')} >= ${p.add(fromMs / 1000)} AND ${s.epoch('created_at')} <= ${p.add(toMs / 1000)}
       ) ranked
       WHERE rn = 1
       ORDER BY bucket, arm`,
      p.values,
    );
    return rows.map((r) => ({
      bucket: num(r.bucket),
      arm: num(r.arm),
      at: Math.round(num(r.at) * 1000),
      probBest: num(r.prob_best),
      mean: num(r.mean),
      ciLow: num(r.ci_low),
      ciHigh: num(r.ci_high),
    }));
  }
}
