/**
 * Reads and writes of the event log, posterior snapshots and stopping decisions.
 * Inserting events is idempotent: (decision_id, event_type) is unique and a conflicting
 * row is skipped, so a batch delivered twice is stored once.
 */
import { In, type DataSource, type Repository } from 'typeorm';
import type { BanditEventRow, DecisionRow, PosteriorSnapshotRow } from './entities';
import type { QueuedEvent } from '../state/posterior-store';

export interface ArmEventTotals {
  armIndex: number;
  selects: number;
  rewardEvents: number;
  rewardSum: number;
}

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

/** The batch as one array per column (the parameters of PG_INSERT_EVENTS). */
function eventColumns(batch: readonly QueuedEvent[]): unknown[][] {
  const n = batch.length;
  const cols: unknown[][] = [new Array(n), new Array(n), new Array(n), new Array(n), new Array(n), new Array(n), new Array(n), new Array(n)];
  for (let i = 0; i < n; i++) {
    const e = batch[i];
    cols[0][i] = e.experimentId;
    cols[1][i] = e.decisionId;
    cols[2][i] = e.type;
    cols[3][i] = e.arm;
    cols[4][i] = e.propensity;
    cols[5][i] = e.reward;
    cols[6][i] = e.unitId;
    cols[7][i] = e.at;
  }
  return cols;
}

export class EventRepository {
  private readonly events: Repository<BanditEventRow>;
  private readonly snapshots: Repository<PosteriorSnapshotRow>;
  private readonly decisions: Repository<DecisionRow>;

  /** 'postgres' | 'sqlite' */
  readonly driver: 'postgres' | 'sqlite';

  constructor(private readonly ds: DataSource) {
    this.driver = ds.options.type === 'postgres' ? 'postgres' : 'sqlite';
    this.events = ds.getRepository<BanditEventRow>('BanditEvent');
    this.snapshots = ds.getRepository<PosteriorSnapshotRow>('PosteriorSnapshot');
    this.decisions = ds.getRepository<DecisionRow>('Decision');
  }

  /**
   * Stores the events; events already stored are skipped. Postgres: one statement per
   * batch whatever its size, the columns sent as eight arrays and expanded by `unnest`
   * (a statement of 8 parameters instead of 8 per row: less to build, send and parse).
   * SQLite: one transaction of multi-row statements of a fixed size, the rest row by row
   * (statements of one text are prepared once). Plain SQL: the query builder costs
   * more CPU than the database for 1000 rows.
   */
  async insertEvents(batch: readonly QueuedEvent[]): Promise<void> {
    if (batch.length === 0) return;
    if (this.driver === 'postgres') {
      await this.ds.query(PG_INSERT_EVENTS, eventColumns(batch));
      return;
    }
    // two statement texts only (a full chunk, one row), so both stay prepared in the driver's cache
    await this.ds.transaction(async (m) => {
      let i = 0;
      for (; i + SQLITE_CHUNK <= batch.length; i += SQLITE_CHUNK) await m.query(SQLITE_INSERT_CHUNK, sqliteParams(batch, i, SQLITE_CHUNK));
      for (; i < batch.length; i++) await m.query(SQLITE_INSERT_ONE, sqliteParams(batch, i, 1));
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

  async insertSnapshots(rows: readonly PosteriorSnapshotRow[]): Promise<void> {
    if (rows.length > 0) await this.snapshots.insert(rows as PosteriorSnapshotRow[]);
  }

  /** Stores a stopping decision with the snapshot of every arm it was made on; returns its id. */
  async insertDecision(decision: DecisionRow, snapshots: readonly PosteriorSnapshotRow[]): Promise<number> {
    return this.ds.transaction(async (m) => {
      const saved = await m.getRepository<DecisionRow>('Decision').save({ ...decision });
      const id = Number(saved.id);
      if (snapshots.length > 0) await m.getRepository<PosteriorSnapshotRow>('PosteriorSnapshot').insert(snapshots.map((s) => ({ ...s, decisionRecordId: id })));
      return id;
    });
  }

  async decision(id: number): Promise<DecisionRow | null> {
    return this.decisions.findOne({ where: { id } });
  }

  /** The latest stopping evaluations, newest first; only those of the given triggers when given. */
  async latestDecisions(experimentId: string, limit = 20, triggers?: readonly string[]): Promise<DecisionRow[]> {
    const where = triggers ? { experimentId, trigger: In([...triggers]) } : { experimentId };
    return this.decisions.find({ where, order: { id: 'DESC' }, take: limit });
  }

  /** The posterior snapshots stored with a decision, by arm. */
  async decisionSnapshots(experimentId: string, decisionId: number): Promise<PosteriorSnapshotRow[]> {
    return this.snapshots.find({ where: { experimentId, decisionRecordId: decisionId }, order: { armIndex: 'ASC' } });
  }

  async latestSnapshots(experimentId: string, limit = 100): Promise<PosteriorSnapshotRow[]> {
    return this.snapshots.find({ where: { experimentId }, order: { id: 'DESC' }, take: limit });
  }

  async ping(): Promise<void> {
    await this.ds.query('SELECT 1');
  }
}

/** The text TypeORM's SQLite driver stores for a datetime column (UTC, milliseconds). */
function sqliteTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}
