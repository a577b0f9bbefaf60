/**
 * The live dashboard, mounted into the service's (global) AppModule: pages, static files,
 * the history endpoint over the event store and the experiment event stream.
 */
import { Inject, Module, type OnModuleDestroy } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { CLOCK, type ClockRepository } from '../clock/clock.repository';
import { DATA_SOURCE } from '../app/tokens';
import { ExperimentsService } from '../experiments/experiment.service';
import { DASHBOARD_ASSETS, DashboardController } from './dashboard.controller';
import { ExperimentStream } from './experiment-stream';
import { HistoryRepository } from './history.repository';
import { HistoryService } from './history.service';
import { loadStaticAssets } from './static-assets';

@Module({
  controllers: [DashboardController],
  providers: [
    { provide: DASHBOARD_ASSETS, useFactory: () => loadStaticAssets() },
    { provide: HistoryRepository, useFactory: (ds: DataSource) => new HistoryRepository(ds), inject: [DATA_SOURCE] },
    { provide: HistoryService, useFactory: (repo: HistoryRepository, clock: ClockRepository) => new HistoryService(repo, clock), inject: [HistoryRepository, CLOCK] },
    { provide: ExperimentStream, useFactory: (experiments: ExperimentsService) => new ExperimentStream(experiments), inject: [ExperimentsService] },
  ],
})
export class DashboardModule implements OnModuleDestroy {
  constructor(@Inject(ExperimentStream) private readonly stream: ExperimentStream) {}

  onModuleDestroy(): void {
    this.stream.close();
  }
}
