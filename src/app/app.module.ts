/**
 * The service's module. Global, so feature modules imported through `extra.imports`
 * (the Seldon router, the dashboard, …) can inject ServingService, ExperimentsService,
 * MetricsService and the stores without further wiring.
 */
import { Logger, Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { CLOCK, type ClockRepository } from '../clock/clock.repository';
import type { Config } from '../config/config';
import { EventConsumer } from '../event-store/event-consumer';
import { EventRepository } from '../event-store/event.repository';
import { SnapshotRepository } from '../event-store/snapshot.repository';
import { VerdictRepository } from '../event-store/verdict.repository';
import { DesignModule } from '../design/design.controller';
import { ExperimentsController } from '../experiments/experiment.controller';
import { ExperimentRepository } from '../experiments/experiment.repository';
import { ExperimentsService } from '../experiments/experiment.service';
import { AdminGuard } from '../http/admin.guard';
import { MetricsController } from '../metrics/metrics.controller';
import { MetricsService } from '../metrics/metrics.service';
import { ServingService } from '../serving/serving.service';
import { POSTERIOR_STORE, type PosteriorStore } from '../posterior-store/posterior-store';
import { SeldonModule } from '../seldon/seldon.module';
import { DashboardModule } from '../dashboard/dashboard.module';
import { composeServices, SERVICE_GRAPH, type ServiceGraph } from './composition';
import { HealthController } from './health.controller';
import { ServiceLifecycle } from './lifecycle';
import { WindowSweeper } from '../experiments/window-sweeper';
import { CONFIG, DATA_SOURCE, OWNS_RESOURCES } from './tokens';

export interface AppResources {
  config: Config;
  store: PosteriorStore;
  dataSource: DataSource;
  clock: ClockRepository;
  /** Close the store and data source when the application shuts down. */
  ownsResources: boolean;
}

export interface AppExtensions {
  imports?: Array<Type | DynamicModule>;
  controllers?: Type[];
  providers?: Provider[];
}

@Module({})
export class AppModule {
  static forRoot(res: AppResources, extra: AppExtensions = {}): DynamicModule {
    const exported = [SERVICE_GRAPH, CONFIG, POSTERIOR_STORE, DATA_SOURCE, CLOCK, EventRepository, VerdictRepository, SnapshotRepository, ExperimentRepository, EventConsumer, ExperimentsService, ServingService, MetricsService, AdminGuard];
    return {
      module: AppModule,
      global: true,
      imports: [SeldonModule, DashboardModule, DesignModule, ...(extra.imports ?? [])],
      controllers: [ExperimentsController, HealthController, MetricsController, ...(extra.controllers ?? [])],
      providers: [
        { provide: CONFIG, useValue: res.config },
        { provide: POSTERIOR_STORE, useValue: res.store },
        { provide: DATA_SOURCE, useValue: res.dataSource },
        { provide: CLOCK, useValue: res.clock },
        { provide: OWNS_RESOURCES, useValue: res.ownsResources },
        // the one wiring of the shared parts, which the CLI uses too (src/app/composition.ts)
        {
          provide: SERVICE_GRAPH,
          useFactory: (config: Config, store: PosteriorStore, dataSource: DataSource, clock: ClockRepository) => composeServices({ config, store, dataSource, clock }, new Logger('Events')),
          inject: [CONFIG, POSTERIOR_STORE, DATA_SOURCE, CLOCK],
        },
        { provide: EventRepository, useFactory: (g: ServiceGraph) => g.events, inject: [SERVICE_GRAPH] },
        { provide: VerdictRepository, useFactory: (g: ServiceGraph) => g.verdicts, inject: [SERVICE_GRAPH] },
        { provide: SnapshotRepository, useFactory: (g: ServiceGraph) => g.snapshots, inject: [SERVICE_GRAPH] },
        { provide: ExperimentRepository, useFactory: (g: ServiceGraph) => g.experimentRepository, inject: [SERVICE_GRAPH] },
        { provide: EventConsumer, useFactory: (g: ServiceGraph) => g.consumer, inject: [SERVICE_GRAPH] },
        { provide: ExperimentsService, useFactory: (g: ServiceGraph) => g.experiments, inject: [SERVICE_GRAPH] },
        ServingService,
        MetricsService,
        AdminGuard,
        ServiceLifecycle,
        WindowSweeper,
        ...(extra.providers ?? []),
      ],
      exports: exported,
    };
  }
}
