import { status } from '@grpc/grpc-js';
import { BanditError, ErrorCode } from '../common/errors';

/** gRPC status for every domain error code (exhaustive: a new code fails to compile here). */
export const GRPC_STATUS: Record<ErrorCode, status> = {
  [ErrorCode.InvalidInput]: status.INVALID_ARGUMENT,
  [ErrorCode.NotFound]: status.NOT_FOUND,
  [ErrorCode.AlreadyExists]: status.ALREADY_EXISTS,
  [ErrorCode.Conflict]: status.FAILED_PRECONDITION,
  [ErrorCode.Unauthorized]: status.UNAUTHENTICATED,
  [ErrorCode.PayloadTooLarge]: status.RESOURCE_EXHAUSTED,
  [ErrorCode.RateLimited]: status.RESOURCE_EXHAUSTED,
  [ErrorCode.Expired]: status.DEADLINE_EXCEEDED,
  [ErrorCode.WindowClosed]: status.FAILED_PRECONDITION,
  [ErrorCode.Unavailable]: status.UNAVAILABLE,
  [ErrorCode.Internal]: status.INTERNAL,
};

/** A gRPC error object (what a handler passes to its callback / emits on a stream). */
export interface GrpcError {
  code: status;
  details: string;
  message: string;
}

export function toGrpcError(err: unknown): GrpcError {
  if (err instanceof BanditError) return { code: GRPC_STATUS[err.code], details: err.message, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: status.INTERNAL, details: `internal error: ${message}`, message };
}
