import Fastify, { type FastifyInstance } from 'fastify';
import { BanditError, ErrorCode } from '../common/errors';
import { describeError, sendError } from '../http/exception.filter';
import { SELDON_REASON } from './seldon-error';
import type { SeldonRouterService } from './seldon-router.service';
import { SELDON_BODY_TYPES, SELDON_PATHS, seldonRoutes } from './seldon.routes';

const ROUTE_REPLY = { data: { names: ['t:0'], ndarray: [[1]] }, meta: {} };

/** A SeldonRouterService stand-in: records the messages it is given; throws `fail` when set. */
function fakeRouter() {
  const calls: unknown[][] = [];
  const state: { fail?: unknown } = {};
  const answer = async (name: string, ...args: unknown[]) => {
    calls.push([name, ...args]);
    if (state.fail !== undefined) throw state.fail;
    return ROUTE_REPLY;
  };
  const router = {
    route: (m: unknown, puid?: string) => answer('route', m, puid),
    feedback: (f: unknown, puid?: string) => answer('feedback', f, puid),
    healthStatus: () => answer('healthStatus'),
    metadata: () => answer('metadata'),
  };
  return { router: router as unknown as SeldonRouterService, calls, state };
}

/** The service's arrangement: its error handler and a JSON route at the root, then the plugin. */
async function server(bodyLimit = 4096) {
  const { router, calls, state } = fakeRouter();
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit });
  app.setErrorHandler((err, _req, reply) => sendError(reply, err));
  app.post('/select', async () => ({ ok: true }));
  await app.register(seldonRoutes, { router, bodyLimit });
  await app.ready();
  return { app, calls, state };
}

const MESSAGE = { data: { ndarray: [[1, 2]] } };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'content-type': 'application/json' };
const seldonShape = (info: unknown, reason = 'MICROSERVICE_BAD_DATA') => ({ status: { status: 1, code: -1, reason, info } });

function multipartBody(fields: Record<string, string>): { payload: string; headers: Record<string, string> } {
  const b = 'XbOuNdArY';
  const payload = Object.entries(fields).map(([k, v]) => `--${b}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('') + `--${b}--\r\n`;
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${b}` } };
}

