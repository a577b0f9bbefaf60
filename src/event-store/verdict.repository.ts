/**
 * The `decisions` table: the stopping rule's verdicts (the service's, and the pipeline's
 * advice), each stored with the posterior snapshot of every arm it was made on. The
 * table keeps its name (read by dashboards and other systems); in the code these rows are
 * verdicts, to tell them from the assignments a select serves.
 */
import { In, type DataSource, type Repository } from 'typeorm';
import type { DecisionRow, PosteriorSnapshotRow } from './entities';

export class VerdictRepository {
  private readonly verdicts: Repository<DecisionRow>;
  private readonly snapshots: Repository<PosteriorSnapshotRow>;

  constructor(private readonly ds: DataSource) {
    this.verdicts = ds.getRepository<DecisionRow>('Decision');
    this.snapshots = ds.getRepository<PosteriorSnapshotRow>('PosteriorSnapshot');
  }

  /** Stores a verdict with the snapshot of every arm it was made on, in one transaction; returns its id. */
  async insert(verdict: DecisionRow, snapshots: readonly PosteriorSnapshotRow[]): Promise<number> {
    return this.ds.transaction(async (m) => {
      const saved = await m.getRepository<DecisionRow>('Decision').save({ ...verdict });
      const id = Number(saved.id);
      if (snapshots.length > 0) await m.getRepository<PosteriorSnapshotRow>('PosteriorSnapshot').insert(snapshots.map((s) => ({ ...s, decisionRecordId: id })));
      return id;
    });
  }

  async byId(id: number): Promise<DecisionRow | null> {
    return this.verdicts.findOne({ where: { id } });
  }

  /** The latest verdicts, newest first; only those of the given triggers when given. */
  async latest(experimentId: string, limit = 20, triggers?: readonly string[]): Promise<DecisionRow[]> {
    const where = triggers ? { experimentId, trigger: In([...triggers]) } : { experimentId };
    return this.verdicts.find({ where, order: { id: 'DESC' }, take: limit });
  }

  /** The posterior snapshots stored with a verdict, by arm. */
  async snapshotsOf(experimentId: string, verdictId: number): Promise<PosteriorSnapshotRow[]> {
    return this.snapshots.find({ where: { experimentId, decisionRecordId: verdictId }, order: { armIndex: 'ASC' } });
  }
}
