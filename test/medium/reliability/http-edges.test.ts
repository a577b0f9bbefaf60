/**
 * Edges of the HTTP surface: a JSON-looking form body on a JSON route is a 415 telling to
 * send application/json (Seldon routes keep their form support); a cross-site form POST
 * cannot create or stop experiments; a request with both Content-Length and
 * Transfer-Encoding gets the documented error shape; the sticky-units hash expires.
 */
import * as net from 'node:net';
import Redis from 'ioredis';
import type { FastifyInstance } from 'fastify';
import { keys } from '../../../src/posterior-store/keys';
import { SELDON_REASON } from '../../../src/seldon/seldon-error';
import { SELDON_BODY_TYPES } from '../../../src/seldon/seldon.routes';
import { seldonRouterEnv } from './seldon-env';
import { call, startService, type ServiceUnderTest } from '../service/harness';

jest.setTimeout(180_000);

const SELDON_ENV = {
  ...seldonRouterEnv('edges', 'a,b'),
  BANDIT_DECISION_TTL_SECONDS: '3600',
};

async function form(url: string, route: string, body: string): Promise<{ status: number; body: { error?: { code: string; message: string } } }> {
  const res = await fetch(url + route, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as { error?: { code: string; message: string } } };
}

function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(request));
    let got = '';
    sock.on('data', (d) => (got += d.toString()));
    sock.on('close', () => resolve(got));
    sock.on('error', reject);
    setTimeout(() => sock.destroy(), 5000);
  });
}

