/**
 * /select and /reward: a Fastify plugin (encapsulated), outside Nest's per-request routing
 * machinery, which costs about half of this machine's throughput on its own
 * (docs/benchmarks.md). Everything about a route comes from its zod schemas in
 * serving.dto.ts:
 *
 * - validation: the request schema through ZodPipe (the same messages as every other
 *   route), as the route's validator — a failure is a 400 naming the field;
 * - serialization: the response schema as JSON Schema, compiled by fast-json-stringify
 *   (errors too: the error body's schema);
 * - the OpenAPI operation (`servingOpenApiPaths`, merged into /openapi.json).
 *
 * The service's hooks (request metrics, rate limit, body timeout, form-body refusal) are
 * the root instance's and apply here; a hook meant for these routes only (a guard) is
 * added in this scope — `preHandler` below — and errors leave through the service's one
 * error handler (src/http/exception.filter.ts).
 */
import type { OperationObject } from '@nestjs/swagger';
import type { FastifyPluginAsync, preHandlerAsyncHookHandler } from 'fastify';
import type { z } from 'zod';
import { errorBodySchema } from '../http/error-mapping';
import { jsonOperation, jsonSchema, type JsonOperation } from '../http/openapi';
import { ZodPipe } from '../http/zod.pipe';
import { rewardRequestSchema, rewardResponseSchema, selectRequestSchema, selectResponseSchema, type RewardRequest, type SelectRequest } from './serving.dto';
import type { ServingService } from './serving.service';

interface ServingRoute<B> extends Omit<JsonOperation, 'request'> {
  url: string;
  request: z.ZodType<B>;
  serve(serving: ServingService, body: B): Promise<unknown>;
}

const ERRORS = [400, 404, 409, 413, 429, 503] as const;

/** One route's declaration, typed by its request body (the list below holds several). */
const route = <B>(r: ServingRoute<B>): ServingRoute<unknown> => r as ServingRoute<unknown>;

export const SERVING_ROUTES: readonly ServingRoute<unknown>[] = [
  route<SelectRequest>({
    url: '/select',
    operationId: 'select',
    summary: 'Serve one arm of an experiment',
    tag: 'serving',
    request: selectRequestSchema,
    response: selectResponseSchema,
    responseDescription: 'the decision',
    errors: ERRORS,
    serve: (s, b) => s.select(b.experiment_id, b.unit_id),
  }),
  route<RewardRequest>({
    url: '/reward',
    operationId: 'reward',
    summary: 'Count the reward of a served decision (at most once per decision)',
    tag: 'serving',
    request: rewardRequestSchema,
    response: rewardResponseSchema,
    responseDescription: 'the counted reward, or on a retry the first result with duplicate: true',
    errors: ERRORS,
    serve: (s, b) => s.reward(b.decision_id, b.reward),
  }),
];

export interface ServingRoutesOptions {
  serving: ServingService;
  /** Hooks run before these routes' handlers only (after validation), e.g. a guard. */
  preHandler?: preHandlerAsyncHookHandler[];
}

/** The OpenAPI paths of the serving routes, from the same schemas as their validation. */
export function servingOpenApiPaths(): Record<string, { post: OperationObject }> {
  return Object.fromEntries(SERVING_ROUTES.map((r) => [r.url, { post: jsonOperation(r) }]));
}

export const servingRoutes: FastifyPluginAsync<ServingRoutesOptions> = async (scope, { serving, preHandler = [] }) => {
  for (const hook of preHandler) scope.addHook('preHandler', hook);
  const errorSchema = jsonSchema(errorBodySchema);
  for (const r of SERVING_ROUTES) {
    const pipe = new ZodPipe(r.request);
    const validate = (body: unknown): { value: unknown } | { error: Error } => {
      try {
        return { value: pipe.transform(body) };
      } catch (err) {
        return { error: err as Error };
      }
    };
    scope.route({
      method: 'POST',
      url: r.url,
      schema: { body: jsonSchema(r.request, 'input'), response: { 200: jsonSchema(r.response), '4xx': errorSchema, '5xx': errorSchema } },
      validatorCompiler: () => validate,
      handler: (req) => r.serve(serving, req.body),
    });
  }
};
