/**
 * Domain errors. Every failure the product reports to a user carries one `ErrorCode`;
 * each transport (HTTP, Seldon, gRPC, CLI) maps every code exactly once through an
 * exhaustive `Record<ErrorCode, …>`, so adding a code fails to compile until every
 * transport knows it.
 */
export enum ErrorCode {
  InvalidInput = 'invalid_input',
  NotFound = 'not_found',
  AlreadyExists = 'already_exists',
  Conflict = 'conflict',
  Unauthorized = 'unauthorized',
  PayloadTooLarge = 'payload_too_large',
  RateLimited = 'rate_limited',
  Expired = 'expired',
  Unavailable = 'unavailable',
  Internal = 'internal',
  /** a reward after its decision's conversion window closed */
  WindowClosed = 'window_closed',
}

export class BanditError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BanditError';
  }
}

export const invalidInput = (message: string, details?: Record<string, unknown>) => new BanditError(ErrorCode.InvalidInput, message, details);
export const notFound = (message: string, details?: Record<string, unknown>) => new BanditError(ErrorCode.NotFound, message, details);

/** CLI exit codes per error code: 2 for a usage / input problem, 1 for everything else. */
export const CLI_EXIT_CODE: Record<ErrorCode, number> = {
  [ErrorCode.InvalidInput]: 2,
  [ErrorCode.NotFound]: 2,
  [ErrorCode.AlreadyExists]: 2,
  [ErrorCode.Conflict]: 2,
  [ErrorCode.Unauthorized]: 2,
  [ErrorCode.PayloadTooLarge]: 2,
  [ErrorCode.RateLimited]: 1,
  [ErrorCode.Expired]: 2,
  [ErrorCode.Unavailable]: 1,
  [ErrorCode.Internal]: 1,
  [ErrorCode.WindowClosed]: 2,
};
