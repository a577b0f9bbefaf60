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
import { cachedIds, EventConsumer, IDS_TTL_MS, type ConsumerLog } from '../event-store/event-consumer';
import { ExperimentsService } from '../experiments/experiment.service';
import { openPosteriorStore } from '../posterior-store/open-store';
import type { PosteriorStore } from '../posterior-store/posterior-store';
import { eventStoreRepositories, eventStoreTarget, openEventStore, type EventStoreRepositories } from './event-store';

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

export interface ServiceGraph extends Omit<EventStoreRepositories, 'deadLetters'> {
  /** The posterior store's event queue, which the consumer reads. */
  queue: EventQueue;
  consumer: EventConsumer;
  consumerSettings: ConsumerSettings;
  experiments: ExperimentsService;
}

/** The shared part of the service, on resources already open. */
export function composeServices(res: ServiceResources, log: ConsumerLog): ServiceGraph {
  const settings = consumerSettings(res.config);
  const { events, verdicts, snapshots, experimentRepository, deadLetters } = eventStoreRepositories(res.dataSource);
  const queue = res.store.queue;
  const consumer = new EventConsumer(
    queue,
    events,
    cachedIds(() => experimentRepository.ids(), settings.experimentIdsTtlMs),
    settings.flushIntervalMs,
    log,
    settings.deadLetters ? deadLetters : undefined,
  );
  const experiments = new ExperimentsService(res.config, res.store, res.clock, experimentRepository, events, consumer, verdicts, snapshots);
  return { events, verdicts, snapshots, experimentRepository, queue, consumer, consumerSettings: settings, experiments };
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
  const eventStore = eventStoreTarget(config);
  let dataSource: DataSource;
  try {
    dataSource = await openEventStore(config);
  } catch (err) {
    // the event store failed to open (EventStoreUnavailable): the posterior store is closed again
    await store.close().catch(() => undefined);
    throw err;
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
