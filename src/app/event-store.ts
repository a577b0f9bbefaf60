/**
 * The event store as every part opens it: one typeorm `DataSource` (Postgres or the
 * embedded SQLite, from `Config`) and one repository per table on it. The composition root
 * (composition.ts: the server, `bandit rebuild`, `bandit consume`) and the pipeline's
 * `conclude` (src/pipeline/verdict-store.ts) both build them here, so a new repository or
 * a change of how the store is opened is made once.
 */
import type { DataSource } from 'typeorm';
import type { Config } from '../config/config';
import { openDataSource } from '../event-store/data-source';
import { DeadLetterRepository } from '../event-store/dead-letter.repository';
import { EventRepository } from '../event-store/event.repository';
import { SnapshotRepository } from '../event-store/snapshot.repository';
import { VerdictRepository } from '../event-store/verdict.repository';
import { ExperimentRepository } from '../experiments/experiment.repository';

export interface EventStoreRepositories {
  /** `bandit_events`: inserts, the event lock, a rebuild's reads. */
  events: EventRepository;
  /** `decisions`, each verdict stored with its arms' snapshots. */
  verdicts: VerdictRepository;
  /** `posterior_snapshots`. */
  snapshots: SnapshotRepository;
  /** `experiments`. */
  experimentRepository: ExperimentRepository;
  /** `bandit_dead_letters`: events the event store refused. */
  deadLetters: DeadLetterRepository;
}

/** The repositories of every table, on one open data source. */
export function eventStoreRepositories(ds: DataSource): EventStoreRepositories {
  return {
    events: new EventRepository(ds),
    verdicts: new VerdictRepository(ds),
    snapshots: new SnapshotRepository(ds),
    experimentRepository: new ExperimentRepository(ds),
    deadLetters: new DeadLetterRepository(ds),
  };
}

/** Where opening the event store failed. */
export class EventStoreUnavailable extends Error {
  constructor(
    readonly target: string,
    override readonly cause: unknown,
  ) {
    super(`cannot open the event store (${target}): ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'EventStoreUnavailable';
  }
}

/** "postgres" or "sqlite <path>": how messages name the configured event store. */
export function eventStoreTarget(config: Pick<Config, 'databaseUrl' | 'sqlitePath'>): string {
  return config.databaseUrl ? 'postgres' : `sqlite ${config.sqlitePath}`;
}

/** Opens the configured event store (migrations run); a failure is an EventStoreUnavailable naming it. */
export async function openEventStore(config: Pick<Config, 'databaseUrl' | 'sqlitePath'>): Promise<DataSource> {
  try {
    return await openDataSource(config);
  } catch (err) {
    throw new EventStoreUnavailable(eventStoreTarget(config), err);
  }
}
