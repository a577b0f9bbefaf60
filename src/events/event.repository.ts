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

const CHUNK = 500;

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
   * Stores the events (one transaction); events already stored are skipped. Plain
   * parameterized SQL: the query builder costs more CPU than the database for 1000 rows.
   */
  async insertEvents(batch: readonly QueuedEvent[]): Promise<void> {
    if (batch.length === 0) return;
    const pg = this.driver === 'postgres';
    await this.ds.transaction(async (m) => {
      for (let i = 0; i < batch.length; i += CHUNK) {
        const rows = batch.slice(i, i + CHUNK);
        const params: unknown[] = [];
        const tuples = rows.map((e) => {
          const at = pg ? new Date(e.at) : sqliteTime(e.at);
          params.push(e.experimentId, e.decisionId, e.type, e.arm, e.propensity, e.reward, e.unitId, at);
          const n = params.length - 8;
          return pg ? `($${n + 1},$${n + 2},$${n + 3},$${n + 4},$${n + 5},$${n + 6},$${n + 7},$${n + 8})` : '(?,?,?,?,?,?,?,?)';
        });
        const cols = 'experiment_id, decision_id, event_type, arm_index, propensity, reward, unit_id, created_at';
        const sql = pg
          ? `INSERT INTO bandit_events (${cols}) VALUES ${tuples.join(',')} ON CONFLICT (decision_id, event_type) DO NOTHING`
          : `INSERT OR IGNORE INTO bandit_events (${cols}) VALUES ${tuples.join(',')}`;
        await m.query(sql, params);
      }
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
