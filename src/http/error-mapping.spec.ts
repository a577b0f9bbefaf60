import { BanditError, ErrorCode } from '../common/errors';
import { codeForStatus, HTTP_STATUS } from './error-mapping';
import { toHttpError } from './exception.filter';

describe('HTTP error mapping', () => {
  it('gives every code a distinct-enough 4xx/5xx status', () => {
    for (const code of Object.values(ErrorCode)) expect(HTTP_STATUS[code]).toBeGreaterThanOrEqual(400);
    expect(HTTP_STATUS[ErrorCode.InvalidInput]).toBe(400);
    expect(HTTP_STATUS[ErrorCode.Unauthorized]).toBe(401);
    expect(HTTP_STATUS[ErrorCode.NotFound]).toBe(404);
    expect(HTTP_STATUS[ErrorCode.AlreadyExists]).toBe(409);
    expect(HTTP_STATUS[ErrorCode.PayloadTooLarge]).toBe(413);
    expect(HTTP_STATUS[ErrorCode.Unavailable]).toBe(503);
  });

  it('maps domain errors, framework errors and unknown failures to the JSON shape', () => {
    expect(toHttpError(new BanditError(ErrorCode.Conflict, 'stopped'))).toEqual({ status: 409, body: { error: { code: 'conflict', message: 'stopped' } } });
    expect(toHttpError(Object.assign(new Error('too big'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' }))).toEqual({
      status: 413,
      body: { error: { code: 'payload_too_large', message: 'request body is larger than the limit' } },
    });
    expect(codeForStatus(415)).toBe(ErrorCode.InvalidInput);
    const down = toHttpError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' }));
    expect(down).toEqual({ status: 503, body: { error: { code: 'unavailable', message: 'a backing store is unavailable; retry' } } });
    const internal = toHttpError(new Error('secret detail'));
    expect(internal).toEqual({ status: 500, body: { error: { code: 'internal', message: 'internal error' } } });
  });
});
