/**
 * Errors in Seldon's shape. Seldon's wrapper answers a bad message with HTTP 400 and
 * `{"status":{"status":1,"info":"…","code":-1,"reason":"MICROSERVICE_BAD_DATA"}}`
 * (`status` 1 is the proto enum FAILURE in its numeric proto3 JSON form) and a crash with
 * HTTP 500 and reason `MICROSERVICE_INTERNAL_ERROR`. The status and message come from the
 * service's one description of an error (src/http/exception.filter.ts); every `ErrorCode`
 * maps to its reason exactly once here; a new code fails to compile until it is mapped.
 */
import { ErrorCode } from '../common/errors';
import { describeError } from '../http/exception.filter';

export type SeldonReason = 'MICROSERVICE_BAD_DATA' | 'MICROSERVICE_BAD_PARAMETER' | 'MICROSERVICE_INTERNAL_ERROR';

export interface SeldonErrorBody {
  status: { status: 1; info: string; code: -1; reason: SeldonReason };
}

export const SELDON_REASON: Record<ErrorCode, SeldonReason> = {
  [ErrorCode.InvalidInput]: 'MICROSERVICE_BAD_DATA',
  [ErrorCode.NotFound]: 'MICROSERVICE_BAD_DATA',
  [ErrorCode.AlreadyExists]: 'MICROSERVICE_BAD_DATA',
  [ErrorCode.Conflict]: 'MICROSERVICE_BAD_DATA',
  [ErrorCode.Unauthorized]: 'MICROSERVICE_BAD_DATA',
  [ErrorCode.PayloadTooLarge]: 'MICROSERVICE_BAD_DATA',
  [ErrorCode.RateLimited]: 'MICROSERVICE_BAD_DATA',
  [ErrorCode.Expired]: 'MICROSERVICE_BAD_DATA',
  [ErrorCode.Unavailable]: 'MICROSERVICE_INTERNAL_ERROR',
  [ErrorCode.Internal]: 'MICROSERVICE_INTERNAL_ERROR',
  [ErrorCode.WindowClosed]: 'MICROSERVICE_BAD_DATA',
};

export function seldonErrorBody(info: string, reason: SeldonReason): SeldonErrorBody {
  return { status: { status: 1, info, code: -1, reason } };
}

/**
 * HTTP status and body for anything thrown while serving a Seldon call: the service's
 * status and message, except that a transport-level 4xx (unsupported media type, body too
 * large) keeps its own status.
 */
export function toSeldonError(err: unknown): { http: number; body: SeldonErrorBody } {
  const d = describeError(err);
  return { http: d.transportStatus ?? d.status, body: seldonErrorBody(d.message, SELDON_REASON[d.code]) };
}
