import { SlidingWindowLimiter, type RateCounter } from './rate-limit';

/** Shared minute buckets, as the posterior store keeps them; `calls` counts the exchanges. */
function sharedCounter(): { counter: RateCounter; calls: () => number } {
  const buckets = new Map<string, number>();
  let calls = 0;
  const counter: RateCounter = async (client, window, n) => {
    calls++;
    const current = (buckets.get(`${window}|${client}`) ?? 0) + n;
    buckets.set(`${window}|${client}`, current);
    return { current, previous: buckets.get(`${window - 1}|${client}`) ?? 0 };
  };
  return { counter, calls: () => calls };
}

async function admitted(limiter: SlidingWindowLimiter, client: string, n: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < n; i++) if ((await limiter.check(client)).ok) ok++;
  return ok;
}

describe('SlidingWindowLimiter', () => {
  it('a burst straddling a minute boundary passes the limit once, not twice', async () => {
    let now = 10 * 60_000 - 500; // 0.5 s before a minute boundary
    const { counter } = sharedCounter();
    const limiter = new SlidingWindowLimiter(100, counter, 100, () => now);
    expect(await admitted(limiter, 'c', 150)).toBe(100);
    now += 1000; // 0.5 s into the next minute: last minute's 100 weigh 99.2
    expect(await admitted(limiter, 'c', 150)).toBe(0);
    now += 30_000; // half way: they weigh ~49
    const later = await admitted(limiter, 'c', 150);
    expect(later).toBeGreaterThanOrEqual(49);
    expect(later).toBeLessThanOrEqual(51);
  });

  it('two replicas share the limit through the store; refusals carry a retry time', async () => {
    let now = 5 * 60_000 + 1000;
    const { counter } = sharedCounter();
    const a = new SlidingWindowLimiter(50, counter, 100, () => now);
    const b = new SlidingWindowLimiter(50, counter, 100, () => now);
    expect(await admitted(a, 'c', 30)).toBe(30);
    now += 200;
    // a's admissions reach the store within syncMs of its last request (its timer)
    await new Promise((r) => setTimeout(r, 150));
    expect(await admitted(b, 'c', 30)).toBe(20);
    expect(await b.check('c')).toEqual({ ok: false, retryAfterSeconds: expect.any(Number) as number });
  });

  it('does not call the store once per request', async () => {
    const now = 7 * 60_000 + 1000;
    const { counter, calls } = sharedCounter();
    const limiter = new SlidingWindowLimiter(1_000_000, counter, 100, () => now);
    expect(await admitted(limiter, 'c', 1000)).toBe(1000);
    expect(calls()).toBeLessThanOrEqual(2);
  });
});
