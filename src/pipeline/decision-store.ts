/**
 * What `conclude` needs from the event store, as a port: the live experiments with their
 * posteriors rebuilt from the event log, and a place to record a decision with the
 * posterior snapshot of every arm it was made on. The adapter below sits on the
 * service's event store (src/events: typeorm data source, `decisions` and
 * `posterior_snapshots` tables; Postgres or the embedded SQLite, from config).
 */
import type { DataSource } from 'typeorm';
import type { Config } from '../config/config';
import type { StoppingConfig, StoppingDecision } from '../core/stopping-rule';
import type { ArmSummary } from '../core/summary';
import { openDataSource } from '../events/data-source';
import type { DecisionRow, PosteriorSnapshotRow } from '../events/entities';
import { EventRepository } from '../events/event.repository';
import { ExperimentRepository } from '../experiments/experiment.repository';

export interface DecisionArm {
  name: string;
  alpha: number;
  beta: number;
  pulls: number;
  rewards: number;
}

export interface LiveExperiment {
  id: string;
  arms: DecisionArm[];
  stopping: StoppingConfig;
  /** The maximum duration has passed (the rule then answers no_winner instead of continue). */
  exhausted: boolean;
}

export interface RecordedDecision {
  experimentId: string;
  decision: StoppingDecision;
  arms: DecisionArm[];
  summaries: ArmSummary[];
  at: Date;
}

export interface DecisionStore {
  /** Running experiments (all, or the given ids — an unknown id is an error). */
  liveExperiments(ids?: readonly string[]): Promise<LiveExperiment[]>;
  /** Stores the decision and its snapshots; returns the decision record id. */
  record(d: RecordedDecision): Promise<number>;
  close(): Promise<void>;
}

/** The trigger recorded for decisions made by the pipeline. */
export const PIPELINE_TRIGGER = 'pipeline';

export class EventStoreDecisions implements DecisionStore {
  private readonly events: EventRepository;
  private readonly experiments: ExperimentRepository;

  private constructor(
    private readonly ds: DataSource,
    private readonly now: () => number,
  ) {
    this.events = new EventRepository(ds);
    this.experiments = new ExperimentRepository(ds);
  }

  static async open(config: Pick<Config, 'databaseUrl' | 'sqlitePath'>, now: () => number = Date.now): Promise<EventStoreDecisions> {
    return new EventStoreDecisions(await openDataSource(config), now);
  }

  async liveExperiments(ids?: readonly string[]): Promise<LiveExperiment[]> {
    const all = await this.experiments.list();
    let chosen = all.filter((e) => e.status === 'running');
    if (ids && ids.length > 0) {
      for (const id of ids) if (!all.some((e) => e.id === id)) throw new Error(`experiment ${JSON.stringify(id)} not found in the event store`);
      chosen = all.filter((e) => ids.includes(e.id));
    }
    const out: LiveExperiment[] = [];
    for (const e of chosen) {
      const def = e.definition;
      const totals = await this.events.totals(e.id);
      const arms: DecisionArm[] = def.arms.map((name, k) => ({ name, alpha: def.prior[k].alpha, beta: def.prior[k].beta, pulls: 0, rewards: 0 }));
      for (const t of totals) {
        const a = arms[t.armIndex];
        if (!a) continue;
        a.alpha += t.rewardSum;
        a.beta += t.rewardEvents - t.rewardSum;
        a.pulls = t.selects;
        a.rewards = t.rewardSum;
      }
      const h = def.stopping.maxDurationHours;
      out.push({
        id: e.id,
        arms,
        stopping: { probBest: def.stopping.probBest, expectedLoss: def.stopping.expectedLoss, minSamplesPerArm: def.stopping.minSamplesPerArm },
        exhausted: h !== null && this.now() - e.createdAt.getTime() >= h * 3600_000,
      });
    }
    return out;
  }

  async record(d: RecordedDecision): Promise<number> {
    const row: DecisionRow = {
      experimentId: d.experimentId,
      status: d.decision.status,
      trigger: PIPELINE_TRIGGER,
      winnerIndex: d.decision.status === 'winner' ? (d.decision.winner ?? null) : null,
      leaderIndex: d.decision.leader,
      probBest: JSON.stringify(d.decision.probBest),
      expectedLoss: JSON.stringify(d.decision.expectedLoss),
      reasons: JSON.stringify(d.decision.reasons),
      thresholds: JSON.stringify(d.decision.thresholds),
      totalSamples: d.decision.totalSamples,
      createdAt: d.at,
    };
    const snapshots: PosteriorSnapshotRow[] = d.arms.map((a, k) => ({
      experimentId: d.experimentId,
      armIndex: k,
      armName: a.name,
      alpha: a.alpha,
      beta: a.beta,
      pulls: a.pulls,
      rewards: a.rewards,
      mean: d.summaries[k].mean,
      ciLow: d.summaries[k].ci95[0],
      ciHigh: d.summaries[k].ci95[1],
      probBest: d.summaries[k].probBest,
      expectedLoss: d.summaries[k].expectedLoss,
      reason: 'decision',
      decisionRecordId: null,
      createdAt: d.at,
    }));
    return this.events.insertDecision(row, snapshots);
  }

  async close(): Promise<void> {
    await this.ds.destroy();
  }
}
