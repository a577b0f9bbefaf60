import { status } from '@grpc/grpc-js';
import { BanditError, ErrorCode } from '../common/errors';
import { GRPC_STATUS, toGrpcError } from './grpc-status';

describe('gRPC status of domain errors', () => {
  it('maps every error code to a non-OK status', () => {
    for (const code of Object.values(ErrorCode)) {
      expect(GRPC_STATUS[code]).toBeDefined();
      expect(GRPC_STATUS[code]).not.toBe(status.OK);
    }
    expect(GRPC_STATUS[ErrorCode.InvalidInput]).toBe(status.INVALID_ARGUMENT);
    expect(GRPC_STATUS[ErrorCode.NotFound]).toBe(status.NOT_FOUND);
    expect(GRPC_STATUS[ErrorCode.Unavailable]).toBe(status.UNAVAILABLE);
  });

  it('keeps the message of a domain error and hides nothing else behind INTERNAL', () => {
    expect(toGrpcError(new BanditError(ErrorCode.InvalidInput, 'bad payload'))).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'bad payload' });
    expect(toGrpcError(new TypeError('x is undefined'))).toMatchObject({ code: status.INTERNAL, details: 'internal error: x is undefined' });
    expect(toGrpcError('thrown string')).toMatchObject({ code: status.INTERNAL });
  });
});
