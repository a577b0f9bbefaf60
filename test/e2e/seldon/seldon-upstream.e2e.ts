/**
 * Seldon Core v1.17.1's own router tests, ported to requests against this router where they
 * apply (python/tests/test_router_microservice.py for the wrapper's /route and
 * /send-feedback; components/routers/ for the example routers' parameters). The router node
 * is named "1", as the routing key of Seldon's feedback test. Which tests apply, which do not
 * and why: docs/seldon.md, "Seldon's own router tests, ported".
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnService, type ServiceProcess } from '../../support/processes';

jest.setTimeout(120_000);

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("Seldon's router tests (wrapper and components/routers), against this router", () => {
  let s: ServiceProcess;
  let dir = '';
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-seldon-upstream-'));
    s = await spawnService({
      BANDIT_DATA_DIR: dir,
      BANDIT_LOG_LEVEL: 'warn',
      PREDICTIVE_UNIT_ID: '1',
      // Seldon's case-study parameters (components/routers/case_study/assets/ts_deployment.json)
      PREDICTIVE_UNIT_PARAMETERS: JSON.stringify([
        { name: 'n_branches', value: '2', type: 'INT' },
        { name: 'verbose', value: '1', type: 'BOOL' },
        { name: 'branch_names', value: 'rf:xgb', type: 'STRING' },
        { name: 'seed', value: '1', type: 'INT' },
      ]),
    });
  });
  afterAll(async () => {
    await s?.stop('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const get = async (p: string) => {
    const r = await fetch(`${s.url}${p}`);
    return { status: r.status, body: (await r.json()) as Obj };
  };
  const q = (o: unknown) => encodeURIComponent(JSON.stringify(o));

  it("accepts the case study's parameters: two branches named rf and xgb", async () => {
    const exp = await get('/experiments/1');
    expect(exp.body.definition.arms).toEqual(['rf', 'xgb']);
  });

  it('test_router_ok: GET /route?json={"data":{"ndarray":[2]}} → 200 with the branch as [[k]]', async () => {
    const r = await get(`/route?json=${q({ data: { ndarray: [2] } })}`);
    expect(r.status).toBe(200);
    expect(r.body.data.names).toEqual(['t:0']);
    expect([[[0]], [[1]]]).toContainEqual(r.body.data.ndarray);
  });

  it('test_router_no_json: GET /route? → 400', async () => {
    const r = await get('/route?');
    expect(r.status).toBe(400);
    expect(r.body.status).toMatchObject({ status: 1, code: -1, reason: 'MICROSERVICE_BAD_DATA' });
  });

  it('test_router_proto_ok (over REST): a tensor of shape [2, 1] is routed with a [1, 1] tensor reply', async () => {
    const r = await get(`/route?json=${q({ data: { tensor: { shape: [2, 1], values: [1, 2] } } })}`);
    expect(r.status).toBe(200);
    expect(r.body.data.tensor.shape).toEqual([1, 1]);
    expect([0, 1]).toContain(r.body.data.tensor.values[0]);
  });

  it('test_router_feedback_ok: feedback whose response names routing {"1": 1} → 200, counted on branch 1', async () => {
    const before = (await get('/experiments/1')).body.arms as Obj[];
    const r = await get(`/send-feedback?json=${q({ request: { data: { ndarray: [] } }, response: { meta: { routing: { 1: 1 } } }, reward: 1.0 })}`);
    expect(r.status).toBe(200);
    expect(r.body.meta.tags).toMatchObject({ accounting: 'routed-arm', arm: 'xgb', arm_index: 1, reward: 1, duplicate: false });
    const after = (await get('/experiments/1')).body.arms as Obj[];
    expect(after[1].alpha - before[1].alpha).toBe(1);
    expect(after[1].beta - before[1].beta).toBe(0);
    expect([after[0].alpha, after[0].beta]).toEqual([before[0].alpha, before[0].beta]);
  });

  it('test_router_feedback_lowlevel_ok differs on purpose: a feedback naming no route is refused (404), not dropped silently', async () => {
    const r = await get(`/send-feedback?json=${q({ request: { data: { ndarray: [] } }, reward: 1.0 })}`);
    expect(r.status).toBe(404);
    expect(r.body.status.info).toContain('the feedback names no puid');
  });

  it('a routing past the last child is not counted on any arm', async () => {
    const r = await get(`/send-feedback?json=${q({ response: { meta: { routing: { 1: 2 } } }, reward: 1.0 })}`);
    expect(r.status).toBe(404);
  });
});
