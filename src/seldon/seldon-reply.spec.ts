import { BanditError, ErrorCode } from '../common/errors';
import { HTTP_STATUS } from '../http/error-mapping';
import { SELDON_REASON, toSeldonError } from './seldon-error';
import { armPredictReply, metadataReply, routeReply } from './seldon-reply';

const tags = { decision_id: 'exp.1.AAAAAAAAAAAAAAAAAAAAAA', experiment_id: 'exp', arm: 'b', arm_index: 1, propensity: 0.25 };

describe('routeReply', () => {
  it('answers an ndarray (or any non-tensor) request with a 1x1 ndarray', () => {
    for (const kind of ['ndarray', 'jsonData', 'strData', 'none'] as const) {
      expect(routeReply(1, kind, { unitId: 'router', tags })).toEqual({
        data: { names: ['t:0'], ndarray: [[1]] },
        meta: { tags, routing: { router: 1 } },
      });
    }
  });

  it('answers a tensor request with a 1x1 tensor and echoes the puid', () => {
    expect(routeReply(2, 'tensor', { unitId: 'r', puid: 'abc', tags })).toEqual({
      data: { names: ['t:0'], tensor: { shape: [1, 1], values: [2] } },
      meta: { puid: 'abc', tags, routing: { r: 2 } },
    });
  });
});

describe('routeReply: never without data', () => {
  it('every request kind gets a reply whose data holds the child index', () => {
    for (const kind of ['tensor', 'ndarray', 'tftensor', 'binData', 'strData', 'jsonData', 'customData', 'none'] as const) {
      const reply = routeReply(0, kind, { unitId: 'r', tags });
      expect(reply.data).toBeDefined();
      expect(reply.data?.names).toEqual(['t:0']);
      expect(reply.data?.ndarray?.[0] ?? reply.data?.tensor?.values).toEqual([0]);
    }
  });

  it('refuses to build a reply for -1 ("all children"), -2 or a non-integer', () => {
    for (const bad of [-1, -2, 0.5, NaN]) expect(() => routeReply(bad, 'ndarray', { unitId: 'r', tags })).toThrow('a route reply needs a child index >= 0');
  });
});

describe('armPredictReply / metadataReply', () => {
  it('arrays go to data.ndarray, other payloads to jsonData', () => {
    expect(armPredictReply('a', [[1, 2]])).toEqual({ data: { names: [], ndarray: [[1, 2]] }, meta: { tags: { arm: 'a' } } });
    expect(armPredictReply('a', { x: 1 }, 'p')).toEqual({ jsonData: { x: 1 }, meta: { puid: 'p', tags: { arm: 'a' } } });
  });
  it("metadata in Seldon's model-metadata form", () => {
    expect(metadataReply({ name: 'r', version: '1', messageType: 'ndarray', custom: { k: 'v' } })).toEqual({
      name: 'r',
      versions: ['1'],
      platform: 'bayesian-bandit',
      inputs: [],
      outputs: [{ messagetype: 'ndarray', schema: { names: ['t:0'], shape: [1, 1] } }],
      custom: { k: 'v' },
    });
  });
});

describe("Seldon's error shape", () => {
  it('maps every error code; 4xx is bad data, 5xx internal', () => {
    for (const code of Object.values(ErrorCode)) {
      expect({ code, reason: SELDON_REASON[code] }).toEqual({ code, reason: HTTP_STATUS[code] >= 500 ? 'MICROSERVICE_INTERNAL_ERROR' : 'MICROSERVICE_BAD_DATA' });
      expect(toSeldonError(new BanditError(code, 'x')).http).toBe(HTTP_STATUS[code]);
    }
    expect(toSeldonError(new BanditError(ErrorCode.InvalidInput, 'bad reward'))).toEqual({
      http: 400,
      body: { status: { status: 1, info: 'bad reward', code: -1, reason: 'MICROSERVICE_BAD_DATA' } },
    });
  });
  it('hides the message of an unexpected crash', () => {
    expect(toSeldonError(new Error('secret stack detail'))).toEqual({
      http: 500,
      body: { status: { status: 1, info: 'internal error', code: -1, reason: 'MICROSERVICE_INTERNAL_ERROR' } },
    });
  });
  it('keeps a transport 4xx (unsupported media type, body too large)', () => {
    const e = Object.assign(new Error('Unsupported Media Type: text/csv'), { statusCode: 415 });
    expect(toSeldonError(e).http).toBe(415);
    expect(toSeldonError(e).body.status.reason).toBe('MICROSERVICE_BAD_DATA');
  });
});
