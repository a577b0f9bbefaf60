/**
 * The one place an error becomes an HTTP answer. `describeError` classifies anything thrown
 * (domain errors through HTTP_STATUS, framework errors — unknown route, bad JSON, body too
 * large — by their status, unreachable stores as 503, anything else a 500 whose details go
 * to the log only); `toHttpError` gives the service's `{error: {code, message}}` body and
 * `sendError` writes it on a Fastify reply. The Nest filter below, Fastify's error handler
 * (src/app/create-app.ts), the serving routes and the service's own early refusals (rate
 * limit, form bodies, slow bodies, malformed requests) all answer through these; Seldon's
 * routes render the same description in Seldon's shape (src/seldon/seldon-exception.filter.ts).
 */
import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { BanditError, ErrorCode } from '../common/errors';
import { codeForStatus, errorBody, HTTP_STATUS, type ErrorBody } from './error-mapping';

const log = new Logger('HTTP');

export interface ErrorDescription {
  code: ErrorCode;
  /** The status the service answers with (HTTP_STATUS of the code). */
  status: number;
  message: string;
  /** A framework 4xx's own status (415, 405, …), which transports that keep it (Seldon) answer with. */
  transportStatus?: number;
}

export function describeError(err: unknown): ErrorDescription {
  if (err instanceof BanditError) {
    if (err.code === ErrorCode.Unavailable) logUnavailable(err.message);
    return { code: err.code, status: HTTP_STATUS[err.code], message: err.message };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const code = codeForStatus(status);
    return { code, status: HTTP_STATUS[code] === status ? status : HTTP_STATUS[code], message: frameworkMessage(status, err.message), transportStatus: status };
  }
  const e = err as { statusCode?: number; message?: string; code?: string };
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code = codeForStatus(e.statusCode);
    return { code, status: HTTP_STATUS[code], message: frameworkMessage(e.statusCode, e.message ?? '', e.code), transportStatus: e.statusCode };
  }
  if (err instanceof Error && /^(Multipart: |Malformed part header|Unexpected end of (form|multipart data))/.test(err.message)) {
    // the multipart parser's own errors (no status): a client mistake, not a server one
    return { code: ErrorCode.InvalidInput, status: 400, message: `request body is not valid multipart/form-data: ${err.message}` };
  }
  if (isStoreUnreachable(err)) {
    log.warn(`a backing store is unreachable: ${(err as Error).message}`);
    return { code: ErrorCode.Unavailable, status: 503, message: 'a backing store is unavailable; retry' };
  }
  log.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return { code: ErrorCode.Internal, status: 500, message: 'internal error' };
}

/** The service's answer to an error: its status and `{error: {code, message}}`. */
export function toHttpError(err: unknown): { status: number; body: ErrorBody } {
  const d = describeError(err);
  return { status: d.status, body: errorBody(d.code, d.message) };
}

/** Answers `err` on `reply` in the service's error shape (401 with its Bearer challenge). */
export function sendError(reply: FastifyReply, err: unknown): void {
  if (reply.sent) return;
  const { status, body } = toHttpError(err);
  if (status === 401) void reply.header('WWW-Authenticate', 'Bearer');
  void reply.status(status).header('content-type', JSON_TYPE).send(body);
}

/** The error body as bytes, for answers written on the socket itself (a refused or timed-out request). */
export function errorJson(code: ErrorCode, message: string): string {
  return JSON.stringify(errorBody(code, message));
}

const JSON_TYPE = 'application/json; charset=utf-8';

let lastUnavailableLog = 0;
/** Operators see why requests answer 503 (at most one line per 10 s during an outage). */
function logUnavailable(message: string): void {
  const now = Date.now();
  if (now - lastUnavailableLog < 10_000) return;
  lastUnavailableLog = now;
  log.warn(message);
}

/** Connection-level failures of Dragonfly / Redis or Postgres (not bugs): the request may be retried. */
// network codes, and Postgres' admin shutdown / cannot connect now / connection failures
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'CLUSTERDOWN', '57P01', '57P03', '08001', '08003', '08006']);
function isStoreUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { code?: string; driverError?: { code?: string } };
  if (e.name === 'MaxRetriesPerRequestError' || e.name === 'ClusterAllFailedError') return true;
  if (UNREACHABLE_CODES.has(e.code ?? '') || UNREACHABLE_CODES.has(e.driverError?.code ?? '')) return true;
  return /^(Connection is closed|Connection terminated|Stream isn't writeable|connect ECONNREFUSED|timeout exceeded when trying to connect|CLUSTERDOWN|Failed to refresh slots cache)/.test(e.message);
}

function frameworkMessage(status: number, message: string, fastifyCode?: string): string {
  if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) return 'request body is larger than the limit';
  if (fastifyCode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) return 'request body must be JSON (Content-Type: application/json)';
  if (fastifyCode === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'request body is empty; expected a JSON object';
  if (status === 400 && /JSON/i.test(message)) return `request body is not valid JSON: ${message}`;
  if (status === 404 || status === 405) return message.startsWith('Cannot ') ? `no such route: ${message.slice('Cannot '.length)}` : message;
  return message;
}

@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    sendError(host.switchToHttp().getResponse<FastifyReply>(), err);
  }
}
