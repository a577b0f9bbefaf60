/**
 * One composition root: `bandit rebuild` (and `bandit consume`) work on the server's own
 * wiring from the same config — the same consumer settings as the running service, which
 * differed before (rebuild asked the event store for the experiment list on every pass).
 */
import { Command } from 'commander';
import { SERVICE_GRAPH, consumerSettings, type OpenedServices, type ServiceGraph } from '../../../src/app/composition';
import { EventStoreUnavailable } from '../../../src/app/event-store';
import * as cliServices from '../../../src/cli/services';
import { EventConsumer } from '../../../src/event-store/event-consumer';
import { EventStoreVerdicts } from '../../../src/pipeline/verdict-store';
import { POSTERIOR_STORE, type PosteriorStore } from '../../../src/posterior-store/posterior-store';
import { rebuildCommand } from '../../../src/cli/rebuild.command';
import { describeIf } from '../../support/env';
import { hasRedis } from '../../support/services';
import { startService, type ServiceUnderTest } from './harness';

describeIf(() => hasRedis())('bandit rebuild and the service', () => {
  let svc: ServiceUnderTest;
  const saved = { ...process.env };

  beforeAll(async () => {
    svc = await startService({ store: 'redis', events: 'sqlite', env: { BANDIT_EVENT_FLUSH_MS: '123' } });
  });
  afterAll(async () => {
    process.env = saved;
    await svc?.close();
  });

  it('get the same consumer settings from the same config', async () => {
    const served = svc.app.get<ServiceGraph>(SERVICE_GRAPH);
    expect(served.consumerSettings).toEqual(consumerSettings(svc.config));
    expect(served.consumerSettings.flushIntervalMs).toBe(123);
    // the consumer the service runs is the graph's
    expect(svc.app.get(EventConsumer)).toBe(served.consumer);
    expect(served.consumer.intervalMs).toBe(123);
    // the queue it reads is the one the posterior store appends to
    expect(served.queue).toBe(svc.app.get<PosteriorStore>(POSTERIOR_STORE).queue);

    const opened = jest.spyOn(cliServices, 'openCliServices');
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let cli: OpenedServices | undefined;
    try {
      // the environment the harness started the service with
      process.env = { BANDIT_DATA_DIR: svc.dataDir, BANDIT_LOG_LEVEL: 'error', BANDIT_EVENT_FLUSH_MS: '123', BANDIT_SNAPSHOT_INTERVAL_SECONDS: '0', BANDIT_REDIS_URL: svc.redis!.url };
      const program = new Command('bandit').exitOverride();
      rebuildCommand.register(program);
      await program.parseAsync(['node', 'bandit', 'rebuild', '--all', '--check']);
      expect(opened).toHaveBeenCalledTimes(1);
      cli = (await opened.mock.results[0].value) as OpenedServices;
    } finally {
      out.mockRestore();
      opened.mockRestore();
      process.exitCode = undefined;
    }
    expect(cli.consumerSettings).toEqual(served.consumerSettings);
    expect(cli.consumer.intervalMs).toBe(served.consumer.intervalMs);
    expect(cli.config).toEqual(svc.config);
  });
});

describe("the pipeline's decision store", () => {
  it('opens the event store as the composition root does: an unreachable one is named', async () => {
    const opening = EventStoreVerdicts.open({ databaseUrl: 'postgres://bandit@127.0.0.1:1/none', sqlitePath: '' });
    await expect(opening).rejects.toBeInstanceOf(EventStoreUnavailable);
    await expect(opening).rejects.toThrow(/^cannot open the event store \(postgres\): /);
  });
});
