/**
 * Errors in Seldon's shape. Seldon's wrapper answers a bad message with HTTP 400 and
 * `{"status":{"status":1,"info":"…","code":-1,"reason":"MICROSERVICE_BAD_DATA"}}`
 * (`status` 1 is the proto enum FAILURE in its numeric proto3 JSON form) and a crash with
 * HTTP 500 and reason `MICROSERVICE_INTERNAL_ERROR`. Every `ErrorCode` maps exactly once
 * here; a new code fails to compile until it is mapped.
 */
import { BanditError, ErrorCode } from '../common/errors';

export type SeldonReason = 'MICROSERVICE_BAD_DATA' | 'MICROSERVICE_BAD_PARAMETER' | 'MICROSERVICE_INTERNAL_ERROR';

export interface SeldonErrorBody {
  status: { status: 1; info: string; code: -1; reason: SeldonReason };
}

export const SELDON_ERROR: Record<ErrorCode, { http: number; reason: SeldonReason }> = {
  [ErrorCode.InvalidInput]: { http: 400, reason: 'MICROSERVICE_BAD_DATA' },
  [ErrorCode.NotFound]: { http: 404, reason: 'MICROSERVICE_BAD_DATA' },
  [ErrorCode.AlreadyExists]: { http: 409, reason: 'MICROSERVICE_BAD_DATA' },
  [ErrorCode.Conflict]: { http: 409, reason: 'MICROSERVICE_BAD_DATA' },
  [ErrorCode.Unauthorized]: { http: 401, reason: 'MICROSERVICE_BAD_DATA' },
  [ErrorCode.PayloadTooLarge]: { http: 413, reason: 'MICROSERVICE_BAD_DATA' },
  [ErrorCode.RateLimited]: { http: 429, reason: 'MICROSERVICE_BAD_DATA' },
  [ErrorCode.Expired]: { http: 410, reason: 'MICROSERVICE_BAD_DATA' },
  [ErrorCode.Unavailable]: { http: 503, reason: 'MICROSERVICE_INTERNAL_ERROR' },
  [ErrorCode.Internal]: { http: 500, reason: 'MICROSERVICE_INTERNAL_ERROR' },
  [ErrorCode.WindowClosed]: { http: 409, reason: 'MICROSERVICE_BAD_DATA' },
};

export function seldonErrorBody(info: string, reason: SeldonReason): SeldonErrorBody {
  return { status: { status: 1, info, code: -1, reason } };
}

/** HTTP status and body for anything thrown while serving a Seldon call. */
export function toSeldonError(err: unknown): { http: number; body: SeldonErrorBody } {
  if (err instanceof BanditError) {
    const m = SELDON_ERROR[err.code];
    return { http: m.http, body: seldonErrorBody(err.message, m.reason) };
  }
  // a transport-level client error (bad JSON, unsupported media type, body too large…)
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { http: status, body: seldonErrorBody((err as Error).message, 'MICROSERVICE_BAD_DATA') };
  }
  return { http: 500, body: seldonErrorBody('internal error', 'MICROSERVICE_INTERNAL_ERROR') };
}
