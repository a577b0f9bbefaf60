/**
 * Unknown experiment ids are cheap: a burst of /select for ids that do not exist costs at
 * most one event-store lookup per id per second, and an experiment created afterwards is
 * served at once by the replica that created it.
 */
import { ExperimentRepository } from '../../../src/experiments/experiment.repository';
import { call, pool, startService, type ServiceUnderTest } from '../service/harness';

jest.setTimeout(180_000);

describe('negative lookups are cached briefly', () => {
  let s: ServiceUnderTest;

  beforeAll(async () => {
    s = await startService({ store: 'redis', events: 'postgres', env: { BANDIT_LOG_LEVEL: 'silent' } });
  });

  afterAll(async () => s?.close());

  it('2,000 selects over 10 unknown ids: every one 404, at most one lookup per id per second; creating one of them serves it at once', async () => {
    const repo = s.app.get(ExperimentRepository);
    const find = jest.spyOn(repo, 'find');
    const t0 = Date.now();
    const statuses = await pool(2000, 20, async (i) => (await call(s.url, 'POST', '/select', { experiment_id: `ghost-${i % 10}` })).status);
    expect(new Set(statuses)).toEqual(new Set([404]));
    const seconds = Math.ceil((Date.now() - t0) / 1000);
    // one lookup per id per second of the burst (the negative entry lives 1 s), plus one
    expect(find.mock.calls.length).toBeLessThanOrEqual(10 * (seconds + 1));
    expect((await call(s.url, 'POST', '/experiments', { id: 'ghost-3', arms: ['a', 'b'] })).status).toBe(201);
    expect((await call(s.url, 'POST', '/select', { experiment_id: 'ghost-3' })).status).toBe(200);
    find.mockRestore();
  });
});
