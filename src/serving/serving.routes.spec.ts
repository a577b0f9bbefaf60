import Fastify, { type FastifyInstance } from 'fastify';
import { BanditError, ErrorCode } from '../common/errors';
import { sendError } from '../http/exception.filter';
import { jsonSchema } from '../http/openapi';
import { rewardRequestSchema, selectRequestSchema, selectResponseSchema } from './serving.dto';
import { servingOpenApiPaths, servingRoutes, type ServingRoutesOptions } from './serving.routes';
import type { ServingService } from './serving.service';

/** A ServingService stand-in: records its calls, answers a fixed decision (with a field the schema does not have). */
function fakeServing() {
  const calls: unknown[][] = [];
  const serving = {
    select: async (...args: unknown[]) => {
      calls.push(['select', ...args]);
      return { decision_id: 'cta.0.x', experiment_id: 'cta', arm: 'control', arm_index: 0, propensity: 0.5, internal_state: 'must not leak' };
    },
    reward: async (...args: unknown[]) => {
      calls.push(['reward', ...args]);
      return { decision_id: 'cta.0.x', experiment_id: 'cta', arm: 'control', arm_index: 0, reward: 1, rewarded_at: '2026-01-01T00:00:00.000Z', duplicate: false };
    },
  };
  return { serving: serving as unknown as ServingService, calls };
}

/** The service's arrangement: its error handler and a root hook, then the plugin. */
async function server(opts: Omit<ServingRoutesOptions, 'serving'> = {}) {
  const { serving, calls } = fakeServing();
  const app: FastifyInstance = Fastify({ logger: false });
  app.setErrorHandler((err, _req, reply) => sendError(reply, err));
  const seen: string[] = [];
  app.addHook('onRequest', (req, _reply, done) => {
    seen.push(req.url);
    done();
  });
  await app.register(servingRoutes, { serving, ...opts });
  await app.ready();
  return { app, calls, seen };
}

const post = (app: FastifyInstance, url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object });

describe('the serving routes (Fastify plugin)', () => {
  it('serve /select and /reward through the service, validated and serialized by their schemas', async () => {
    const { app, calls, seen } = await server();
    try {
      const sel = await post(app, '/select', { experiment_id: 'cta', unit_id: 'u1' });
      expect(sel.statusCode).toBe(200);
      // the response schema decides what leaves: a field it does not declare is not serialized
      expect(sel.json()).toEqual({ decision_id: 'cta.0.x', experiment_id: 'cta', arm: 'control', arm_index: 0, propensity: 0.5 });
      const rew = await post(app, '/reward', { decision_id: 'cta.0.x', reward: 1 });
      expect(rew.statusCode).toBe(200);
      expect(rew.json()).toMatchObject({ reward: 1, duplicate: false });
      expect(calls).toEqual([
        ['select', 'cta', 'u1'],
        ['reward', 'cta.0.x', 1],
      ]);
      // a hook of the parent instance runs for the plugin's routes
      expect(seen).toEqual(['/select', '/reward']);
    } finally {
      await app.close();
    }
  });

  it('refuse bad bodies with the zod messages, in the error shape, without calling the service', async () => {
    const { app, calls } = await server();
    try {
      const cases: Array<[string, unknown, RegExp]> = [
        ['/select', { experiment_id: 42 }, /^request body: experiment_id: /],
        ['/select', { experiment_id: 'cta', extra: 1 }, /extra/],
        ['/select', [1, 2], /^request body must be a JSON object$/],
        ['/select', { experiment_id: 'cta', unit_id: 'a\nb' }, /unit_id: must not contain control characters/],
        ['/reward', { decision_id: 'x', reward: 1.5 }, /reward must be in \[0, 1\]/],
        ['/reward', { decision_id: 'x' }, /reward/],
      ];
      for (const [url, body, message] of cases) {
        const r = await post(app, url, body);
        expect({ url, body, status: r.statusCode, json: r.json() as unknown }).toEqual({ url, body, status: 400, json: { error: { code: 'invalid_input', message: expect.stringMatching(message) } } });
      }
      const empty = await app.inject({ method: 'POST', url: '/select' });
      expect(empty.json()).toEqual({ error: { code: 'invalid_input', message: 'request body must be a JSON object' } });
      expect(calls).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('run a guard added to their scope: a refusing preHandler answers and the service is not called', async () => {
    const guarded: string[] = [];
    const { app, calls } = await server({
      preHandler: [
        async (req) => {
          guarded.push(req.url);
          if (req.headers['x-allowed'] !== 'yes') throw new BanditError(ErrorCode.Unauthorized, 'this route needs x-allowed: yes');
        },
      ],
    });
    try {
      const refused = await post(app, '/select', { experiment_id: 'cta' });
      expect(refused.statusCode).toBe(401);
      expect(refused.json()).toEqual({ error: { code: 'unauthorized', message: 'this route needs x-allowed: yes' } });
      expect(refused.headers['www-authenticate']).toBe('Bearer');
      const allowed = await app.inject({ method: 'POST', url: '/reward', payload: { decision_id: 'cta.0.x', reward: 0 }, headers: { 'x-allowed': 'yes' } });
      expect(allowed.statusCode).toBe(200);
      expect(guarded).toEqual(['/select', '/reward']);
      expect(calls).toEqual([['reward', 'cta.0.x', 0]]);
    } finally {
      await app.close();
    }
  });

  it('describe themselves in OpenAPI from the same schemas', () => {
    const paths = servingOpenApiPaths();
    expect(Object.keys(paths)).toEqual(['/select', '/reward']);
    expect(paths['/select'].post.requestBody).toEqual({ required: true, content: { 'application/json': { schema: jsonSchema(selectRequestSchema, 'input') } } });
    expect(paths['/reward'].post.requestBody).toEqual({ required: true, content: { 'application/json': { schema: jsonSchema(rewardRequestSchema, 'input') } } });
    expect(paths['/select'].post.responses[200]).toEqual({ description: 'the decision', content: { 'application/json': { schema: jsonSchema(selectResponseSchema) } } });
    expect(Object.keys(paths['/select'].post.responses)).toEqual(['200', '400', '404', '409', '413', '429', '503']);
    expect(paths['/select'].post.operationId).toBe('select');
  });
});
