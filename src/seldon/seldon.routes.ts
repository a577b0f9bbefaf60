/**
 * Seldon Core v1 component endpoints of a ROUTER — `/route`, `/send-feedback` (and the
 * executor's `/api/v1.0/feedback`), `/health/ping`, `/health/status`, `/metadata` — as a
 * Fastify plugin (encapsulated), like the serving routes (src/serving/serving.routes.ts).
 * Thin: find the message in the request (raw JSON, form field `json=`, query parameter,
 * multipart), read it with proto3 JSON rules (seldon-message.ts), one call into
 * SeldonRouterService.
 *
 * What belongs to Seldon's protocol stays in this scope:
 *
 * - the body parsers Seldon's clients need beyond JSON: urlencoded forms (the Python
 *   `SeldonClient` posts `json=<message>`) and multipart. They are registered here, so the
 *   service's JSON routes have no form parser at all;
 * - the error handler: every error on these routes — raised by a handler, or by the
 *   framework before it runs (malformed JSON, body too large, unsupported media type) —
 *   leaves in Seldon's shape, rendered from the service's one description of an error
 *   (`describeError`, src/http/exception.filter.ts; seldon-error.ts);
 * - each route's `config.formBodies`, which the service's form-body refusal reads
 *   (src/app/create-app.ts).
 *
 * The root instance's hooks (request metrics, rate limit, body timeout) apply here as on
 * every route. No request or response JSON Schema: a message arrives in four encodings and
 * is read with proto3 JSON rules (numbers as strings, camelCase or proto names, `null` =
 * unset) that JSON Schema cannot state, and the replies are built field by field for
 * Seldon's strict parsers (seldon-reply.ts). The routes are not in /openapi.json (the
 * service's document; Seldon's protocol is described by Seldon's own wrapper document).
 */
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { extractSeldonJson, type MultipartParts } from './seldon-body';
import { toSeldonError } from './seldon-error';
import { readFeedback, readSeldonMessage } from './seldon-message';
import type { SeldonRouterService } from './seldon-router.service';

/** What a Seldon route's body may be, named in a 415 (each is accepted: seldon.routes.spec.ts). */
export const SELDON_BODY_TYPES =
  'a Seldon message as JSON (Content-Type: application/json or text/plain), a form field json=<message> (application/x-www-form-urlencoded) or multipart/form-data';

/** `config` of a route that takes form bodies; the service refuses them on every other route. */
export interface FormBodiesConfig {
  formBodies?: boolean;
}

interface SeldonRoute {
  method: 'GET' | 'POST';
  urls: readonly string[];
  serve(router: SeldonRouterService, req: FastifyRequest): unknown;
}

const route = (router: SeldonRouterService, req: FastifyRequest) => router.route(readSeldonMessage(messageJson(req), 'message'), headerPuid(req));
const feedback = (router: SeldonRouterService, req: FastifyRequest) => router.feedback(readFeedback(messageJson(req), 'feedback'), headerPuid(req));

export const SELDON_ROUTES: readonly SeldonRoute[] = [
  { method: 'POST', urls: ['/route'], serve: route },
  { method: 'GET', urls: ['/route'], serve: route },
  { method: 'POST', urls: ['/send-feedback', '/api/v1.0/feedback', '/api/v0.1/feedback'], serve: feedback },
  { method: 'GET', urls: ['/send-feedback'], serve: feedback },
  { method: 'GET', urls: ['/health/ping'], serve: () => 'pong' },
  { method: 'GET', urls: ['/health/status', '/api/v1.0/health/status'], serve: (r) => r.healthStatus() },
  { method: 'GET', urls: ['/metadata', '/api/v1.0/metadata'], serve: (r) => r.metadata() },
];

/** Every path the plugin serves. */
export const SELDON_PATHS: readonly string[] = [...new Set(SELDON_ROUTES.flatMap((r) => r.urls))];

function headerPuid(req: FastifyRequest): string | undefined {
  const h = req.headers['seldon-puid'];
  const v = Array.isArray(h) ? h[0] : h;
  return v === undefined || v === '' ? undefined : v;
}

/** Multipart bodies as @fastify/multipart attaches them (`keyValues`: text as strings, files as Buffers). */
function multipartParts(req: FastifyRequest): MultipartParts | undefined {
  if (!(req as FastifyRequest & { isMultipart?: () => boolean }).isMultipart?.()) return undefined;
  const parts: MultipartParts = { fields: {}, files: {} };
  for (const [name, raw] of Object.entries((req.body ?? {}) as Record<string, unknown>)) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (Buffer.isBuffer(value)) parts.files[name] = value;
    else if (typeof value === 'string') parts.fields[name] = value;
  }
  return parts;
}

function messageJson(req: FastifyRequest): unknown {
  const multipart = multipartParts(req);
  return extractSeldonJson({ body: multipart ? undefined : req.body, query: (req.query ?? {}) as Record<string, unknown>, multipart });
}

/** Answers `err` on `reply` in Seldon's error shape. */
export function sendSeldonError(reply: FastifyReply, err: unknown): void {
  if (reply.sent) return;
  const { http, body } = toSeldonError(err, SELDON_BODY_TYPES);
  void reply.status(http).header('content-type', 'application/json; charset=utf-8').send(body);
}

export interface SeldonRoutesOptions {
  router: SeldonRouterService;
  /** The service's body limit (BANDIT_BODY_LIMIT_BYTES), for forms and multipart parts too. */
  bodyLimit: number;
}

export const seldonRoutes: FastifyPluginAsync<SeldonRoutesOptions> = async (scope, { router, bodyLimit }) => {
  scope.setErrorHandler((err: FastifyError, _req, reply) => sendSeldonError(reply, err));
  // both parsers act on their own content types only, and only in this scope
  await scope.register(formbody, { bodyLimit });
  await scope.register(multipart, { attachFieldsToBody: 'keyValues', limits: { fieldSize: bodyLimit, fileSize: bodyLimit, files: 4, fields: 16, parts: 20 } });
  const config: FormBodiesConfig = { formBodies: true };
  for (const r of SELDON_ROUTES) {
    for (const url of r.urls) scope.route({ method: r.method, url, config, handler: (req) => r.serve(router, req) });
  }
};
