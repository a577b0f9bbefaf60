/**
 * Turns every error leaving a route into `{error: {code, message}}` with the status of its
 * code: domain errors through HTTP_STATUS, framework errors (unknown route, bad JSON, body
 * too large) by their status; anything else is a 500 whose details go to the log only.
 */
import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { BanditError, ErrorCode } from '../common/errors';
import { codeForStatus, errorBody, HTTP_STATUS, type ErrorBody } from './error-mapping';

const log = new Logger('HTTP');

export function toHttpError(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof BanditError) {
    if (err.code === ErrorCode.Unavailable) logUnavailable(err.message);
    return { status: HTTP_STATUS[err.code], body: errorBody(err.code, err.message) };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const code = codeForStatus(status);
    return { status: HTTP_STATUS[code] === status ? status : HTTP_STATUS[code], body: errorBody(code, frameworkMessage(status, err.message)) };
  }
  const e = err as { statusCode?: number; message?: string; code?: string };
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code = codeForStatus(e.statusCode);
    return { status: HTTP_STATUS[code], body: errorBody(code, frameworkMessage(e.statusCode, e.message ?? '', e.code)) };
  }
  if (err instanceof Error && /^(Multipart: |Malformed part header|Unexpected end of (form|multipart data))/.test(err.message)) {
    // the multipart parser's own errors (no status): a client mistake, not a server one
    return { status: 400, body: errorBody(ErrorCode.InvalidInput, `request body is not valid multipart/form-data: ${err.message}`) };
  }
  if (isStoreUnreachable(err)) {
    log.warn(`a backing store is unreachable: ${(err as Error).message}`);
    return { status: 503, body: errorBody(ErrorCode.Unavailable, 'a backing store is unavailable; retry') };
  }
  log.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return { status: 500, body: errorBody(ErrorCode.Internal, 'internal error') };
}

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
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } = toHttpError(err);
    if (status === 401) void reply.header('WWW-Authenticate', 'Bearer');
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}
