/**
 * What `conclude` needs from the event store, as a port: the live experiments with their
 * posteriors rebuilt from the event log, and a place to record a verdict with the
 * posterior snapshot of every arm it was made on. The adapter below sits on the
 * service's event store (src/event-store: typeorm data source, `verdicts` and
 * `posterior_snapshots` tables; Postgres or the embedded SQLite, from config), opened
 * and given its repositories by src/app/event-store.ts as the service's composition root
 * does.
 */
import type { DataSource } from 'typeorm';
import { eventStoreRepositories, openEventStore, type EventStoreRepositories } from '../app/event-store';
import type { Config } from '../config/config';
import { ADVICE_TRIGGER, type StoppingDefinition, type StoppingEvaluation } from '../experiments/stopping/stopping-evaluator';
import { countersFromEvents, verdictRowOf, snapshotRowsOf } from '../experiments/stopping/stopping-records';
import type { ArmCounters } from '../posterior-store/posterior-store';

export interface LiveExperiment {
  id: string;
  definition: StoppingDefinition;
  /** Posterior counters rebuilt from the event log (assignments = selects, α + β − α₀ − β₀ = observations). */
  counters: ArmCounters;
  createdAt: Date;
}

export interface RecordedVerdict {
  experimentId: string;
  definition: Pick<StoppingDefinition, 'arms' | 'prior'>;
  counters: ArmCounters;
  evaluation: StoppingEvaluation;
}

export interface VerdictStore {
  /** Running experiments (all, or the given ids — an unknown id is an error). */
  liveExperiments(ids?: readonly string[]): Promise<LiveExperiment[]>;
  /** Stores the evaluation as the pipeline's advice, with its snapshots; returns the verdict's id. */
  record(d: RecordedVerdict): Promise<number>;
  close(): Promise<void>;
}

/**
 * The trigger recorded for the pipeline's evaluations. On a live experiment it is advice:
 * GET /experiments/:id never shows it as the experiment's verdict, and only the service
 * ends an experiment.
 */
export const PIPELINE_TRIGGER = ADVICE_TRIGGER;

export class EventStoreVerdicts implements VerdictStore {
  private readonly repos: EventStoreRepositories;

  private constructor(private readonly ds: DataSource) {
    this.repos = eventStoreRepositories(ds);
  }

  /** Opens the configured event store; fails with EventStoreUnavailable naming it. */
  static async open(config: Pick<Config, 'databaseUrl' | 'sqlitePath'>): Promise<EventStoreVerdicts> {
    return new EventStoreVerdicts(await openEventStore(config));
  }

  async liveExperiments(ids?: readonly string[]): Promise<LiveExperiment[]> {
    const all = await this.repos.experimentRepository.list();
    let chosen = all.filter((e) => e.status === 'running');
    if (ids && ids.length > 0) {
      for (const id of ids) if (!all.some((e) => e.id === id)) throw new Error(`experiment ${JSON.stringify(id)} not found in the event store`);
      chosen = all.filter((e) => ids.includes(e.id));
    }
    const out: LiveExperiment[] = [];
    for (const e of chosen) {
      const { counters } = countersFromEvents(e.definition.prior, await this.repos.events.totals(e.id));
      out.push({ id: e.id, definition: e.definition, counters, createdAt: e.createdAt });
    }
    return out;
  }

  async record(d: RecordedVerdict): Promise<number> {
    return this.repos.verdicts.insert(verdictRowOf(d.experimentId, d.evaluation, PIPELINE_TRIGGER), snapshotRowsOf(d.experimentId, d.definition, d.counters, 'verdict', d.evaluation.at, d.evaluation));
  }

  async close(): Promise<void> {
    await this.ds.destroy();
  }
}
