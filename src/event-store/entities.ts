/**
 * Tables of the event store (Postgres in production, SQLite as the embedded default).
 * Plain row types plus `EntitySchema`s built for the chosen driver (timestamp types
 * differ); the schema itself is created by the migrations in migrations.ts, never by
 * `synchronize`.
 */
import { EntitySchema } from 'typeorm';

export type Driver = 'postgres' | 'better-sqlite3';

export interface ExperimentRow {
  id: string;
  /** JSON of the experiment definition (see experiments/experiment.dto.ts). */
  definition: string;
  status: 'running' | 'paused' | 'concluded' | 'stopped';
  winnerIndex: number | null;
  createdAt: Date;
  updatedAt: Date;
  /** Set while the experiment is archived (hidden from lists and /select, restorable). */
  archivedAt?: Date | null;
}

/** One change of an experiment's definition or lifecycle (the audit trail of the admin API). */
export interface ExperimentChangeRow {
  id?: string;
  experimentId: string;
  /** created | patched | paused | resumed | retired | shipped | archived | restored | stopped */
  kind: string;
  /** JSON: what changed (the request, and the definition after it when it changed). */
  payload: string;
  actor: string | null;
  createdAt: Date;
}

export interface BanditEventRow {
  id?: string;
  experimentId: string;
  decisionId: string;
  eventType: 'select' | 'reward' | 'hselect' | 'hreward';
  armIndex: number;
  propensity: number;
  reward: number | null;
  unitId: string | null;
  createdAt: Date;
}

export interface PosteriorSnapshotRow {
  id?: string;
  experimentId: string;
  armIndex: number;
  armName: string;
  alpha: number;
  beta: number;
  /** Times the arm was served (select events) up to the snapshot. */
  assignments: number;
  /** Rewards counted for the arm (α + β − α₀ − β₀); null on snapshots written before it was stored. */
  observations: number | null;
  rewards: number;
  mean: number;
  ciLow: number;
  ciHigh: number;
  probBest: number;
  expectedLoss: number;
  /** 'periodic' | 'verdict' | 'rebuild' */
  reason: string;
  /** The `verdicts` row this snapshot was stored with (null for periodic and rebuild snapshots). */
  verdictId: number | null;
  createdAt: Date;
}

/** A row of `verdicts`: one evaluation of the stopping rule that was recorded. */
export interface VerdictRow {
  id?: number;
  experimentId: string;
  /** 'winner' | 'continue' | 'no_winner' */
  status: string;
  /** 'manual' | 'auto' | 'max_duration' (the service's) | 'pipeline' (advice) */
  trigger: string;
  winnerIndex: number | null;
  leaderIndex: number;
  /** JSON arrays / objects: the numbers that justified the verdict. */
  probBest: string;
  expectedLoss: string;
  reasons: string;
  thresholds: string;
  totalSamples: number;
  createdAt: Date;
}

const ts = (driver: Driver) => (driver === 'postgres' ? ('timestamptz' as const) : ('datetime' as const));
const float = 'double precision' as const;
const bigId = (driver: Driver) => (driver === 'postgres' ? ('bigint' as const) : ('integer' as const));

export function entitySchemas(driver: Driver) {
  const experiments = new EntitySchema<ExperimentRow>({
    name: 'Experiment',
    tableName: 'experiments',
    columns: {
      id: { type: 'varchar', length: 64, primary: true },
      definition: { type: 'text' },
      status: { type: 'varchar', length: 16 },
      winnerIndex: { name: 'winner_index', type: 'integer', nullable: true },
      createdAt: { name: 'created_at', type: ts(driver) },
      updatedAt: { name: 'updated_at', type: ts(driver) },
      archivedAt: { name: 'archived_at', type: ts(driver), nullable: true },
    },
  });
  const changes = new EntitySchema<ExperimentChangeRow>({
    name: 'ExperimentChange',
    tableName: 'experiment_changes',
    columns: {
      id: { type: bigId(driver), primary: true, generated: 'increment' },
      experimentId: { name: 'experiment_id', type: 'varchar', length: 64 },
      kind: { type: 'varchar', length: 16 },
      payload: { type: 'text' },
      actor: { type: 'text', nullable: true },
      createdAt: { name: 'created_at', type: ts(driver) },
    },
  });
  const events = new EntitySchema<BanditEventRow>({
    name: 'BanditEvent',
    tableName: 'bandit_events',
    columns: {
      id: { type: bigId(driver), primary: true, generated: 'increment' },
      experimentId: { name: 'experiment_id', type: 'varchar', length: 64 },
      decisionId: { name: 'decision_id', type: 'varchar', length: 100 },
      eventType: { name: 'event_type', type: 'varchar', length: 8 },
      armIndex: { name: 'arm_index', type: 'integer' },
      propensity: { type: float },
      reward: { type: float, nullable: true },
      unitId: { name: 'unit_id', type: 'varchar', length: 256, nullable: true },
      createdAt: { name: 'created_at', type: ts(driver) },
    },
  });
  const snapshots = new EntitySchema<PosteriorSnapshotRow>({
    name: 'PosteriorSnapshot',
    tableName: 'posterior_snapshots',
    columns: {
      id: { type: bigId(driver), primary: true, generated: 'increment' },
      experimentId: { name: 'experiment_id', type: 'varchar', length: 64 },
      armIndex: { name: 'arm_index', type: 'integer' },
      armName: { name: 'arm_name', type: 'varchar', length: 128 },
      alpha: { type: float },
      beta: { type: float },
      assignments: { type: float },
      observations: { type: float, nullable: true },
      rewards: { type: float },
      mean: { type: float },
      ciLow: { name: 'ci_low', type: float },
      ciHigh: { name: 'ci_high', type: float },
      probBest: { name: 'prob_best', type: float },
      expectedLoss: { name: 'expected_loss', type: float },
      reason: { type: 'varchar', length: 16 },
      verdictId: { name: 'verdict_id', type: 'integer', nullable: true },
      createdAt: { name: 'created_at', type: ts(driver) },
    },
  });
  const verdicts = new EntitySchema<VerdictRow>({
    name: 'Verdict',
    tableName: 'verdicts',
    columns: {
      id: { type: 'integer', primary: true, generated: 'increment' },
      experimentId: { name: 'experiment_id', type: 'varchar', length: 64 },
      status: { type: 'varchar', length: 16 },
      trigger: { type: 'varchar', length: 16 },
      winnerIndex: { name: 'winner_index', type: 'integer', nullable: true },
      leaderIndex: { name: 'leader_index', type: 'integer' },
      probBest: { name: 'prob_best', type: 'text' },
      expectedLoss: { name: 'expected_loss', type: 'text' },
      reasons: { type: 'text' },
      thresholds: { type: 'text' },
      totalSamples: { name: 'total_samples', type: float },
      createdAt: { name: 'created_at', type: ts(driver) },
    },
  });
  return { experiments, events, snapshots, verdicts, changes };
}
