/**
 * The experiment lifecycle on the machine's Redis and Postgres: name and description,
 * listing by status and page, pause / resume, PATCH (add_arms: the new arm gets traffic at
 * once), retiring an arm, shipping a winner by hand, archive / restore, the change log —
 * and after Redis loses everything, the restarted service rebuilds exactly that state.
 */
import Redis from 'ioredis';
import { describeIf } from '../../support/env';
import { hasPostgres, hasRedis } from '../../support/services';
import { call, startService, type ServiceUnderTest } from './harness';

jest.setTimeout(180_000);

const TOKEN = 'lifecycle-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

interface Arm {
  name: string;
  alpha: number;
  beta: number;
  assignments: number;
  allocation: number;
}
interface View {
  id: string;
  status: string;
  definition: { arms: string[]; name: string | null; description: string | null; retired: number[]; stopping: { probBest: number } };
  arms: Arm[];
  winner: { index: number; name: string; verdict: { trigger: string; reasons: string[] } | null } | null;
}
interface Selected {
  decision_id: string;
  arm: string;
  arm_index: number;
  paused?: boolean;
}

describeIf(() => hasRedis() && hasPostgres())('experiment lifecycle on Redis + Postgres', () => {
  let s: ServiceUnderTest;
  beforeAll(async () => {
    s = await startService({ store: 'redis', events: 'postgres', env: { BANDIT_ADMIN_TOKEN: TOKEN } });
  });
  afterAll(async () => s?.close());

  const create = async (id: string, extra: Record<string, unknown> = {}) => {
    const r = await call<View>(s.url, 'POST', '/experiments', { id, arms: ['control', 'b'], ...extra }, auth);
    expect(r.status).toBe(201);
    return r.body;
  };
  const get = async (id: string) => (await call<View>(s.url, 'GET', `/experiments/${id}`)).body;
  const select = async (id: string) => call<Selected>(s.url, 'POST', '/select', { experiment_id: id });
  const selectMany = async (id: string, n: number) => {
    const out: Selected[] = [];
    for (let i = 0; i < n; i++) {
      const r = await select(id);
      expect(r.status).toBe(200);
      out.push(r.body);
    }
    return out;
  };

  it('create takes a name and a description; GET /experiments pages and filters by status', async () => {
    const v = await create('lc-list-a', { name: 'Homepage CTA', description: 'button colour' });
    expect(v.definition.name).toBe('Homepage CTA');
    expect(v.definition.description).toBe('button colour');
    await create('lc-list-b');
    await create('lc-list-c');
    expect((await call(s.url, 'POST', '/experiments/lc-list-b/pause', undefined, auth)).status).toBe(200);
    const paused = await call<{ experiments: View[]; total: number }>(s.url, 'GET', '/experiments?status=paused');
    expect(paused.status).toBe(200);
    expect(paused.body.experiments.map((e) => e.id)).toEqual(['lc-list-b']);
    expect(paused.body.total).toBe(1);
    const all = await call<{ experiments: View[]; total: number; limit: number; offset: number }>(s.url, 'GET', '/experiments');
    const ids = all.body.experiments.map((e) => e.id);
    const page1 = await call<{ experiments: View[]; total: number; limit: number; offset: number }>(s.url, 'GET', '/experiments?limit=2&offset=1');
    expect(page1.body.experiments.map((e) => e.id)).toEqual(ids.slice(1, 3));
    expect(page1.body).toMatchObject({ total: all.body.total, limit: 2, offset: 1 });
    const bad = await call<{ error: { code: string; message: string } }>(s.url, 'GET', '/experiments?status=sleeping');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/status/);
  });

  it('pause serves the control with paused: true and records nothing; rewards of earlier decisions count; resume serves again', async () => {
    await create('lc-pause');
    const before = await select('lc-pause');
    expect(before.status).toBe(200);
    expect((await call(s.url, 'POST', '/experiments/lc-pause/pause', { by: 'ana', reason: 'bug in b' }, auth)).status).toBe(200);
    // admin only
    expect((await call(s.url, 'POST', '/experiments/lc-pause/resume')).status).toBe(401);
    const served = await selectMany('lc-pause', 20);
    for (const r of served) expect(r).toMatchObject({ arm: 'control', arm_index: 0, paused: true, decision_id: '' });
    let v = await get('lc-pause');
    expect(v.status).toBe('paused');
    expect(v.arms.map((a) => a.assignments)).toEqual(before.body.arm_index === 0 ? [1, 0] : [0, 1]);
    const rw = await call(s.url, 'POST', '/reward', { decision_id: before.body.decision_id, reward: 1 });
    expect(rw.status).toBe(200);
    v = await get('lc-pause');
    expect(v.arms[before.body.arm_index].alpha).toBe(2);
    // pausing twice is no error; a stopped experiment cannot be resumed
    expect((await call(s.url, 'POST', '/experiments/lc-pause/pause', undefined, auth)).status).toBe(200);
    expect((await call<View>(s.url, 'POST', '/experiments/lc-pause/resume', undefined, auth)).body.status).toBe('running');
    const again = await select('lc-pause');
    expect(again.body.paused).toBeUndefined();
    expect(again.body.decision_id).not.toBe('');
    expect((await get('lc-pause')).arms.reduce((a, b) => a + b.assignments, 0)).toBe(2);
  });

  it('PATCH edits name, thresholds and floors, and add_arms joins the allocation at once', async () => {
    await create('lc-patch');
    const r = await call<View>(s.url, 'PATCH', '/experiments/lc-patch', { name: 'renamed', stopping: { probBest: 0.99 }, add_arms: ['c'], by: 'ana' }, auth);
    expect(r.status).toBe(200);
    expect(r.body.definition.name).toBe('renamed');
    expect(r.body.definition.stopping.probBest).toBe(0.99);
    expect(r.body.definition.arms).toEqual(['control', 'b', 'c']);
    expect(r.body.arms[2]).toMatchObject({ name: 'c', alpha: 1, beta: 1, pulls: 0 });
    expect(r.body.arms[2].allocation).toBeGreaterThan(0.2);
    const served = await selectMany('lc-patch', 60);
    expect(served.filter((x) => x.arm === 'c').length).toBeGreaterThan(5);
    expect((await get('lc-patch')).arms[2].assignments).toBe(served.filter((x) => x.arm === 'c').length);
    // a decision on the new arm is rewarded like any other
    const onC = served.find((x) => x.arm === 'c') as Selected;
    expect((await call(s.url, 'POST', '/reward', { decision_id: onC.decision_id, reward: 1 })).status).toBe(200);
    expect((await get('lc-patch')).arms[2].alpha).toBe(2);
    const dup = await call<{ error: { message: string } }>(s.url, 'PATCH', '/experiments/lc-patch', { add_arms: ['b'] }, auth);
    expect(dup.status).toBe(400);
    expect(dup.body.error.message).toMatch(/exists already/);
    const floors = await call<{ error: { message: string } }>(s.url, 'PATCH', '/experiments/lc-patch', { floors: { b: 0.7, c: 0.7 } }, auth);
    expect(floors.status).toBe(400);
    expect(floors.body.error.message).toMatch(/floors/);
    expect((await call(s.url, 'PATCH', '/experiments/lc-patch', { floors: { b: 0.2 } }, auth)).status).toBe(200);
  });

  it('a retired arm is served no more and keeps its history', async () => {
    await create('lc-retire', { arms: ['control', 'b', 'c'] });
    const first = await selectMany('lc-retire', 30);
    const bPulls = first.filter((x) => x.arm === 'b').length;
    const r = await call<View>(s.url, 'POST', '/experiments/lc-retire/arms/b/retire', { by: 'ana' }, auth);
    expect(r.status).toBe(200);
    expect(r.body.definition.retired).toEqual([1]);
    expect(r.body.arms[1].allocation).toBe(0);
    const after = await selectMany('lc-retire', 40);
    expect(after.filter((x) => x.arm === 'b')).toEqual([]);
    expect((await get('lc-retire')).arms[1].assignments).toBe(bPulls);
    expect((await call(s.url, 'POST', '/experiments/lc-retire/arms/zzz/retire', undefined, auth)).status).toBe(404);
  });

  it('ship declares the winner by hand (trigger manual, who and why); /select serves it', async () => {
    await create('lc-ship');
    await selectMany('lc-ship', 5);
    const r = await call<{ verdict: { trigger: string; status: string; winnerName: string; reasons: string[] }; experiment: View }>(
      s.url,
      'POST',
      '/experiments/lc-ship/ship',
      { arm: 'b', by: 'ana', reason: 'brand decision' },
      auth,
    );
    expect(r.status).toBe(200);
    expect(r.body.verdict).toMatchObject({ trigger: 'manual', status: 'winner', winnerName: 'b' });
    expect(r.body.verdict.reasons[0]).toMatch(/ana.*brand decision/);
    expect(r.body.experiment.status).toBe('concluded');
    expect(r.body.experiment.winner).toMatchObject({ index: 1, name: 'b' });
    const served = await selectMany('lc-ship', 20);
    expect(served.every((x) => x.arm === 'b')).toBe(true);
    expect((await call(s.url, 'POST', '/experiments/lc-ship/ship', { arm: 'control' }, auth)).status).toBe(409);
    expect((await call(s.url, 'POST', '/experiments/lc-ship/ship', { arm: 'nope' }, auth)).status).toBe(409);
  });

  it('archive hides the experiment from lists, GET and /select; restore brings it back; every change is logged', async () => {
    await create('lc-archive');
    const sel = await select('lc-archive');
    expect((await call(s.url, 'DELETE', '/experiments/lc-archive', undefined, auth)).status).toBe(200);
    expect((await call(s.url, 'GET', '/experiments/lc-archive')).status).toBe(404);
    expect((await select('lc-archive')).status).toBe(404);
    const list = await call<{ experiments: View[] }>(s.url, 'GET', '/experiments?limit=500');
    expect(list.body.experiments.map((e) => e.id)).not.toContain('lc-archive');
    const restored = await call<View>(s.url, 'POST', '/experiments/lc-archive/restore', undefined, auth);
    expect(restored.status).toBe(200);
    expect(restored.body.arms.reduce((a, b) => a + b.assignments, 0)).toBe(1);
    expect((await call(s.url, 'POST', '/reward', { decision_id: sel.body.decision_id, reward: 1 })).status).toBe(200);
    const log = await call<{ changes: Array<{ kind: string; by: string | null }> }>(s.url, 'GET', '/experiments/lc-pause/changes');
    expect(log.body.changes.map((c) => c.kind)).toEqual(['created', 'paused', 'resumed']);
    expect(log.body.changes[1].by).toBe('ana');
    expect((await call<{ changes: Array<{ kind: string }> }>(s.url, 'GET', '/experiments/lc-archive/changes')).body.changes.map((c) => c.kind)).toEqual([
      'created',
      'archived',
      'restored',
    ]);
  });

  it('the OpenAPI document lists every lifecycle route', async () => {
    const doc = (await call<{ paths: Record<string, Record<string, { operationId: string }>> }>(s.url, 'GET', '/openapi.json')).body;
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId));
    for (const op of ['pauseExperiment', 'resumeExperiment', 'patchExperiment', 'retireArm', 'shipArm', 'archiveExperiment', 'restoreExperiment', 'experimentChanges', 'acknowledgeSrm']) {
      expect(ops).toContain(op);
    }
    expect(Object.keys(doc.paths['/experiments/{id}'])).toEqual(expect.arrayContaining(['get', 'patch', 'delete']));
  });

  it('after Redis loses everything, the restarted service rebuilds the same lifecycle state', async () => {
    const ids = ['lc-pause', 'lc-patch', 'lc-retire', 'lc-ship', 'lc-list-b'];
    expect((await call(s.url, 'POST', '/experiments/lc-pause/pause', undefined, auth)).status).toBe(200);
    const before = await Promise.all(ids.map(get));
    // every queued event reaches Postgres before the loss
    await new Promise((r) => setTimeout(r, 500));
    await s.stop();
    const r = new Redis(s.redis?.url as string);
    await r.flushdb();
    r.disconnect();
    s = await s.restart();
    const after = await Promise.all(ids.map(get));
    for (let i = 0; i < ids.length; i++) {
      expect({ id: after[i].id, status: after[i].status, definition: after[i].definition, winner: after[i].winner?.index ?? null }).toEqual({
        id: before[i].id,
        status: before[i].status,
        definition: before[i].definition,
        winner: before[i].winner?.index ?? null,
      });
      expect(after[i].arms.map((a) => [a.alpha, a.beta, a.assignments])).toEqual(before[i].arms.map((a) => [a.alpha, a.beta, a.assignments]));
    }
    expect((await select('lc-pause')).body.paused).toBe(true);
    expect((await selectMany('lc-ship', 5)).every((x) => x.arm === 'b')).toBe(true);
    expect((await selectMany('lc-retire', 20)).some((x) => x.arm === 'b')).toBe(false);
    expect((await call(s.url, 'GET', '/experiments/lc-archive')).status).toBe(200);
  });
});
