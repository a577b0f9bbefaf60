/**
 * Experiment definitions and their status in the event store (the source of truth for
 * definitions; the posterior store holds the live status marker used by the hot path).
 */
import type { DataSource, Repository } from 'typeorm';
import { IsNull, type FindOptionsWhere } from 'typeorm';
import type { BanditEventRow, ExperimentChangeRow, ExperimentRow } from '../event-store/entities';
import { upgradeDefinition, type ExperimentDefinition } from './experiment.dto';

export interface StoredExperiment {
  id: string;
  definition: ExperimentDefinition;
  status: ExperimentRow['status'];
  winnerIndex: number | null;
  createdAt: Date;
  updatedAt: Date;
  archivedAt?: Date | null;
  /** The definition's stored text (compare-and-set of an edit). */
  definitionText?: string;
}

export class ExperimentRepository {
  private readonly rows: Repository<ExperimentRow>;
  private readonly changes: Repository<ExperimentChangeRow>;
  private readonly events: Repository<BanditEventRow>;

  constructor(ds: DataSource) {
    this.events = ds.getRepository<BanditEventRow>('BanditEvent');
    this.rows = ds.getRepository<ExperimentRow>('Experiment');
    this.changes = ds.getRepository<ExperimentChangeRow>('ExperimentChange');
  }

  /** One page of the experiments that are not archived, optionally of one status, oldest first. */
  async page(status: ExperimentRow['status'] | undefined, limit: number, offset: number): Promise<{ rows: StoredExperiment[]; total: number }> {
    const where: FindOptionsWhere<ExperimentRow> = { archivedAt: IsNull() };
    if (status) where.status = status;
    const [rows, total] = await this.rows.findAndCount({ where, order: { createdAt: 'ASC', id: 'ASC' }, take: limit, skip: offset });
    return { rows: rows.map(toStored), total };
  }

  /** Compare-and-set of the definition: replaces it only while it is still `before`. */
  async replaceDefinition(id: string, before: string, after: ExperimentDefinition, at: Date): Promise<boolean> {
    const r = await this.rows
      .createQueryBuilder()
      .update()
      .set({ definition: JSON.stringify(after), updatedAt: at })
      .where('id = :id AND definition = :before', { id, before })
      .execute();
    return (r.affected ?? 0) > 0;
  }

  async setArchived(id: string, archivedAt: Date | null, at: Date): Promise<void> {
    await this.rows.update({ id }, { archivedAt, updatedAt: at });
  }

  async recordChange(c: Omit<ExperimentChangeRow, 'id'>): Promise<void> {
    await this.changes.insert(c);
  }

  /** Per arm: stored select events and the sum of their logged propensities (the SRM check). */
  /** Per arm: select events with a known propensity, Σ 1/propensity and Σ 1/propensity² (the SRM check). */
  async assignments(id: string): Promise<Array<{ arm: number; selects: number; inverseSum: number; inverseSquareSum: number }>> {
    const raw = await this.events
      .createQueryBuilder('e')
      .select('e.armIndex', 'arm')
      .addSelect('COUNT(*)', 'selects')
      .addSelect('SUM(1.0 / e.propensity)', 'inverseSum')
      .addSelect('SUM(1.0 / (e.propensity * e.propensity))', 'inverseSquareSum')
      .where("e.experimentId = :id AND e.eventType = 'select' AND e.propensity > 0", { id })
      .groupBy('e.armIndex')
      .getRawMany<{ arm: number | string; selects: number | string; inverseSum: number | string | null; inverseSquareSum: number | string | null }>();
    return raw.map((r) => ({ arm: Number(r.arm), selects: Number(r.selects), inverseSum: Number(r.inverseSum ?? 0), inverseSquareSum: Number(r.inverseSquareSum ?? 0) }));
  }

