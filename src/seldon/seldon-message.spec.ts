import { BanditError, ErrorCode } from '../common/errors';
import { readFeedback, readFloat, readInt32, readSeldonMessage } from './seldon-message';

function errorOf(fn: () => unknown): BanditError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BanditError) return err;
    throw err;
  }
  throw new Error('expected a BanditError');
}

describe('readSeldonMessage', () => {
  it('reads an ndarray request and its meta', () => {
    const m = readSeldonMessage({ data: { names: ['a', 'b'], ndarray: [[1, 2], [3, 4], [5, 6]] }, meta: { puid: 'p1', routing: { r: 2 }, tags: { x: 1 } } });
    expect(m).toEqual({ kind: 'ndarray', rows: 3, meta: { puid: 'p1', tags: { x: 1 }, routing: { r: 2 }, requestPath: {} } });
  });

  it('reads a tensor request; rows from shape[0]; numbers may be strings', () => {
    const m = readSeldonMessage({ data: { tensor: { shape: ['4', 2], values: [1, '2.5', 'NaN', 4, 5, 6, 7, 8] } } });
    expect(m.kind).toBe('tensor');
    expect(m.rows).toBe(4);
  });

  it('treats null as unset and accepts proto field names', () => {
    expect(readSeldonMessage({ data: null, str_data: 'hi', meta: { puid: null, request_path: { a: 'img:1' } } })).toEqual({
      kind: 'strData',
      rows: 1,
      meta: { tags: {}, routing: {}, requestPath: { a: 'img:1' } },
    });
  });

  it('reads jsonData, binData and an empty message', () => {
    expect(readSeldonMessage({ jsonData: [1, 2, 3] }).kind).toBe('jsonData');
    expect(readSeldonMessage({ binData: 'aGVsbG8=' }).kind).toBe('binData');
    expect(readSeldonMessage({})).toMatchObject({ kind: 'none', rows: 0 });
  });

  it.each([
    [{ data: { ndarray: [[1]] }, extra: 1 }, 'message: unknown field "extra"'],
    [{ data: { ndarray: [[1]] }, strData: 'x' }, 'holds data and strData'],
    [{ data: { ndarray: [[1]], tensor: { shape: [1], values: [1] } } }, 'holds tensor and ndarray'],
    [{ data: { tensor: { shape: [1.5], values: [] } } }, 'message.data.tensor.shape[0]: expected a 32-bit integer'],
    [{ data: { tensor: { shape: [1], values: ['x'] } } }, 'message.data.tensor.values[0]: expected a number'],
    [{ meta: { routing: { r: 'one' } } }, 'message.meta.routing.r: expected a 32-bit integer, got the string "one"'],
    [{ meta: { puid: 7 } }, 'message.meta.puid: expected a string'],
    [{ data: { ndarray: 'x' } }, 'message.data.ndarray: expected an array'],
    [[1, 2], 'message: expected an object, got an array'],
    [{ binData: 'not base64!' }, 'message.binData: expected base64'],
  ])('rejects %j', (input, message) => {
    const err = errorOf(() => readSeldonMessage(input));
    expect(err.code).toBe(ErrorCode.InvalidInput);
    expect(err.message).toContain(message);
  });
});

describe('readFeedback', () => {
  it('a missing reward is proto3 for 0', () => {
    const f = readFeedback({ response: { meta: { routing: { router: 1 } } } });
    expect(f.reward).toBe(0);
    expect(f.rewardPresent).toBe(false);
    expect(f.response?.meta.routing).toEqual({ router: 1 });
  });

  it('reads the reward as number or string', () => {
    expect(readFeedback({ reward: 1 }).reward).toBe(1);
    expect(readFeedback({ reward: '0.25' }).reward).toBe(0.25);
    expect(readFeedback({ reward: '1e0' }).reward).toBe(1);
    expect(readFeedback({ reward: 'Infinity' }).reward).toBe(Infinity);
  });

  it('names the bad nested path', () => {
    expect(errorOf(() => readFeedback({ response: { meta: { routing: { r: 1.5 } } } })).message).toContain('feedback.response.meta.routing.r');
    expect(errorOf(() => readFeedback({ reward: 'lots' })).message).toContain('feedback.reward: expected a number');
    expect(errorOf(() => readFeedback({ rewards: 1 })).message).toContain('unknown field "rewards"');
  });
});

describe('proto3 scalars', () => {
  it('readInt32 bounds', () => {
    expect(readInt32('-3', 'x')).toBe(-3);
    expect(readInt32(2147483647, 'x')).toBe(2147483647);
    expect(() => readInt32(2147483648, 'x')).toThrow('32-bit');
    expect(() => readInt32(true, 'x')).toThrow('32-bit');
  });
  it('readFloat forms', () => {
    expect(Number.isNaN(readFloat('NaN', 'x'))).toBe(true);
    expect(readFloat('-Infinity', 'x')).toBe(-Infinity);
    expect(readFloat(' .5 ', 'x')).toBe(0.5);
    expect(() => readFloat('', 'x')).toThrow('expected a number');
    expect(() => readFloat('0x10', 'x')).toThrow('expected a number');
  });
});
