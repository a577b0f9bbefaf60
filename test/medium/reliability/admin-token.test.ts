/**
 * The admin token comparison runs in constant time: every check — right, wrong, shorter,
 * longer, missing — goes through crypto.timingSafeEqual on two SHA-256 digests of equal
 * length, so neither the content nor the length of the token leaks through timing.
 */
import * as crypto from 'node:crypto';
import { bearerMatches } from '../../../src/http/admin.guard';

// the real function, wrapped so its calls can be inspected (node:crypto's own property cannot be spied on)
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});

const TOKEN = 'an-admin-token-of-32-characters!';

describe('admin token comparison', () => {
  const spy = crypto.timingSafeEqual as jest.MockedFunction<typeof crypto.timingSafeEqual>;
  beforeEach(() => spy.mockClear());

  it.each([
    [`Bearer ${TOKEN}`, true],
    [`bearer ${TOKEN}`, true],
    [`Bearer ${TOKEN} `, true],
    [`Bearer ${TOKEN.slice(0, -1)}`, false],
    [`Bearer ${TOKEN}x`, false],
    [`Bearer ${TOKEN.slice(0, -1)}?`, false],
    [`Bearer ${'x'.repeat(300)}`, false],
    ['Bearer ', false],
    ['', false],
    [undefined, false],
    [`Basic ${TOKEN}`, false],
    [TOKEN, false],
  ])('case %#, via timingSafeEqual on 32-byte digests', (header, expected) => {
    expect(bearerMatches(header, TOKEN)).toBe(expected);
    expect(spy).toHaveBeenCalledTimes(1);
    const [a, b] = spy.mock.calls[0] as [Buffer, Buffer];
    expect(a).toHaveLength(32);
    expect(b).toHaveLength(32);
    expect(b.equals(crypto.createHash('sha256').update(TOKEN).digest())).toBe(true);
  });
});
