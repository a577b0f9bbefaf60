/**
 * The experiments API refuses priors and arm counts outside the core's validated range
 * (src/core/limits.ts) with 400 and a JSON error naming the field — including a JSON
 * number that overflows a double (1e400 parses as Infinity), which must not read "null".
 * In-process store and SQLite: no external service needed.
 */
import { startService, type ServiceUnderTest } from './harness';

jest.setTimeout(180_000);

const TOKEN = 'test-admin-token-0123456789';

describe('create experiment: validated range over HTTP', () => {
  let s: ServiceUnderTest;
  beforeAll(async () => {
    s = await startService({ store: 'memory', events: 'sqlite', env: { BANDIT_ADMIN_TOKEN: TOKEN } });
  });
  afterAll(async () => s?.close());

  const post = async (body: string) => {
    const r = await fetch(`${s.url}/experiments`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body });
    return { status: r.status, body: (await r.json()) as { error?: { code: string; message: string } } };
  };

  it.each([
    ['alpha 1e400', '{"id":"r1","arms":["a","b"],"prior":{"alpha":1e400,"beta":1}}', /prior\.alpha: must be a finite number > 0, got Infinity \(not a finite number\)/],
    ['beta 1e18', '{"id":"r2","arms":["a","b"],"prior":[{"alpha":1,"beta":1},{"alpha":1,"beta":1e18}]}', /prior\.1\.beta: must be at most 1e9 \(the range where the numerics are verified\)/],
    ['101 arms', JSON.stringify({ id: 'r3', arms: Array.from({ length: 101 }, (_, k) => `a${k}`) }), /arms: at most 100 arms/],
  ])('%s: 400 invalid_input naming the field', async (_name, body, message) => {
    const r = await post(body);
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe('invalid_input');
    expect(r.body.error?.message).toMatch(message);
  });

  it('accepts the edges: alpha = 1e9, beta = 1e-3 and 100 arms', async () => {
    expect((await post('{"id":"e1","arms":["a","b"],"prior":{"alpha":1e9,"beta":0.001}}')).status).toBe(201);
    expect((await post(JSON.stringify({ id: 'e2', arms: Array.from({ length: 100 }, (_, k) => `a${k}`) }))).status).toBe(201);
  });
});
