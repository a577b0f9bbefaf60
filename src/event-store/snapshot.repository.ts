/**
 * The `posterior_snapshots` table: the posteriors of every arm over time (periodic, after
 * a rebuild, and with each verdict — those are written by VerdictRepository in the
 * verdict's transaction).
 */
import type { DataSource, Repository } from 'typeorm';
import type { PosteriorSnapshotRow } from './entities';

export class SnapshotRepository {
  private readonly snapshots: Repository<PosteriorSnapshotRow>;

  constructor(ds: DataSource) {
    this.snapshots = ds.getRepository<PosteriorSnapshotRow>('PosteriorSnapshot');
  }

  async insert(rows: readonly PosteriorSnapshotRow[]): Promise<void> {
    if (rows.length > 0) await this.snapshots.insert(rows as PosteriorSnapshotRow[]);
  }

  /** The newest snapshots of an experiment, newest first. */
  async latest(experimentId: string, limit = 100): Promise<PosteriorSnapshotRow[]> {
    return this.snapshots.find({ where: { experimentId }, order: { id: 'DESC' }, take: limit });
  }
}
