import { ManualClock } from '../clock/clock.repository';
import { MemoryPuidIndex, puidKey, puidKeyPart } from './puid-index';

const d = (id: string, armIndex = 1) => ({ decisionId: id, arm: `arm-${armIndex}`, armIndex, propensity: 0.5 });

describe('MemoryPuidIndex', () => {
  it('binds a puid once: a second bind returns the first decision', async () => {
    const idx = new MemoryPuidIndex(new ManualClock(1000));
    expect(await idx.lookup('exp', 'p')).toBeNull();
    expect(await idx.bind('exp', 'p', d('first'), 60)).toEqual(d('first'));
    expect(await idx.bind('exp', 'p', d('second', 2), 60)).toEqual(d('first'));
    expect(await idx.lookup('exp', 'p')).toEqual(d('first'));
    expect(await idx.lookup('other', 'p')).toBeNull();
  });

  it('forgets a binding when its decision expires', async () => {
    const clock = new ManualClock(0);
    const idx = new MemoryPuidIndex(clock);
    await idx.bind('exp', 'p', d('first'), 10);
    clock.advance(9_999);
    expect(await idx.lookup('exp', 'p')).toEqual(d('first'));
    clock.advance(1);
    expect(await idx.lookup('exp', 'p')).toBeNull();
    expect(await idx.bind('exp', 'p', d('again'), 10)).toEqual(d('again'));
  });

  it('stays under its cap, dropping the oldest bindings first', async () => {
    const idx = new MemoryPuidIndex(new ManualClock(0), 100);
    for (let i = 0; i < 1000; i++) await idx.bind('exp', `p${i}`, d(`d${i}`), 3600);
    expect(idx.size).toBeLessThanOrEqual(100);
    expect(await idx.lookup('exp', 'p999')).toEqual(d('d999'));
    expect(await idx.lookup('exp', 'p0')).toBeNull();
  });
});

describe('puid keys', () => {
  it("live under the experiment's hash tag; odd or long puids are hashed", () => {
    expect(puidKey('exp', 'a1b2-c3')).toBe('experiment:{exp}:seldon:puid:a1b2-c3');
    expect(puidKeyPart('has space')).toMatch(/^sha256-[A-Za-z0-9_-]{43}$/);
    expect(puidKeyPart('x'.repeat(200))).toMatch(/^sha256-/);
    expect(puidKeyPart('has space')).not.toBe(puidKeyPart('has  space'));
  });
});