describe('HTTP edges', () => {
  let s: ServiceUnderTest;
  let redis: Redis;

  beforeAll(async () => {
    s = await startService({ store: 'redis', events: 'postgres', env: SELDON_ENV });
    redis = new Redis(s.redis?.url ?? '');
  });

  afterAll(async () => {
    redis?.disconnect();
    await s?.close();
  });

  it('a JSON-looking form body on /select and /reward: 415 telling to send content-type: application/json', async () => {
    for (const route of ['/select', '/reward']) {
      const r = await form(s.url, route, '{"experiment_id":"edges"}');
      expect(r.status).toBe(415);
      expect(r.body.error?.message).toMatch(/content-type: application\/json/);
    }
  });

  it('a 415 answered before the form body has arrived keeps the connection: the body is drained and the next request on it is served', async () => {
    // The refusal is decided from the headers. Closing the connection then (Connection: close)
    // makes the server's kernel reset it when the rest of the body arrives, and a client still
    // sending its body loses the answer (a "network error" under a fuzzer's load).
    const port = Number(new URL(s.url).port);
    const body = 'x='.padEnd(64 * 1024, 'y');
    const replies = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(port, '127.0.0.1', () => {
        sock.write(`POST /select HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`);
        sock.write(body.slice(0, 10));
        // the rest of the body, after the server has had time to answer from the headers
        setTimeout(() => sock.write(body.slice(10) + 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'), 300);
      });
      let got = '';
      sock.on('data', (d) => {
        got += d.toString();
        if ((got.match(/HTTP\/1\.1 /g) ?? []).length >= 2 && got.trimEnd().endsWith('}')) sock.end();
      });
      sock.on('close', () => resolve(got));
      sock.on('error', (e) => reject(new Error(`connection failed after ${JSON.stringify(got.slice(0, 80))}: ${e.message}`)));
      setTimeout(() => sock.destroy(), 5000);
    });
    expect(replies).toMatch(/^HTTP\/1\.1 415/);
    expect(replies).not.toMatch(/connection: close/i);
    expect(replies.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 415', 'HTTP/1.1 200']);
  });

  it('a cross-site form POST cannot create, conclude or stop an experiment (no admin token configured)', async () => {
    expect((await form(s.url, '/experiments', 'id=evil&arms=a&arms=b')).status).toBe(415);
    expect((await call(s.url, 'GET', '/experiments/evil')).status).toBe(404);
    expect((await form(s.url, '/experiments/edges/stop', '')).status).toBe(415);
    expect((await form(s.url, '/experiments/edges/conclude', '')).status).toBe(415);
    expect((await call<{ status: string }>(s.url, 'GET', '/experiments/edges')).body.status).toBe('running');
  });

  it('Seldon /route still takes a form body', async () => {
    const r = await form(s.url, '/route', `json=${encodeURIComponent(JSON.stringify({ data: { ndarray: [[1]] } }))}`);
    expect(r.status).toBe(200);
  });

  it("the form parsers are the Seldon routes' own: the service's instance has none, a multipart body to /select is a 415, to /route it is read", async () => {
    const root = s.app.getHttpAdapter().getInstance() as FastifyInstance;
    expect(root.hasContentTypeParser('application/x-www-form-urlencoded')).toBe(false);
    expect(root.hasContentTypeParser('multipart/form-data')).toBe(false);
    const multipart = () => {
      const fd = new FormData();
      fd.append('json', JSON.stringify({ data: { ndarray: [[1]] } }));
      return fd;
    };
    const select = await fetch(`${s.url}/select`, { method: 'POST', body: multipart() });
    expect(select.status).toBe(415);
    expect(((await select.json()) as { error: { message: string } }).error.message).toMatch(/content-type: application\/json/);
    const route = await fetch(`${s.url}/route`, { method: 'POST', body: multipart() });
    expect(route.status).toBe(200);
    expect(((await route.json()) as { data: { ndarray: number[][] } }).data.ndarray).toEqual([[expect.any(Number)]]);
  });

  it("a Seldon route's error: Seldon's shape, with the status and code the service's own route gives the same error", async () => {
    const decision = 'edges.0.AAAAAAAAAAAAAAAAAAAAAA';
    const service = await call<{ error: { code: keyof typeof SELDON_REASON; message: string } }>(s.url, 'POST', '/reward', { decision_id: decision, reward: 1 });
    const seldon = await call<{ status: Record<string, unknown> }>(s.url, 'POST', '/send-feedback', { response: { meta: { tags: { decision_id: decision } } }, reward: 1 });
    expect(service.status).toBe(404);
    expect(seldon.status).toBe(service.status);
    expect(seldon.body).toEqual({ status: { status: 1, code: -1, reason: SELDON_REASON[service.body.error.code], info: expect.any(String) } });
    const badReward = await call<{ status: Record<string, unknown> }>(s.url, 'POST', '/send-feedback', { response: { meta: { tags: { decision_id: decision } } }, reward: 2 });
    expect([badReward.status, badReward.body.status.reason]).toEqual([400, 'MICROSERVICE_BAD_DATA']);
  });

  it('a 415 on a Seldon route names what it takes (JSON, text, a form field json=, multipart), in Seldon\'s shape', async () => {
    const r = await fetch(`${s.url}/route`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b' });
    expect(r.status).toBe(415);
    const body = (await r.json()) as { status: { info: string; reason: string } };
    expect(body.status).toEqual({ status: 1, code: -1, reason: 'MICROSERVICE_BAD_DATA', info: `request body must be ${SELDON_BODY_TYPES}` });
    expect(body.status.info).toMatch(/application\/x-www-form-urlencoded/);
  });

  it("Seldon's routes are timed like every route (the root instance's hooks apply in the plugin)", async () => {
    expect((await call(s.url, 'GET', '/health/ping')).status).toBe(200);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/bandit_http_request_duration_seconds_count\{method="POST",route="\/route",status="200"\} [1-9]/);
    expect(metrics).toMatch(/bandit_http_request_duration_seconds_count\{method="GET",route="\/health\/ping",status="200"\} [1-9]/);
  });

  it('Content-Length together with Transfer-Encoding: 400 in the documented error shape', async () => {
    const port = Number(new URL(s.url).port);
    const reply = await raw(port, 'POST /select HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_input');
    expect(body.error.message).toMatch(/malformed HTTP request/);
  });

  it('a request the HTTP parser refuses while its body is still in flight: the client reads the answer and the connection closes without a reset', async () => {
    const port = Number(new URL(s.url).port);
    const result = await new Promise<{ got: string; error?: string }>((resolve) => {
      let got = '';
      const sock = net.connect(port, '127.0.0.1', () => {
        sock.write('POST /select HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000000\r\nTransfer-Encoding: chunked\r\n\r\n');
        sock.write('y'.repeat(4_000_000));
        sock.end();
      });
      sock.on('data', (d) => (got += d.toString()));
      sock.on('close', () => resolve({ got }));
      sock.on('error', (e) => resolve({ got, error: e.message }));
      setTimeout(() => sock.destroy(), 5000);
    });
    expect(result.got).toMatch(/^HTTP\/1\.1 400/);
    expect(result.error).toBeUndefined();
  });

  it('the sticky-units hash expires with the decision TTL', async () => {
    expect((await call(s.url, 'POST', '/experiments', { id: 'sticky', arms: ['a', 'b'], sticky: true })).status).toBe(201);
    expect((await call(s.url, 'POST', '/select', { experiment_id: 'sticky', unit_id: 'u1' })).status).toBe(200);
    const ttl = await redis.ttl(keys.units('sticky'));
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
  });
});
