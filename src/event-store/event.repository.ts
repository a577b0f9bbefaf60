/**
 * The event log (`bandit_events`): inserts, the event lock, and the reads a rebuild makes.
 * Verdicts and snapshots have their own repositories (verdict.repository.ts,
 * snapshot.repository.ts). Inserting events is idempotent: (decision_id, event_type) is unique and a conflicting
 * row is skipped, so a batch delivered twice is stored once.
 */
import type { DataSource, QueryRunner, Repository } from 'typeorm';
import type { BanditEventRow } from './entities';
import type { QueuedEvent } from '../event-queue/event-queue';

export interface ArmEventTotals {
  armIndex: number;
  selects: number;
  rewardEvents: number;
  rewardSum: number;
}

/** What runs a statement: the data source, or one connection holding the event lock. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * The event lock of an experiment (a Postgres advisory lock, first key 'band'): consumers
 * hold it shared from storing a batch until its queue entries are settled in the posterior
 * store; a rebuild holds it exclusive from reading the event log until it wrote the live
 * state. So a rebuild never reads the log between an event's insert and its settling.
 */
const EVENT_LOCK_CLASS = 0x62616e64;

/** Rows per multi-row SQLite statement. */
const SQLITE_CHUNK = 64;

const EVENT_COLUMNS = 'experiment_id, decision_id, event_type, arm_index, propensity, reward, unit_id, created_at';

/**
 * Rows come out of `unnest` in array order (so ids follow the queue's order); a row whose
 * (decision_id, event_type) is stored already — or repeated within the batch — is skipped.
 * Times travel as epoch milliseconds (double precision: exact to the microsecond).
 */
const PG_INSERT_EVENTS =
  `INSERT INTO bandit_events (${EVENT_COLUMNS}) ` +
  'SELECT e, d, t, a, p, r, u, to_timestamp(c / 1000.0) ' +
  'FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::integer[], $5::double precision[], $6::double precision[], $7::varchar[], $8::double precision[]) AS x(e, d, t, a, p, r, u, c) ' +
  'ON CONFLICT (decision_id, event_type) DO NOTHING';

const SQLITE_INSERT_ONE = `INSERT OR IGNORE INTO bandit_events (${EVENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)`;
const SQLITE_INSERT_CHUNK = `INSERT OR IGNORE INTO bandit_events (${EVENT_COLUMNS}) VALUES ${Array(SQLITE_CHUNK).fill('(?,?,?,?,?,?,?,?)').join(',')}`;

/** The parameters of `count` rows from `from` (SQLite's values; times as TypeORM stores them). */
function sqliteParams(batch: readonly QueuedEvent[], from: number, count: number): unknown[] {
  const params = new Array<unknown>(count * 8);
  for (let r = 0; r < count; r++) {
    const e = batch[from + r];
    const o = r * 8;
    params[o] = e.experimentId;
    params[o + 1] = e.decisionId;
    params[o + 2] = e.type;
    params[o + 3] = e.arm;
    params[o + 4] = e.propensity;
    params[o + 5] = e.reward;
    params[o + 6] = e.unitId;
    params[o + 7] = sqliteTime(e.at);
  }
  return params;
}

/**
 * The batch as one Postgres array literal per column (the parameters of PG_INSERT_EVENTS),
 * built here rather than by the driver from arrays: one string per column made by a
 * native join, where the driver's array serializer builds each element through two
 * regular-expression replaces and a chain of concatenations (about a kilobyte of garbage
 * per event). Every text element is quoted (so an id such as `null` stays text), `"` and
 * `\` escaped; numbers are written as JavaScript writes them (what the driver sends too).
 */
function eventColumnLiterals(batch: readonly QueuedEvent[]): string[] {
  const n = batch.length;
  const experiment = new Array<string>(n);
  const decision = new Array<string>(n);
  const type = new Array<string>(n);
  const arm = new Array<number>(n);
  const propensity = new Array<number>(n);
  const reward = new Array<number | string>(n);
  const unit = new Array<string>(n);
  const at = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const e = batch[i];
    experiment[i] = e.experimentId;
    decision[i] = e.decisionId;
    type[i] = e.type;
    arm[i] = e.arm;
    propensity[i] = e.propensity;
    reward[i] = e.reward === null ? 'NULL' : e.reward;
    unit[i] = e.unitId === null ? 'NULL' : quoteElement(e.unitId);
    at[i] = e.at;
  }
  return [textArray(experiment), textArray(decision), textArray(type), numberArray(arm), numberArray(propensity), numberArray(reward), `{${unit.join(',')}}`, numberArray(at)];
}

