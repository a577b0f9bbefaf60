import type * as http from 'node:http';
import { describeError } from '../http/exception.filter';
import { notFound } from '../common/errors';
import { createArmServer, listen } from './arm-server';
import { SELDON_REASON } from './seldon-error';

describe('the arm server (a Seldon MODEL on node:http)', () => {
  let server: http.Server;
  let base = '';

  beforeAll(async () => {
    server = createArmServer({ name: 'control', payload: [1, 2], version: 'test', metricsPath: '/prometheus', bodyLimitBytes: 1024 });
    base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("answers an unknown route with 404 in Seldon's shape, rendered from the one error description", async () => {
    for (const [method, path] of [
      ['GET', '/no/such/route'],
      ['POST', '/route'],
      ['DELETE', '/predict'],
    ]) {
      const r = await fetch(base + path, { method });
      const d = describeError(notFound(`no such route: ${method} ${path}`));
      expect({ status: r.status, type: r.headers.get('content-type'), body: await r.json() }).toEqual({
        status: d.status,
        type: 'application/json',
        body: { status: { status: 1, info: d.message, code: -1, reason: SELDON_REASON[d.code] } },
      });
      expect(d.status).toBe(404);
    }
  });

  it("a bad message and a body over the limit: Seldon's shape too", async () => {
    const bad = await fetch(`${base}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ status: { status: 1, code: -1, reason: 'MICROSERVICE_BAD_DATA', info: expect.stringMatching(/^request body is not valid JSON/) } });
    const large = await fetch(`${base}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ strData: 'x'.repeat(2048) }) }).then(
      async (r) => ({ status: r.status, body: await r.json() }),
      (err: Error) => ({ error: err.message }),
    );
    expect(large).toEqual({ status: 413, body: { status: { status: 1, code: -1, reason: 'MICROSERVICE_BAD_DATA', info: 'request body is larger than 1024 bytes' } } });
    const ok = await fetch(`${base}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: { ndarray: [[1]] } }) });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { data: { ndarray: unknown } }).data.ndarray).toEqual([1, 2]);
  });
});
