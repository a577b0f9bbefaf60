import { streamIdAtMost } from './dragonfly.queue';

describe('streamIdAtMost (stream entry ids <ms>-<seq>)', () => {
  it('orders by milliseconds, then by sequence, numerically', () => {
    expect(streamIdAtMost('1700000000000-0', '1700000000000-0')).toBe(true);
    expect(streamIdAtMost('1700000000000-2', '1700000000000-10')).toBe(true);
    expect(streamIdAtMost('1700000000000-10', '1700000000000-2')).toBe(false);
    expect(streamIdAtMost('999999999999-5', '1000000000000-0')).toBe(true);
    expect(streamIdAtMost('1000000000001-0', '1000000000000-99')).toBe(false);
  });
});