const NEEDS_ESCAPE = /["\\]/;

/** One text element of an array literal, quoted. */
function quoteElement(s: string): string {
  return NEEDS_ESCAPE.test(s) ? `"${s.replace(/["\\]/g, '\\$&')}"` : `"${s}"`;
}

/** An array literal of text elements (none null). */
function textArray(values: string[]): string {
  for (const v of values) if (NEEDS_ESCAPE.test(v)) return `{${values.map(quoteElement).join(',')}}`;
  return values.length === 0 ? '{}' : `{"${values.join('","')}"}`;
}

/** An array literal of numbers (and NULLs). */
function numberArray(values: Array<number | string>): string {
  return `{${values.join(',')}}`;
}

export class EventRepository {
  private readonly events: Repository<BanditEventRow>;

  /** 'postgres' | 'sqlite' */
  readonly driver: 'postgres' | 'sqlite';
  /** SQLite: the end of the last locked call (they run one after the other). */
  private sqliteTurn: Promise<void> = Promise.resolve();

  constructor(private readonly ds: DataSource) {
    this.driver = ds.options.type === 'postgres' ? 'postgres' : 'sqlite';
    this.events = ds.getRepository<BanditEventRow>('BanditEvent');
  }

  /**
   * Stores the events; events already stored are skipped. Postgres: one statement per
   * batch whatever its size, the columns sent as eight arrays and expanded by `unnest`
   * (a statement of 8 parameters instead of 8 per row: less to build, send and parse).
   * SQLite: one transaction of multi-row statements of a fixed size, the rest row by row
   * (statements of one text are prepared once). Plain SQL: the query builder costs
   * more CPU than the database for 1000 rows.
   */
  async insertEvents(batch: readonly QueuedEvent[], opts: { via?: Queryable } = {}): Promise<void> {
    if (batch.length === 0) return;
    if (this.driver === 'postgres') {
      await (opts.via ?? this.ds).query(PG_INSERT_EVENTS, eventColumnLiterals(batch));
      return;
    }
    // two statement texts only (a full chunk, one row), so both stay prepared in the driver's cache
    await this.ds.transaction(async (m) => {
      let i = 0;
      for (; i + SQLITE_CHUNK <= batch.length; i += SQLITE_CHUNK) await m.query(SQLITE_INSERT_CHUNK, sqliteParams(batch, i, SQLITE_CHUNK));
      for (; i < batch.length; i++) await m.query(SQLITE_INSERT_ONE, sqliteParams(batch, i, 1));
    });
  }

  /**
   * Sets `rowId` on stored events (those the posterior store's acknowledgement may have to
   * count after a rebuild: few, only events queued before its fence). `via`: the connection
   * holding the event lock.
   */
  async rowIdsOf(events: readonly QueuedEvent[], via?: Queryable): Promise<void> {
    const ids = new Map<string, number>();
    if (this.driver === 'postgres') {
      const rows = (await (via ?? this.ds).query(PG_ROW_IDS, [events.map((e) => e.decisionId), events.map((e) => e.type)])) as StoredRowId[];
      for (const [k, v] of rowIdsByEvent(rows)) ids.set(k, v);
    } else {
      for (let i = 0; i < events.length; i += 500) {
        const part = events.slice(i, i + 500);
        const rows = (await this.ds.query(`SELECT id, decision_id, event_type FROM bandit_events WHERE decision_id IN (${part.map(() => '?').join(',')})`, part.map((e) => e.decisionId))) as StoredRowId[];
        for (const [k, v] of rowIdsByEvent(rows)) ids.set(k, v);
      }
    }
    for (const e of events) e.rowId = ids.get(eventKey(e.decisionId, e.type));
  }

  /**
   * Runs `fn` holding the event lock of each experiment (shared: storing and settling a
   * batch; exclusive: a rebuild) on one connection, passed to `fn`. SQLite (one process
   * writes): the calls of this process take turns.
   */
  async locked<T>(experimentIds: readonly string[], mode: 'shared' | 'exclusive', fn: (via: Queryable) => Promise<T>): Promise<T> {
    if (this.driver !== 'postgres') {
      // one process writes SQLite: its batches and rebuilds take turns
      const run = this.sqliteTurn.then(() => fn(this.ds));
      this.sqliteTurn = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    }
    const runner: QueryRunner = this.ds.createQueryRunner();
    try {
      await runner.connect();
      const fnName = mode === 'shared' ? 'pg_advisory_lock_shared' : 'pg_advisory_lock';
      await runner.query(`SELECT ${fnName}(${EVENT_LOCK_CLASS}, hashtext(x)) FROM (SELECT DISTINCT unnest($1::varchar[]) AS x ORDER BY x) s`, [[...experimentIds]]);
      return await fn(runner);
    } finally {
      await runner.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      await runner.release();
    }
  }

  /**
   * What a rebuild needs, read holding the experiment's event lock exclusively (no batch of
   * it is between insert and settling meanwhile): per arm totals, and the highest row id of
   * the experiment (every event with a lower id is in the totals). `write` runs before the
   * lock is let go.
   */
  async rebuildFrom<T>(experimentId: string, write: (totals: ArmEventTotals[], maxRowId: number) => Promise<T>): Promise<T> {
    return this.locked([experimentId], 'exclusive', async (via) => {
      const p = this.driver === 'postgres' ? '$1' : '?';
      const raw = (await via.query(
        'SELECT arm_index AS arm, ' +
          "SUM(CASE WHEN event_type = 'select' THEN 1 ELSE 0 END) AS selects, " +
          "SUM(CASE WHEN event_type = 'reward' THEN 1 ELSE 0 END) AS reward_events, " +
          "SUM(CASE WHEN event_type = 'reward' THEN reward ELSE 0 END) AS reward_sum, " +
          `MAX(id) AS max_id FROM bandit_events WHERE experiment_id = ${p} GROUP BY arm_index`,
        [experimentId],
      )) as Array<{ arm: number | string; selects: number | string; reward_events: number | string; reward_sum: number | string | null; max_id: number | string }>;
      const totals = raw.map((r) => ({ armIndex: Number(r.arm), selects: Number(r.selects), rewardEvents: Number(r.reward_events), rewardSum: Number(r.reward_sum ?? 0) }));
      return write(totals, raw.reduce((m, r) => Math.max(m, Number(r.max_id)), 0));
    });
  }

  /** Per arm: select events, reward events and the sum of rewards — what a rebuild needs. */
  async totals(experimentId: string): Promise<ArmEventTotals[]> {
    const raw = await this.events
      .createQueryBuilder('e')
      .select('e.armIndex', 'arm')
      .addSelect("SUM(CASE WHEN e.eventType = 'select' THEN 1 ELSE 0 END)", 'selects')
      .addSelect("SUM(CASE WHEN e.eventType = 'reward' THEN 1 ELSE 0 END)", 'rewardEvents')
      .addSelect("SUM(CASE WHEN e.eventType = 'reward' THEN e.reward ELSE 0 END)", 'rewardSum')
      .where('e.experimentId = :experimentId', { experimentId })
      .groupBy('e.armIndex')
      .getRawMany<{ arm: number | string; selects: number | string; rewardEvents: number | string; rewardSum: number | string | null }>();
    return raw.map((r) => ({ armIndex: Number(r.arm), selects: Number(r.selects), rewardEvents: Number(r.rewardEvents), rewardSum: Number(r.rewardSum ?? 0) }));
  }

  async countEvents(experimentId: string, type?: 'select' | 'reward'): Promise<number> {
    return this.events.count({ where: type ? { experimentId, eventType: type } : { experimentId } });
  }

  async eventsOf(experimentId: string, limit = 10_000): Promise<BanditEventRow[]> {
    return this.events.find({ where: { experimentId }, order: { id: 'ASC' }, take: limit });
  }

  async ping(): Promise<void> {
    await this.ds.query('SELECT 1');
  }
}

interface StoredRowId {
  id: number | string;
  decision_id: string;
  event_type: string;
}

const PG_ROW_IDS = 'SELECT id, decision_id, event_type FROM bandit_events WHERE (decision_id, event_type) IN (SELECT * FROM unnest($1::varchar[], $2::varchar[]))';

function eventKey(decisionId: string, type: string): string {
  return `${type}|${decisionId}`;
}

function rowIdsByEvent(rows: readonly StoredRowId[]): Map<string, number> {
  return new Map(rows.map((r) => [eventKey(r.decision_id, r.event_type), Number(r.id)]));
}

/** The text TypeORM's SQLite driver stores for a datetime column (UTC, milliseconds). */
function sqliteTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}
