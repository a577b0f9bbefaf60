/**
 * The `verdicts` table: the stopping rule's recorded verdicts (the service's, and the
 * pipeline's advice), each stored with the posterior snapshot of every arm it was made on.
 */
import { In, type DataSource, type Repository } from 'typeorm';
import type { VerdictRow, PosteriorSnapshotRow } from './entities';

export class VerdictRepository {
  private readonly verdicts: Repository<VerdictRow>;
  private readonly snapshots: Repository<PosteriorSnapshotRow>;

  constructor(private readonly ds: DataSource) {
    this.verdicts = ds.getRepository<VerdictRow>('Verdict');
    this.snapshots = ds.getRepository<PosteriorSnapshotRow>('PosteriorSnapshot');
  }

  /** Stores a verdict with the snapshot of every arm it was made on, in one transaction; returns its id. */
  async insert(verdict: VerdictRow, snapshots: readonly PosteriorSnapshotRow[]): Promise<number> {
    return this.ds.transaction(async (m) => {
      const saved = await m.getRepository<VerdictRow>('Verdict').save({ ...verdict });
      const id = Number(saved.id);
      if (snapshots.length > 0) await m.getRepository<PosteriorSnapshotRow>('PosteriorSnapshot').insert(snapshots.map((s) => ({ ...s, verdictId: id })));
      return id;
    });
  }

  async byId(id: number): Promise<VerdictRow | null> {
    return this.verdicts.findOne({ where: { id } });
  }

  /** The latest verdicts, newest first; only those of the given triggers when given. */
  async latest(experimentId: string, limit = 20, triggers?: readonly string[]): Promise<VerdictRow[]> {
    const where = triggers ? { experimentId, trigger: In([...triggers]) } : { experimentId };
    return this.verdicts.find({ where, order: { id: 'DESC' }, take: limit });
  }

  /** The posterior snapshots stored with a verdict, by arm. */
  async snapshotsOf(experimentId: string, verdictId: number): Promise<PosteriorSnapshotRow[]> {
    return this.snapshots.find({ where: { experimentId, verdictId }, order: { armIndex: 'ASC' } });
  }
}
