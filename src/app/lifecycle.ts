/**
 * Background work of a running service: at start, rebuild every experiment whose live
 * state is missing and start moving events into the event store and writing periodic
 * snapshots; at shutdown, stop both, move what is still queued, close the stores.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Config } from '../config/config';
import { EventConsumer } from '../event-store/event-consumer';
import { ExperimentRepository } from '../experiments/experiment.repository';
import { ExperimentsService } from '../experiments/experiment.service';
import { MetricsService } from '../metrics/metrics.service';
import { POSTERIOR_STORE, type PosteriorStore } from '../posterior-store/posterior-store';
import { CONFIG, DATA_SOURCE, OWNS_RESOURCES } from './tokens';

/** Period of the status sweep (see ExperimentsService.repairStatuses). */
const STATUS_SWEEP_MS = 2000;

@Injectable()
export class ServiceLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Service');
  private snapshotTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(POSTERIOR_STORE) private readonly store: PosteriorStore,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(OWNS_RESOURCES) private readonly ownsResources: boolean,
    private readonly experiments: ExperimentsService,
    private readonly repo: ExperimentRepository,
    private readonly consumer: EventConsumer,
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const rebuilt = await this.experiments.rebuildMissing().catch((err: unknown) => {
      this.log.warn(`could not check the live state at startup: ${String(err)}`);
      return [];
    });
    if (rebuilt.length > 0) this.log.log(`rebuilt the live state of ${rebuilt.length} experiment(s) from their events`);
    this.metrics.attach({
      posteriors: async () => {
        const out: Array<{ experiment: string; arm: string; alpha: number; beta: number; assignments: number }> = [];
        for (const e of await this.repo.list()) {
          const c = await this.store.readCounters(e.id, e.definition.arms.length);
          if (c) e.definition.arms.forEach((arm, k) => out.push({ experiment: e.id, arm, alpha: c.alpha[k], beta: c.beta[k], assignments: c.assignments[k] }));
        }
        return out;
      },
      eventsStored: () => this.consumer.moved,
      deadLetters: () => this.consumer.deadLettered,
      queues: () => this.consumer.queueStats(),
    });
    this.consumer.start();
    // a status change whose live half failed (Redis unreachable) is written again until it holds
    this.statusTimer = setInterval(() => {
      this.experiments.repairStatuses().catch(() => undefined);
    }, STATUS_SWEEP_MS);
    this.statusTimer.unref();
    if (this.config.snapshotIntervalSeconds > 0) {
      this.snapshotTimer = setInterval(() => {
        this.experiments.snapshotAll().catch((err: unknown) => this.log.warn(`periodic snapshot failed: ${String(err)}`));
      }, this.config.snapshotIntervalSeconds * 1000);
      this.snapshotTimer.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.snapshotTimer) clearInterval(this.snapshotTimer);
    if (this.statusTimer) clearInterval(this.statusTimer);
    await this.consumer.stop();
    await this.consumer.flush().catch((err: unknown) => this.log.warn(`events left in the queue at shutdown: ${String(err)}`));
    if (this.ownsResources) {
      await this.store.close().catch(() => undefined);
      if (this.dataSource.isInitialized) await this.dataSource.destroy().catch(() => undefined);
    }
  }
}
