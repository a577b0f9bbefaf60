/**
 * The composition root: how the stores, repositories, event queue, event consumer and
 * experiments service are wired from a `Config`. `AppModule` provides what `composeServices` builds,
 * and the CLI commands that work on the same state outside the server (`bandit rebuild`,
 * `bandit consume`) call it too, so both run with the same settings (the consumer's flush
 * period, its experiment-list cache, its dead-letter table).
 *
 * A new store or repository is wired here once; a new setting of these parts is read from
 * `Config` here once.
 */
import type { DataSource } from 'typeorm';
import { SystemClock, type ClockRepository } from '../clock/clock.repository';
import type { Config } from '../config/config';
import type { EventQueue } from '../event-queue/event-queue';
import { openDataSource } from '../events/data-source';
import { DeadLetterRepository } from '../events/dead-letter.repository';
import { cachedIds, EventConsumer, IDS_TTL_MS, type ConsumerLog } from '../events/event-consumer';
import { EventRepository } from '../events/event.repository';
import { SnapshotRepository } from '../events/snapshot.repository';
import { VerdictRepository } from '../events/verdict.repository';
import { ExperimentRepository } from '../experiments/experiment.repository';
import { ExperimentsService } from '../experiments/experiment.service';
import { openPosteriorStore } from '../state/open-store';
import type { PosteriorStore } from '../state/posterior-store';

/** Injection token of the `ServiceGraph` AppModule builds. */
export const SERVICE_GRAPH = Symbol('ServiceGraph');

export interface ServiceResources {
  config: Config;
  store: PosteriorStore;
  dataSource: DataSource;
  clock: ClockRepository;
}

/** How the event consumer runs, all from `Config` or fixed here. */
export interface ConsumerSettings {
  /** Period of moving queued events into the event store (BANDIT_EVENT_FLUSH_MS). */
  flushIntervalMs: number;
  /** How long the list of experiments whose queues are read is reused. */
  experimentIdsTtlMs: number;
  /** Whether events the store refuses go to the dead-letter table. */
  deadLetters: boolean;
}

export function consumerSettings(config: Pick<Config, 'eventFlushIntervalMs'>): ConsumerSettings {
  return { flushIntervalMs: config.eventFlushIntervalMs, experimentIdsTtlMs: IDS_TTL_MS, deadLetters: true };
}

export interface ServiceGraph {
  events: EventRepository;
  verdicts: VerdictRepository;
  snapshots: SnapshotRepository;
  experimentRepository: ExperimentRepository;
  /** The posterior store's event queue, which the consumer reads. */
  queue: EventQueue;
  consumer: EventConsumer;
  consumerSettings: ConsumerSettings;
  experiments: ExperimentsService;
}

/** The shared part of the service, on resources already open. */
export function composeServices(res: ServiceResources, log: ConsumerLog): ServiceGraph {
  const settings = consumerSettings(res.config);
  const events = new EventRepository(res.dataSource);
  const experimentRepository = new ExperimentRepository(res.dataSource);
  const verdicts = new VerdictRepository(res.dataSource);
  const snapshots = new SnapshotRepository(res.dataSource);
  const queue = res.store.queue;
  const consumer = new EventConsumer(
    queue,
    events,
    cachedIds(() => experimentRepository.ids(), settings.experimentIdsTtlMs),
    settings.flushIntervalMs,
    log,
    settings.deadLetters ? new DeadLetterRepository(res.dataSource) : undefined,
  );
  const experiments = new ExperimentsService(res.config, res.store, res.clock, experimentRepository, events, consumer, verdicts, snapshots);
  return { events, verdicts, snapshots, experimentRepository, queue, consumer, consumerSettings: settings, experiments };
}

/** Where opening the event store failed (the posterior store is closed again). */
export class EventStoreUnavailable extends Error {
  constructor(
    readonly target: string,
    override readonly cause: unknown,
  ) {
    super(`cannot open the event store (${target}): ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'EventStoreUnavailable';
  }
}

export interface OpenedServices extends ServiceGraph, ServiceResources {
  /** "postgres" or "sqlite <path>". */
  eventStore: string;
  /** Closes the posterior store and the event store. */
  close(): Promise<void>;
}

/** For a CLI command: opens the configured stores and composes the same graph as the server. */
export async function openServices(config: Config, log: ConsumerLog): Promise<OpenedServices> {
  const store = openPosteriorStore(config);
  const eventStore = config.databaseUrl ? 'postgres' : `sqlite ${config.sqlitePath}`;
  let dataSource: DataSource;
  try {
    dataSource = await openDataSource(config);
  } catch (err) {
    await store.close().catch(() => undefined);
    throw new EventStoreUnavailable(eventStore, err);
  }
  const res = { config, store, dataSource, clock: new SystemClock() };
  return {
    ...res,
    ...composeServices(res, log),
    eventStore,
    close: async () => {
      await store.close().catch(() => undefined);
      await dataSource.destroy().catch(() => undefined);
    },
  };
}