describe("Seldon's router routes (Fastify plugin)", () => {
  it('serves every path of the protocol through the router service', async () => {
    const { app, calls } = await server();
    try {
      expect([...SELDON_PATHS].sort()).toEqual(
        ['/route', '/send-feedback', '/api/v1.0/feedback', '/api/v0.1/feedback', '/health/ping', '/health/status', '/api/v1.0/health/status', '/metadata', '/api/v1.0/metadata'].sort(),
      );
      const ping = await app.inject({ method: 'GET', url: '/health/ping' });
      expect([ping.statusCode, ping.body, ping.headers['content-type']]).toEqual([200, 'pong', 'text/plain; charset=utf-8']);
      const routed = await app.inject({ method: 'POST', url: '/route', headers: { ...JSON_TYPE, 'seldon-puid': 'p-1' }, payload: JSON.stringify(MESSAGE) });
      expect([routed.statusCode, routed.json()]).toEqual([200, ROUTE_REPLY]);
      const viaQuery = await app.inject({ method: 'GET', url: `/route?json=${encodeURIComponent(JSON.stringify(MESSAGE))}` });
      expect(viaQuery.statusCode).toBe(200);
      for (const url of ['/send-feedback', '/api/v1.0/feedback', '/api/v0.1/feedback']) {
        expect((await app.inject({ method: 'POST', url, headers: JSON_TYPE, payload: JSON.stringify({ reward: 1 }) })).statusCode).toBe(200);
      }
      for (const url of ['/health/status', '/api/v1.0/health/status', '/metadata', '/api/v1.0/metadata']) expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
      expect(calls.map((c) => c[0])).toEqual(['route', 'route', 'feedback', 'feedback', 'feedback', 'healthStatus', 'healthStatus', 'metadata', 'metadata']);
      // the header puid reaches the router; the message is read with proto3 rules (a view, not the raw body)
      expect(calls[0][2]).toBe('p-1');
      expect(calls[0][1]).toMatchObject({ kind: 'ndarray', rows: 1 });
    } finally {
      await app.close();
    }
  });

  it('form parsers are scoped to the plugin: a form body to /route is read, to a root route it is an unsupported media type', async () => {
    const { app, calls } = await server();
    try {
      const form = `json=${encodeURIComponent(JSON.stringify(MESSAGE))}`;
      expect((await app.inject({ method: 'POST', url: '/route', headers: FORM, payload: form })).statusCode).toBe(200);
      const multi = multipartBody({ json: JSON.stringify(MESSAGE) });
      expect((await app.inject({ method: 'POST', url: '/route', headers: multi.headers, payload: multi.payload })).statusCode).toBe(200);
      expect(calls).toHaveLength(2);
      expect(app.hasContentTypeParser('application/x-www-form-urlencoded')).toBe(false);
      expect(app.hasContentTypeParser('multipart/form-data')).toBe(false);
      const root = await app.inject({ method: 'POST', url: '/select', headers: FORM, payload: form });
      expect(root.json()).toEqual({ error: { code: 'invalid_input', message: 'request body must be JSON (Content-Type: application/json)' } });
      const rootMulti = await app.inject({ method: 'POST', url: '/select', headers: multi.headers, payload: multi.payload });
      expect(rootMulti.json().error.code).toBe('invalid_input');
    } finally {
      await app.close();
    }
  });

  it('answers every error in Seldon shape, with the status, code and message of the one description (describeError)', async () => {
    const { app, state } = await server();
    const unreachable = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    const errors: unknown[] = [...Object.values(ErrorCode).map((code) => new BanditError(code, `a ${code} error`)), unreachable, new Error('secret stack detail')];
    try {
      for (const err of errors) {
        state.fail = err;
        const d = describeError(err);
        for (const [method, url] of [
          ['POST', '/route'],
          ['POST', '/api/v1.0/feedback'],
          ['GET', '/health/status'],
        ] as const) {
          const r = await app.inject({ method, url, headers: JSON_TYPE, payload: method === 'POST' ? JSON.stringify(url === '/route' ? MESSAGE : { reward: 1 }) : undefined });
          expect({ url, status: r.statusCode, body: r.json(), type: r.headers['content-type'] }).toEqual({
            url,
            status: d.status,
            body: seldonShape(d.message, SELDON_REASON[d.code]),
            type: 'application/json; charset=utf-8',
          });
        }
      }
      expect(describeError(unreachable).status).toBe(503);
    } finally {
      await app.close();
    }
  });

  it("what fails before a handler runs leaves in Seldon's shape; a root route keeps the service's", async () => {
    const { app, calls } = await server(64);
    try {
      const bad = await app.inject({ method: 'POST', url: '/route', headers: JSON_TYPE, payload: '{bad' });
      expect([bad.statusCode, bad.json()]).toEqual([400, seldonShape(expect.stringMatching(/^request body is not valid JSON/))]);
      const large = await app.inject({ method: 'POST', url: '/route', headers: JSON_TYPE, payload: JSON.stringify({ data: 'x'.repeat(100) }) });
      expect([large.statusCode, large.json()]).toEqual([413, seldonShape('request body is larger than the limit')]);
      const largeForm = await app.inject({ method: 'POST', url: '/route', headers: FORM, payload: `json=${'x'.repeat(100)}` });
      expect([largeForm.statusCode, largeForm.json()]).toEqual([413, seldonShape('request body is larger than the limit')]);
      const missing = await app.inject({ method: 'GET', url: '/route' });
      expect([missing.statusCode, missing.json()]).toEqual([400, seldonShape(expect.stringMatching(/^no message in the request/))]);
      const root = await app.inject({ method: 'POST', url: '/select', headers: JSON_TYPE, payload: '{bad' });
      expect([root.statusCode, root.json()]).toEqual([400, { error: { code: 'invalid_input', message: expect.stringMatching(/^request body is not valid JSON/) } }]);
      expect(calls).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('a 415 on a Seldon route names the body types the route takes, and each of them is taken', async () => {
    const { app, calls } = await server();
    try {
      const csv = await app.inject({ method: 'POST', url: '/route', headers: { 'content-type': 'text/csv' }, payload: 'a,b' });
      expect([csv.statusCode, csv.json()]).toEqual([415, seldonShape(`request body must be ${SELDON_BODY_TYPES}`)]);
      expect(csv.json().status.info).not.toMatch(/must be JSON \(/);
      const message = JSON.stringify(MESSAGE);
      const multi = multipartBody({ json: message });
      const bodies: Array<[string, string]> = [
        ['application/json', message],
        ['text/plain', message],
        ['application/x-www-form-urlencoded', `json=${encodeURIComponent(message)}`],
        [multi.headers['content-type'], multi.payload],
      ];
      for (const [type, payload] of bodies) {
        expect(SELDON_BODY_TYPES).toContain(type.split(';')[0]);
        expect({ type, status: (await app.inject({ method: 'POST', url: '/route', headers: { 'content-type': type }, payload })).statusCode }).toEqual({ type, status: 200 });
      }
      expect(calls).toHaveLength(bodies.length);
    } finally {
      await app.close();
    }
  });
});
