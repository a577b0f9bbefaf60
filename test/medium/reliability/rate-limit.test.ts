/**
 * The request limit is one sliding minute per client shared by every replica through the
 * posterior store: two replicas on one Redis pass the limit once between them, a burst
 * straddling a minute boundary does not pass twice the limit, and /metrics is under it
 * (the health probes are not).
 */
import { call, startService, type ServiceUnderTest } from '../service/harness';

jest.setTimeout(180_000);

const LIMIT = 40;

describe('shared sliding-window rate limit (two replicas on one Redis)', () => {
  let a: ServiceUnderTest;
  let b: ServiceUnderTest;

  beforeAll(async () => {
    const env = { BANDIT_LOG_LEVEL: 'silent', BANDIT_RATE_LIMIT_PER_MINUTE: String(LIMIT) };
    a = await startService({ store: 'redis', events: 'postgres', env });
    b = await startService({ store: 'redis', events: 'postgres', env: { ...env, BANDIT_REDIS_URL: a.redis?.url ?? '', BANDIT_DATABASE_URL: a.database?.url ?? '' } });
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  /** Sends `n` GETs of `route` one after the other; returns how many were admitted (not 429). */
  async function burst(s: ServiceUnderTest, route: string, n: number): Promise<number> {
    let admitted = 0;
    for (let i = 0; i < n; i++) {
      const r = await call(s.url, 'GET', route);
      if (r.status === 429) {
        expect(r.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
        continue;
      }
      expect(r.status).toBe(200);
      admitted++;
    }
    return admitted;
  }

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** Waits until `second` (0–59.9) of the current wall-clock minute, or of the next one when it has passed. */
  async function untilSecond(second: number): Promise<void> {
    const inMinute = Date.now() % 60_000;
    const target = second * 1000;
    await sleep(target > inMinute ? target - inMinute : 60_000 - inMinute + target);
  }

  it('two replicas pass the limit once between them; /metrics counts, the health probes do not', async () => {
    // well inside one minute, so the previous minute's share is not in play
    await untilSecond(2);
    expect(await burst(a, '/experiments', 30)).toBe(30);
    await sleep(300);
    const onB = await burst(b, '/metrics', 30);
    expect(onB).toBe(LIMIT - 30);
    // a replica that has not heard from the client for over a second reads the shared counts first
    await sleep(1200);
    expect(await burst(a, '/experiments', 5)).toBe(0);
    for (const probe of ['/healthz', '/readyz']) expect((await call(b.url, 'GET', probe)).status).toBe(200);
  });

  it('a burst straddling a minute boundary passes about the limit, not twice it', async () => {
    // in the minute after the first test's (whose share of this window is then ~2.5% of 40)
    await untilSecond(0.5);
    await untilSecond(58.5);
    const before = await burst(a, '/experiments', LIMIT);
    await untilSecond(0.3);
    const after = (await burst(b, '/experiments', LIMIT / 2)) + (await burst(a, '/experiments', LIMIT / 2));
    expect(before).toBeGreaterThanOrEqual(LIMIT - 3);
    expect(before + after).toBeLessThanOrEqual(LIMIT + 2);
  });
});
