import Fastify from 'fastify';
import { sendError } from '../http/exception.filter';
import { installSeldonErrorHandler } from './seldon-exception.filter';

describe("Seldon's routes' own error handler", () => {
  it("answers what fails before a Seldon handler runs in Seldon's shape, every other route in the service's", async () => {
    const app = Fastify({ logger: false, bodyLimit: 64 });
    app.setErrorHandler((err, _req, reply) => sendError(reply, err));
    installSeldonErrorHandler(app);
    for (const url of ['/route', '/select']) app.post(url, async () => ({ ok: true }));
    try {
      const json = { 'content-type': 'application/json' };
      const seldon = await app.inject({ method: 'POST', url: '/route', headers: json, payload: '{bad' });
      expect(seldon.statusCode).toBe(400);
      expect(seldon.json()).toEqual({ status: { status: 1, code: -1, reason: 'MICROSERVICE_BAD_DATA', info: expect.stringMatching(/^request body is not valid JSON/) } });
      const large = await app.inject({ method: 'POST', url: '/route', headers: json, payload: JSON.stringify({ data: 'x'.repeat(100) }) });
      expect(large.statusCode).toBe(413);
      expect(large.json()).toEqual({ status: { status: 1, code: -1, reason: 'MICROSERVICE_BAD_DATA', info: 'request body is larger than the limit' } });
      const csv = await app.inject({ method: 'POST', url: '/route', headers: { 'content-type': 'text/csv' }, payload: 'a,b' });
      expect(csv.statusCode).toBe(415);
      expect(csv.json().status.reason).toBe('MICROSERVICE_BAD_DATA');
      const service = await app.inject({ method: 'POST', url: '/select', headers: json, payload: '{bad' });
      expect(service.statusCode).toBe(400);
      expect(service.json()).toEqual({ error: { code: 'invalid_input', message: expect.stringMatching(/^request body is not valid JSON/) } });
    } finally {
      await app.close();
    }
  });
});
