/**
 * One stopping verdict everywhere, on the machine's Redis and Postgres. The case where the
 * copies used to disagree: 3 arms with floors of 0.33 each, minSamplesPerArm 100, about 300
 * selects but only 60 rewarded selects per arm, one arm clearly best. Observations (rewarded
 * selects) are what the minimum sample counts, so the answer is `continue` — from the
 * service (POST /experiments/:id/conclude), from the pipeline's `conclude` on the same event
 * store, in GET /experiments/:id (its evaluation, and a lastVerdict that is never the
 * pipeline's advice) and in the dashboard's view model (common.js, run under Node).
 * A second experiment concludes and then keeps exploring: its banner and stopping card show
 * the one evaluation that decided, labelled with its time, not today's numbers.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Client } from 'pg';
import { EventStoreVerdicts } from '../../../src/pipeline/verdict-store';
import { concludeLive } from '../../../src/pipeline/conclude.asset';
import { available, describeIf, POSTGRES_URL, REDIS_URL } from '../../support/env';
import { call, pool, startService, waitFor, type ServiceUnderTest } from './harness';

jest.setTimeout(180_000);

/** A TCP connect to host:port, synchronously (describeIf decides before the suite runs). */
function reachable(url: string, defaultPort: number): boolean {
  const u = new URL(url);
  const port = Number(u.port || defaultPort);
  const script = `require('net').connect(${port}, ${JSON.stringify(u.hostname)}).on('connect', () => process.exit(0)).on('error', () => process.exit(1))`;
  return spawnSync(process.execPath, ['-e', script], { timeout: 5000 }).status === 0;
}

