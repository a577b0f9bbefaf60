/**
 * Arm names that are also names of JavaScript object properties (`constructor`,
 * `toString`, `__proto__`, `hasOwnProperty`, `valueOf`) with per-arm floors / caps given
 * as an object: the definition is read by own keys only; a definition that does not
 * validate is refused with a 400 and never stored; listing, the dashboard data and
 * /select keep working for everyone.
 */
import { Client } from 'pg';
import { call, startService, type ServiceUnderTest } from '../service/harness';

jest.setTimeout(180_000);

describe('arm names that are JavaScript property names', () => {
  let s: ServiceUnderTest;
  let pg: Client;

  beforeAll(async () => {
    s = await startService({ store: 'redis', events: 'postgres' });
    pg = new Client({ connectionString: s.database?.url });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    await s?.close();
  });

  const stored = async () => (await pg.query('SELECT id FROM experiments ORDER BY id')).rows.map((r) => r.id as string);

  it('floors / caps objects resolve by own keys only: unnamed arms get the default, not an inherited property', async () => {
    const arms = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];
    const created = await call<{ definition: { floors: number[]; caps: number[] } }>(s.url, 'POST', '/experiments', {
      id: 'protos',
      arms,
      floors: { hasOwnProperty: 0.1, valueOf: 0.05 },
      caps: { toString: 0.5 },
    });
    expect(created.status).toBe(201);
    expect(created.body.definition.floors).toEqual([0, 0, 0, 0.1, 0.05]);
    expect(created.body.definition.caps).toEqual([1, 0.5, 1, 1, 1]);
    for (let i = 0; i < 20; i++) expect((await call(s.url, 'POST', '/select', { experiment_id: 'protos' })).status).toBe(200);
    expect((await call(s.url, 'GET', '/experiments')).status).toBe(200);
    expect((await call(s.url, 'GET', '/experiments/protos')).status).toBe(200);
  });

  it('a floors object naming an inherited property of a plain object is an unknown arm (400), nothing stored', async () => {
    for (const floors of [{ constructor: 0.1 }, { toString: 0.1 }]) {
      const r = await call<{ error: { code: string; message: string } }>(s.url, 'POST', '/experiments', { id: 'plain', arms: ['a', 'b'], floors });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toMatch(/unknown arm/);
    }
    // a "__proto__" key anywhere in a JSON body is refused by the body parser (prototype poisoning)
    const proto = await call<{ error: { code: string; message: string } }>(s.url, 'POST', '/experiments', '{"id":"plain","arms":["__proto__","b"],"floors":{"__proto__":0.1}}');
    expect(proto.status).toBe(400);
    expect(proto.body.error.code).toBe('invalid_input');
    expect(await stored()).toEqual(['protos']);
  });

  it('the arms named constructor / toString / __proto__ without floors serve and list like any other', async () => {
    expect((await call(s.url, 'POST', '/experiments', { id: 'plainnames', arms: ['__proto__', 'constructor', 'toString'], sticky: true })).status).toBe(201);
    // 30 sticky units: every arm is served (one arm missed by all of them: (2/3)^30 ≈ 5e-6)
    for (const unit of ['__proto__', 'constructor', 'toString', ...Array.from({ length: 27 }, (_, i) => `u${i}`)]) {
      const a = await call<{ arm: string }>(s.url, 'POST', '/select', { experiment_id: 'plainnames', unit_id: unit });
      const b = await call<{ arm: string }>(s.url, 'POST', '/select', { experiment_id: 'plainnames', unit_id: unit });
      expect(a.status).toBe(200);
      expect(b.body.arm).toBe(a.body.arm);
    }
    const list = await call<{ experiments: Array<{ id: string }> }>(s.url, 'GET', '/experiments');
    expect(list.status).toBe(200);
    expect(list.body.experiments.map((e) => e.id).sort()).toEqual(['plainnames', 'protos']);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/bandit_selections_total\{experiment="plainnames",arm="__proto__"/);
  });
});
