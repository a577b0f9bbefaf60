/**
 * Prometheus metrics of the service (one registry per application instance, so several
 * instances can live in one process, e.g. in tests): selections and rewards per
 * experiment and arm, request latency per route, posterior gauges per experiment and arm
 * (read from the posterior store when scraped), and the event queue's progress.
 */
import { Injectable } from '@nestjs/common';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { CellCounter, CellHistogram } from './cells';

export interface PosteriorSource {
  /** Per experiment and arm: α, β and assignments, for the gauges (called at scrape time). */
  posteriors(): Promise<Array<{ experiment: string; arm: string; alpha: number; beta: number; assignments: number }>>;
  eventsStored(): number;
  /** Events set aside in the dead-letter table by this process. */
  deadLetters?(): number;
  /** Per experiment: queued events and the enqueue time of the oldest (ms). */
  queues?(): Promise<Array<{ experimentId: string; length: number; oldestAt: number | null }>>;
}

@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  // counted per request: in cells, handed to prom-client when scraped (./cells.ts)
  private readonly selections = new CellCounter({ name: 'bandit_selections_total', help: 'Decisions served', labelNames: ['experiment', 'arm', 'source'], registry: this.registry });
  private readonly rewards = new CellCounter({ name: 'bandit_rewards_total', help: 'Rewards counted (first delivery of each decision)', labelNames: ['experiment', 'arm', 'source'], registry: this.registry });
  private readonly rewardSum = new CellCounter({ name: 'bandit_reward_value_sum', help: 'Sum of the reward values counted', labelNames: ['experiment', 'arm'], registry: this.registry });
  private readonly duplicates = new CellCounter({ name: 'bandit_reward_duplicates_total', help: 'Reward retries answered from the first result', labelNames: ['experiment', 'source'], registry: this.registry });
  private readonly latency = new CellHistogram({
    name: 'bandit_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registry: this.registry,
  });
  private source: PosteriorSource | undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'bandit_process_' });
    const sourceOf = () => this.source;
    const gauge = (name: string, help: string, pick: (p: { alpha: number; beta: number; assignments: number }) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['experiment', 'arm'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          const source = sourceOf();
          if (!source) return;
          const rows = await source.posteriors().catch(() => []);
          for (const r of rows) this.set({ experiment: r.experiment, arm: r.arm }, pick(r));
        },
      });
    gauge('bandit_posterior_alpha', 'Posterior α per experiment and arm', (p) => p.alpha);
    gauge('bandit_posterior_beta', 'Posterior β per experiment and arm', (p) => p.beta);
    gauge('bandit_posterior_mean', 'Posterior mean α / (α + β) per experiment and arm', (p) => p.alpha / (p.alpha + p.beta));
    gauge('bandit_arm_pulls', 'Times each arm was served (its assignments; the metric keeps its name)', (p) => p.assignments);
    new Gauge({
      name: 'bandit_events_stored_total',
      help: 'Events moved from the queue into the event store by this process',
      registers: [this.registry],
      collect() {
        this.set(sourceOf()?.eventsStored() ?? 0);
      },
    });
    new Gauge({
      name: 'bandit_event_dead_letters_total',
      help: 'Events the event store refused, set aside in bandit_dead_letters by this process',
      registers: [this.registry],
      collect() {
        this.set(sourceOf()?.deadLetters?.() ?? 0);
      },
    });
    // one read of the queues per scrape feeds both gauges
    let queues: Promise<Array<{ experimentId: string; length: number; oldestAt: number | null }>> | undefined;
    const readQueues = () => {
      queues ??= (sourceOf()?.queues?.() ?? Promise.resolve([])).catch(() => []).finally(() => setImmediate(() => (queues = undefined)));
      return queues;
    };
    new Gauge({
      name: 'bandit_event_queue_length',
      help: 'Events waiting in the queue (Redis stream) to be stored, per experiment',
      labelNames: ['experiment'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const q of await readQueues()) this.set({ experiment: q.experimentId }, q.length);
      },
    });
    new Gauge({
      name: 'bandit_event_queue_oldest_age_seconds',
      help: 'Age of the oldest event waiting to be stored, per experiment (0 when none waits)',
      labelNames: ['experiment'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const now = Date.now();
        for (const q of await readQueues()) this.set({ experiment: q.experimentId }, q.oldestAt === null ? 0 : Math.max(0, (now - q.oldestAt) / 1000));
      },
    });
  }

  attach(source: PosteriorSource): void {
    this.source = source;
  }

  selected(experiment: string, arm: string, source: string): void {
    this.selections.inc(experiment, arm, source);
  }

  rewarded(experiment: string, arm: string, value: number, source: string): void {
    this.rewards.inc(experiment, arm, source);
    if (value > 0) this.rewardSum.inc(experiment, arm, '', value);
  }

  duplicateReward(experiment: string, source: string): void {
    this.duplicates.inc(experiment, source, '');
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.latency.observe(method, route, statusText(status), seconds);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** The status as a label value, without building a string per request. */
const STATUS_TEXT: string[] = Array.from({ length: 600 }, (_, i) => String(i));
function statusText(status: number): string {
  return STATUS_TEXT[status] ?? String(status);
}