  /** Per event type: count, Σ reward and Σ reward² (the holdout's lift). */
  async rewardTotalsByType(id: string): Promise<Array<{ type: string; n: number; sum: number; sumSq: number }>> {
    const raw = await this.events
      .createQueryBuilder('e')
      .select('e.eventType', 'type')
      .addSelect('COUNT(*)', 'n')
      .addSelect('SUM(COALESCE(e.reward, 0))', 'sum')
      .addSelect('SUM(COALESCE(e.reward, 0) * COALESCE(e.reward, 0))', 'sumSq')
      .where('e.experimentId = :id', { id })
      .groupBy('e.eventType')
      .getRawMany<{ type: string; n: number | string; sum: number | string | null; sumSq: number | string | null }>();
    return raw.map((r) => ({ type: String(r.type), n: Number(r.n), sum: Number(r.sum ?? 0), sumSq: Number(r.sumSq ?? 0) }));
  }

  /** Seconds from select to a positive reward, of the latest `limit` conversions. */
  async conversionDelays(id: string, limit = 2000): Promise<number[]> {
    const raw = await this.events
      .createQueryBuilder('r')
      .innerJoin('BanditEvent', 's', "s.decisionId = r.decisionId AND s.eventType = 'select'")
      .select('r.createdAt', 'rewardedAt')
      .addSelect('s.createdAt', 'selectedAt')
      .where("r.experimentId = :id AND r.eventType = 'reward' AND r.reward > 0", { id })
      .orderBy('r.id', 'DESC')
      .limit(limit)
      .getRawMany<{ rewardedAt: Date | string; selectedAt: Date | string }>();
    return raw.map((x) => Math.max(0, (new Date(x.rewardedAt).getTime() - new Date(x.selectedAt).getTime()) / 1000));
  }

  async changesOf(id: string): Promise<ExperimentChangeRow[]> {
    return this.changes.find({ where: { experimentId: id }, order: { id: 'ASC' } });
  }

  /** false when an experiment with this id exists already. */
  async insert(e: StoredExperiment): Promise<boolean> {
    try {
      await this.rows.insert({ id: e.id, definition: JSON.stringify(e.definition), status: e.status, winnerIndex: e.winnerIndex, createdAt: e.createdAt, updatedAt: e.updatedAt });
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async find(id: string): Promise<StoredExperiment | null> {
    const row = await this.rows.findOne({ where: { id } });
    return row ? toStored(row) : null;
  }

  async list(): Promise<StoredExperiment[]> {
    return (await this.rows.find({ order: { createdAt: 'ASC', id: 'ASC' } })).map(toStored);
  }

  async ids(): Promise<string[]> {
    return (await this.rows.find({ select: { id: true }, order: { id: 'ASC' } })).map((r) => r.id);
  }

  async setStatus(id: string, status: ExperimentRow['status'], winnerIndex: number | null, at: Date): Promise<void> {
    await this.rows.update({ id }, { status, winnerIndex, updatedAt: at });
  }

  /**
   * Compare-and-set of the status: changes it to `to` only while it is one of `from`
   * (`winnerIndex` undefined keeps the stored one). True when this call changed it.
   */
  async transition(id: string, to: ExperimentRow['status'], from: ReadonlyArray<ExperimentRow['status']>, at: Date, winnerIndex?: number | null): Promise<boolean> {
    const set: Partial<ExperimentRow> = { status: to, updatedAt: at };
    if (winnerIndex !== undefined) set.winnerIndex = winnerIndex;
    const r = await this.rows.createQueryBuilder().update().set(set).where('id = :id AND status IN (:...from)', { id, from: [...from] }).execute();
    return (r.affected ?? 0) > 0;
  }
}

function toStored(row: ExperimentRow): StoredExperiment {
  return {
    id: row.id,
    definition: upgradeDefinition(JSON.parse(row.definition) as ExperimentDefinition),
    status: row.status,
    winnerIndex: row.winnerIndex,
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
    archivedAt: row.archivedAt ? new Date(row.archivedAt) : null,
    definitionText: row.definition,
  };
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  const code = e.driverError?.code ?? e.code ?? '';
  return code === '23505' || code.startsWith('SQLITE_CONSTRAINT');
}
