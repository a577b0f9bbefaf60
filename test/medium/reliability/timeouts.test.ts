/**
 * Timeouts: a Redis that keeps its connections open but never answers makes /select fail
 * fast with a 503 naming the posterior store, its address and the cause; a request body
 * that trickles in is cut with a 408 in the documented JSON shape.
 */
import * as net from 'node:net';
import { FaultProxy } from '../../support/fault-proxy';
import { claimRedisDb, type TestRedisDb } from '../../support/services';
import { call, startService, waitFor, type ServiceUnderTest } from '../service/harness';

jest.setTimeout(180_000);

describe('command and request-body timeouts', () => {
  let s: ServiceUnderTest;
  let redisDb: TestRedisDb;
  let proxy: FaultProxy;

  beforeAll(async () => {
    redisDb = await claimRedisDb();
    proxy = await new FaultProxy(Number(new URL(redisDb.url).port || 6379)).listen();
    s = await startService({
      store: 'memory',
      events: 'postgres',
      env: { BANDIT_REDIS_URL: proxy.via(redisDb.url), BANDIT_REDIS_COMMAND_TIMEOUT_MS: '500', BANDIT_REQUEST_BODY_TIMEOUT_MS: '1000', BANDIT_LOG_LEVEL: 'silent' },
    });
    expect((await call(s.url, 'POST', '/experiments', { id: 'slow', arms: ['a', 'b'] })).status).toBe(201);
  });

  afterAll(async () => {
    await s?.close();
    await proxy?.close();
    await redisDb?.release();
  });

  it('a Redis that never answers: /select answers 503 within about the command timeout, naming the store, host:port and cause; /readyz too', async () => {
    expect((await call(s.url, 'POST', '/select', { experiment_id: 'slow' })).status).toBe(200);
    proxy.stall(true);
    try {
      const t0 = Date.now();
      const r = await call<{ error: { code: string; message: string } }>(s.url, 'POST', '/select', { experiment_id: 'slow' });
      const ms = Date.now() - t0;
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('unavailable');
      expect(r.body.error.message).toMatch(/posterior store/);
      expect(ms).toBeLessThan(5000);
      const ready = await call<{ error: { message: string } }>(s.url, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.error.message).toMatch(new RegExp(`posterior store \\(redis 127\\.0\\.0\\.1:${proxy.port}\\)`));
      expect(ready.body.error.message).toMatch(/timed out|did not answer/);
    } finally {
      proxy.stall(false);
    }
    await waitFor('serving again', async () => (await call(s.url, 'POST', '/select', { experiment_id: 'slow' })).status === 200, 30_000);
  });

  it('a body sent one byte at a time: 408 in the JSON error shape after the body timeout, and the connection is closed', async () => {
    const port = Number(new URL(s.url).port);
    const t0 = Date.now();
    const reply = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(port, '127.0.0.1');
      let got = '';
      let timer: NodeJS.Timeout | undefined;
      sock.on('connect', () => {
        sock.write('POST /select HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{');
        timer = setInterval(() => sock.write(' '), 300);
      });
      sock.on('data', (d) => (got += d.toString()));
      sock.on('close', () => {
        clearInterval(timer);
        resolve(got);
      });
      sock.on('error', reject);
      setTimeout(() => {
        clearInterval(timer);
        sock.destroy();
        reject(new Error(`no answer after 10 s (got ${JSON.stringify(got)})`));
      }, 10_000);
    });
    const ms = Date.now() - t0;
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(reply).toMatch(/"code":"invalid_input"|"code":"timeout"|"error":\{"code"/);
    expect(reply).toMatch(/body/);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(5000);
  });
});