interface Check {
  key: string;
  value: number | null;
  threshold: number | null;
  met: boolean | null;
}
interface Evaluation {
  at: string;
  source: 'live' | 'decision';
  verdictId: number | null;
  decisionId: number | null;
  status: string;
  leaderIndex: number;
  probBest: number[];
  expectedLoss: number[];
  observations: number[];
  checks: Check[];
  reasons: string[];
}
interface Decision {
  id: number;
  status: string;
  trigger: string;
  probBest: number[];
  reasons: string[];
  createdAt: string;
  leaderIndex: number;
}
interface View {
  status: string;
  arms: Array<{ alpha: number; beta: number; assignments: number; observations: number; pulls: number; rewards: number; probBest: number }>;
  winner: { index: number; verdict: Decision | null; decision: Decision | null } | null;
  lastVerdict: Decision | null;
  lastDecision: Decision | null;
  evaluation: Evaluation;
}
interface ViewModel {
  status: string;
  evaluation: {
    at: string;
    source: string;
    status: string;
    leaderIndex: number;
    probBest: number | null;
    checks: Array<{ key: string; value: number | null; threshold: number | null; met: boolean | null }>;
  } | null;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const common = require(path.join(__dirname, '../../../src/dashboard/static/common.js')) as { BanditCommon: { normalize(v: unknown): ViewModel } };

const check = (checks: Array<{ key: string }>, key: string) => {
  const c = checks.find((x) => x.key === key);
  if (!c) throw new Error(`no ${key} check in ${JSON.stringify(checks)}`);
  return c as Check;
};

describeIf(() => available('Postgres and Redis', reachable(POSTGRES_URL, 5432) && reachable(REDIS_URL, 6379), 'start them (see .ci/run)'))('one stopping verdict (Redis + Postgres)', () => {
  let s: ServiceUnderTest;
  let pg: Client;
  const id = 'few-observations';
  const selects = [0, 0, 0];

  const eventsStored = async (exp: string) => Number((await pg.query('SELECT count(*) AS n FROM bandit_events WHERE experiment_id = $1', [exp])).rows[0].n);

  beforeAll(async () => {
    s = await startService({ store: 'redis', events: 'postgres' });
    pg = new Client({ connectionString: s.database?.url });
    await pg.connect();
    const created = await call(s.url, 'POST', '/experiments', { id, arms: ['a', 'b', 'c'], floors: [0.33, 0.33, 0.33], stopping: { minSamplesPerArm: 100 } });
    expect(created.status).toBe(201);
    const served = await pool(900, 8, async () => (await call<{ decision_id: string; arm_index: number }>(s.url, 'POST', '/select', { experiment_id: id })).body);
    const byArm: string[][] = [[], [], []];
    for (const d of served) byArm[d.arm_index].push(d.decision_id);
    byArm.forEach((ids, k) => (selects[k] = ids.length));
    // 60 rewarded selects per arm: c always converts, a and b never
    const rewards = byArm.flatMap((ids, k) => ids.slice(0, 60).map((decision_id) => ({ decision_id, reward: k === 2 ? 1 : 0 })));
    await pool(rewards.length, 8, async (i) => expect((await call(s.url, 'POST', '/reward', rewards[i])).status).toBe(200));
    await waitFor('every event in Postgres', async () => (await eventsStored(id)) === 900 + 180);
  });
  afterAll(async () => {
    await pg?.end();
    await s?.close();
  });

  it('the case has selects ≠ observations: about 300 selects per arm, 60 rewarded', () => {
    for (const n of selects) expect(n).toBeGreaterThanOrEqual(200);
    expect(selects.reduce((a, b) => a + b, 0)).toBe(900);
  });

  it('the service answers continue: minimum samples not met', async () => {
    const r = await call<{ verdict: Decision; decision: Decision; experiment: View }>(s.url, 'POST', `/experiments/${id}/conclude`);
    expect(r.status).toBe(200);
    // one word per meaning: assignments (served) ≠ observations (rewards counted); the earlier names stay as aliases
    const arms = r.body.experiment.arms;
    expect(arms.map((a) => a.assignments)).toEqual(selects);
    expect(arms.map((a) => a.observations)).toEqual([60, 60, 60]);
    expect(arms.map((a) => a.observations)).toEqual(arms.map((a) => a.alpha + a.beta - 2));
    expect(arms.map((a) => a.pulls)).toEqual(selects);
    expect(r.body.decision).toEqual(r.body.verdict);
    expect(r.body.experiment.lastDecision).toEqual(r.body.experiment.lastVerdict);
    expect(r.body.verdict.status).toBe('continue');
    expect(r.body.verdict.trigger).toBe('manual');
    expect(r.body.verdict.reasons[0]).toMatch(/^minimum samples not met: a has 60, b has 60, c has 60 of 100/);
    expect(r.body.experiment.status).toBe('running');
  });

  it('the pipeline’s conclude answers continue too, and records it as advice', async () => {
    const store = await EventStoreVerdicts.open({ databaseUrl: s.database?.url, sqlitePath: '' });
    try {
      const out = await concludeLive(store, { progress: () => undefined }, { experiments: [id], now: new Date() });
      expect(out.map((d) => [d.experimentId, d.status, d.winner])).toEqual([[id, 'continue', null]]);
      expect(out[0].reasons[0]).toMatch(/^minimum samples not met: a has 60, b has 60, c has 60 of 100/);
      expect(out[0].totalSamples).toBe(180);
    } finally {
      await store.close();
    }
    const rows = (await pg.query('SELECT status, trigger FROM verdicts WHERE experiment_id = $1 ORDER BY id', [id])).rows;
    expect(rows).toEqual([
      { status: 'continue', trigger: 'manual' },
      { status: 'continue', trigger: 'pipeline' },
    ]);
  });

  it('GET /experiments/:id shows the same evaluation, and never the pipeline’s advice as its decision', async () => {
    // advice that would end the experiment, as an older pipeline recorded it
    await pg.query(
      `INSERT INTO verdicts (experiment_id, status, trigger, winner_index, leader_index, prob_best, expected_loss, reasons, thresholds, total_samples, created_at)
       VALUES ($1, 'winner', 'pipeline', 2, 2, '[0,0,1]', '[0.5,0.5,0]', '["winner: c"]', '{}', 900, now())`,
      [id],
    );
    const v = (await call<View>(s.url, 'GET', `/experiments/${id}`)).body;
    expect(v.status).toBe('running');
    expect(v.winner).toBeNull();
    expect(v.lastVerdict).toMatchObject({ status: 'continue', trigger: 'manual' });
    expect(v.evaluation).toMatchObject({ source: 'live', decisionId: null, status: 'continue', leaderIndex: 2, observations: [60, 60, 60] });
    expect(v.evaluation.reasons[0]).toMatch(/^minimum samples not met/);
    expect(Date.parse(v.evaluation.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(check(v.evaluation.checks, 'minSamples')).toMatchObject({ value: 60, threshold: 100, met: false });
    expect(check(v.evaluation.checks, 'probBest')).toMatchObject({ value: v.evaluation.probBest[2], met: true });
    // the arms' own numbers are the same posteriors
    expect(v.arms.map((a) => a.probBest)).toEqual(v.evaluation.probBest);
  });

  it('the dashboard’s view model draws the server’s evaluation: continue, 60 of 100', async () => {
    const v = (await call<View>(s.url, 'GET', `/experiments/${id}`)).body;
    const vm = common.BanditCommon.normalize(v);
    expect(vm.evaluation).toMatchObject({ source: 'live', status: 'continue', leaderIndex: 2, at: v.evaluation.at });
    expect(vm.evaluation?.checks.find((c) => c.key === 'minSamples')).toMatchObject({ value: 60, threshold: 100, met: false });
  });

  it('a concluded experiment’s banner and card show the evaluation that decided, with its time', async () => {
    const won = 'decided-then-explored';
    expect((await call(s.url, 'POST', '/experiments', { id: won, arms: ['x', 'y'], exploration: 0.5, stopping: { minSamplesPerArm: 3, probBest: 0.9, expectedLoss: 0.05 } })).status).toBe(201);
    let n = 0;
    const traffic = async (count: number) =>
      pool(count, 4, async () => {
        const sel = (await call<{ decision_id: string; arm_index: number }>(s.url, 'POST', '/select', { experiment_id: won })).body;
        n++;
        await call(s.url, 'POST', '/reward', { decision_id: sel.decision_id, reward: sel.arm_index === 1 ? (n % 3 === 0 ? 0 : 1) : n % 9 === 0 ? 1 : 0 });
      });
    let v: View | undefined;
    await waitFor(
      'the experiment to conclude',
      async () => {
        await traffic(20);
        const r = await call<{ experiment: View }>(s.url, 'POST', `/experiments/${won}/conclude`);
        v = r.status === 200 ? r.body.experiment : (await call<View>(s.url, 'GET', `/experiments/${won}`)).body;
        return v.status === 'concluded';
      },
      60_000,
    );
    const decided = v?.lastVerdict as Decision;
    expect(decided.status).toBe('winner');
    // keeps exploring: the live posteriors move on after the decision
    await traffic(60);
    await waitFor('the live numbers to move on', async () => {
      v = (await call<View>(s.url, 'GET', `/experiments/${won}`)).body;
      return v.arms[decided.leaderIndex].probBest !== decided.probBest[decided.leaderIndex];
    });
    const view = v as View;
    expect(view.winner?.verdict?.id).toBe(decided.id);
    expect(view.winner?.decision).toEqual(view.winner?.verdict);
    expect(view.evaluation).toMatchObject({ source: 'decision', verdictId: decided.id, decisionId: decided.id, status: 'winner', at: decided.createdAt, probBest: decided.probBest });
    expect(check(view.evaluation.checks, 'probBest')).toMatchObject({ value: decided.probBest[decided.leaderIndex], met: true });
    const vm = common.BanditCommon.normalize(view);
    expect(vm.evaluation).toMatchObject({ source: 'decision', status: 'winner', at: decided.createdAt, probBest: decided.probBest[decided.leaderIndex] });
    // every winner criterion met; the alternative ending (no meaningful difference) not
    expect(vm.evaluation?.checks.filter((c) => c.key !== 'equivalence').every((c) => c.met !== false)).toBe(true);
    expect(vm.evaluation?.checks.find((c) => c.key === 'equivalence')?.met).not.toBe(true);
  });
});
