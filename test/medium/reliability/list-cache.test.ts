/**
 * GET /experiments is paged, and the posterior numbers of a listed experiment (P(best),
 * intervals, expected loss, allocation, live evaluation) are computed once per change of
 * its posteriors, not per request.
 */
import { ExperimentsService } from '../../../src/experiments/experiment.service';
import { call, startService, type ServiceUnderTest } from '../service/harness';

jest.setTimeout(120_000);

describe('GET /experiments: paged, posterior numbers cached per posterior change (Redis + Postgres)', () => {
  let s: ServiceUnderTest;
  const arms = Array.from({ length: 40 }, (_, k) => `arm${k}`);

  beforeAll(async () => {
    s = await startService({ store: 'redis', events: 'postgres', env: { BANDIT_LOG_LEVEL: 'silent' } });
    for (const id of ['list-a', 'list-b', 'list-c']) expect((await call(s.url, 'POST', '/experiments', { id, arms, stopping: { minSamplesPerArm: 1_000_000 } })).status).toBe(201);
  });

  afterAll(async () => {
    await s?.close();
  });

  const computed = () => s.app.get(ExperimentsService).posteriorComputations;

  it('pages by limit and offset', async () => {
    const page = await call<{ experiments: Array<{ id: string }>; total: number }>(s.url, 'GET', '/experiments?limit=2&offset=1');
    expect(page.status).toBe(200);
    expect(page.body.total).toBe(3);
    expect(page.body.experiments).toHaveLength(2);
    expect((await call(s.url, 'GET', '/experiments?limit=501')).status).toBe(400);
  });

  it('a second list with no new events computes nothing; after a reward only that experiment is computed again', async () => {
    expect((await call(s.url, 'GET', '/experiments')).status).toBe(200);
    const first = computed();
    const again = await call<{ experiments: Array<{ id: string; arms: Array<{ probBest: number }> }> }>(s.url, 'GET', '/experiments');
    expect(again.status).toBe(200);
    expect(computed()).toBe(first);
    const sel = await call<{ decision_id: string }>(s.url, 'POST', '/select', { experiment_id: 'list-b' });
    expect((await call(s.url, 'POST', '/reward', { decision_id: sel.body.decision_id, reward: 1 })).status).toBe(200);
    const after = await call<{ experiments: Array<{ id: string; arms: Array<{ alpha: number; probBest: number }> }> }>(s.url, 'GET', '/experiments');
    expect(computed()).toBe(first + 1);
    const b = after.body.experiments.find((e) => e.id === 'list-b');
    expect(b?.arms.reduce((n, a) => n + a.alpha, 0)).toBe(arms.length + 1);
    expect(b?.arms.reduce((n, a) => n + a.probBest, 0)).toBeCloseTo(1, 6);
    // GET of one experiment shares the numbers
    expect((await call(s.url, 'GET', '/experiments/list-b')).status).toBe(200);
    expect(computed()).toBe(first + 1);
  });
});
