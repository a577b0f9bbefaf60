/**
 * Security of the built service over HTTP: admin token, unguessable and unforgeable
 * decision ids, hostile experiment ids and arm names, body / arm-count / rate limits,
 * and secrets (admin token, database password, Redis password) never in logs or replies.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { BANDIT_BIN, describeIf, hasBuiltCli, hasProgram } from '../../support/env';
import { freePort, spawnService, startRedisServer, TcpProxy, viaProxy, waitFor, type RedisServer, type ServiceProcess } from '../../support/processes';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../../support/services';
import { ADMIN_TOKEN, admin, call, createExperiment, withPg } from './lib';

jest.setTimeout(180_000);

const REDIS_PASSWORD = 'redis-Pw-4f1c0e9b7a';
const DB_PASSWORD = 'db-Pw-93be1d27c4';

/** Strings that must never become part of a key or a query. */
const HOSTILE_IDS = [
  'a}:arm:0:alpha',
  'x}{y',
  '*',
  'exp*',
  '?',
  '[a-z]',
  "x'; DROP TABLE bandit_events;--",
  'x" OR "1"="1',
  '../../etc/passwd',
  '..%2f..%2fetc',
  'a/b',
  'a\\b',
  'A-UPPER',
  'sp ace',
  'tab\there',
  'new\nline',
  'nul\u0000byte',
  'с-cyrillic', // Cyrillic "с"
  'zero\u200bwidth',
  'rtl\u202eoverride',
  'é-combining'.normalize('NFD'),
  '-leading-dash',
  '',
  'a'.repeat(65),
  'x'.repeat(1 << 20),
];

describeIf(() => hasBuiltCli() && hasProgram('redis-server') && hasPostgres())('security', () => {
  let redis: RedisServer;
  let db: TestDatabase;
  let proxy: TcpProxy;
  let svc: ServiceProcess;
  let limited: ServiceProcess | undefined;
  const replies: string[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-rel-sec-'));
  const redisUrl = () => `redis://:${REDIS_PASSWORD}@127.0.0.1:${redis.port}/0`;

  async function req(method: string, p: string, body?: unknown, headers: Record<string, string> = {}) {
    const r = await call(svc.url, method, p, body, headers);
    replies.push(`${r.status} ${[...r.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${r.text}`);
    return r;
  }

  beforeAll(async () => {
    redis = await startRedisServer(['--requirepass', REDIS_PASSWORD]);
    db = await createTestDatabase('bandit_rel_sec');
    const u = new URL(db.url);
    proxy = new TcpProxy(u.hostname, Number(u.port || 5432));
    await proxy.listen();
    // the machine's Postgres trusts loopback, so any password is accepted: it still must never be shown
    const dbUrl = new URL(viaProxy(db.url, proxy.port));
    dbUrl.username = 'postgres';
    dbUrl.password = DB_PASSWORD;
    svc = await spawnService({
      BANDIT_REDIS_URL: redisUrl(),
      BANDIT_DATABASE_URL: dbUrl.toString(),
      BANDIT_ADMIN_TOKEN: ADMIN_TOKEN,
      BANDIT_LOG_LEVEL: 'debug',
      BANDIT_EVENT_FLUSH_MS: '100',
      BANDIT_DATA_DIR: dataDir,
      BANDIT_BODY_LIMIT_BYTES: '65536',
    });
    await createExperiment(svc.url, 'sec-a');
    await createExperiment(svc.url, 'sec-b');
  });

  afterAll(async () => {
    await svc?.stop();
    await limited?.stop();
    await proxy?.close();
    await redis?.stop();
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('admin routes without a token or with a wrong one answer 401 with the JSON error shape', async () => {
    const wrong = [
      {},
      { authorization: '' },
      { authorization: 'Bearer' },
      { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` },
      { authorization: `Bearer ${ADMIN_TOKEN}x` },
      { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}X` },
      { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` },
      { authorization: `Token ${ADMIN_TOKEN}` },
      { authorization: `Bearer ${ADMIN_TOKEN.toUpperCase()}` },
      { authorization: `Bearer ${'x'.repeat(4000)}` },
      { 'x-admin-token': ADMIN_TOKEN },
    ];
    const routes: Array<[string, string, unknown]> = [
      ['POST', '/experiments', { id: 'sec-new', arms: ['a', 'b'] }],
      ['POST', '/experiments/sec-a/conclude', undefined],
      ['POST', '/experiments/sec-a/stop', undefined],
    ];
    for (const [method, p, body] of routes) {
      for (const h of wrong) {
        const r = await req(method, p, body, h as Record<string, string>);
        expect(r.status).toBe(401);
        expect(r.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
        expect(r.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
    // nothing happened: the experiment was not created, sec-a still runs
    expect((await req('GET', '/experiments/sec-new')).status).toBe(404);
    expect((await req('GET', '/experiments/sec-a')).body).toMatchObject({ status: 'running' });
    // the right token works (lower-case scheme too)
    expect((await req('POST', '/experiments', { id: 'sec-new', arms: ['a', 'b'] }, { authorization: `bearer ${ADMIN_TOKEN}` })).status).toBe(201);
  });

  it('decision ids carry 128 random bits; forged, altered or foreign ids are refused', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 400; i++) {
      const r = await req('POST', '/select', { experiment_id: 'sec-a' });
      expect(r.status).toBe(200);
      ids.push((r.body as { decision_id: string }).decision_id);
    }
    expect(new Set(ids).size).toBe(ids.length);
    // the random part: 22 base64url characters = 16 bytes; every bit position varies
    // (binomial(400, 1/2): each count within 400/2 ± 5σ)
    const bitCounts = new Array<number>(128).fill(0);
    for (const id of ids) {
      const rand = Buffer.from(id.slice(id.lastIndexOf('.') + 1), 'base64url');
      expect(rand).toHaveLength(16);
      for (let b = 0; b < 128; b++) bitCounts[b] += (rand[b >> 3] >> (b & 7)) & 1;
    }
    for (const c of bitCounts) expect(Math.abs(c - 200)).toBeLessThan(5 * 10);

    const real = ids[0];
    const [exp, arm, rand] = real.split('.');
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    const forged = [
      `${exp}.${arm}.${flip(rand, 0)}`,
      `${exp}.${arm}.${flip(rand, 21)}`,
      `${exp}.${(Number(arm) + 1) % 3}.${rand}`,
      `${exp}.7.${rand}`,
      `sec-b.${arm}.${rand}`, // another experiment's decision
      `nope.${arm}.${rand}`,
      `${exp}.${arm}.${'A'.repeat(22)}`,
      `${exp}.${arm}.${rand}x`,
      `${exp}.${arm}.${rand.slice(1)}`,
      `${exp}.${arm}`,
      `${exp}.${arm}.*`,
      `${exp}}:arm:0:alpha.${arm}.${rand}`,
      `experiment:{${exp}}:d:${arm}.${rand}`,
      real.toUpperCase(),
    ];
    for (const d of forged) {
      const r = await req('POST', '/reward', { decision_id: d, reward: 1 });
      expect([404, 400]).toContain(r.status);
      expect(r.body).toMatchObject({ error: { code: expect.any(String) } });
    }
    // none of them counted anything
    const b = (await req('GET', '/experiments/sec-b')).body as { arms: Array<{ alpha: number; beta: number }> };
    expect(b.arms.every((a) => a.alpha === 1 && a.beta === 1)).toBe(true);
    const a = (await req('GET', '/experiments/sec-a')).body as { arms: Array<{ alpha: number; beta: number }> };
    expect(a.arms.every((x) => x.alpha === 1 && x.beta === 1)).toBe(true);
    // the real one still counts once
    expect((await req('POST', '/reward', { decision_id: real, reward: 1 })).body).toMatchObject({ duplicate: false });
  });

  it('hostile experiment ids and arm names are refused and never reach a key or a query', async () => {
    for (const id of HOSTILE_IDS) {
      const big = id.length > 60_000;
      const create = await req('POST', '/experiments', { id, arms: ['a', 'b'] }, admin);
      expect(create.status).toBe(big ? 413 : 400);
      const sel = await req('POST', '/select', { experiment_id: id });
      expect(sel.status).toBe(big ? 413 : 400);
      expect(sel.body).toMatchObject({ error: { code: big ? 'payload_too_large' : 'invalid_input' } });
      if (!big && id !== '') {
        const get = await req('GET', `/experiments/${encodeURIComponent(id)}`);
        expect([400, 404]).toContain(get.status);
        const stop = await req('POST', `/experiments/${encodeURIComponent(id)}/stop`, undefined, admin);
        expect([400, 404]).toContain(stop.status);
      }
    }
    const hostileArms = ['a\u0000b', 'zero\u200bwidth', 'rtl\u202eoverride', ' padded', 'e\u0301', 'x'.repeat(129), ''];
    for (const arm of hostileArms) {
      const r = await req('POST', '/experiments', { id: 'sec-arms', arms: [arm, 'b'] }, admin);
      expect(r.status).toBe(400);
      expect((r.body as { error: { message: string } }).error.message).toMatch(/arms/);
    }
    expect((await req('POST', '/experiments', { id: 'sec-arms', arms: ['a', 'b', 'a'] }, admin)).status).toBe(400);
    // punctuation is allowed in arm names, and stays data: the keys use arm indexes
    const odd = ['a}:arm:0:alpha', '*', "x'); DROP TABLE experiments;--", '../../etc/passwd', '<script>alert(1)</script>', 'é', '日本語'];
    expect((await req('POST', '/experiments', { id: 'sec-odd', arms: odd }, admin)).status).toBe(201);
    const s = await req('POST', '/select', { experiment_id: 'sec-odd' });
    expect(odd).toContain((s.body as { arm: string }).arm);
    expect((await req('POST', '/reward', { decision_id: (s.body as { decision_id: string }).decision_id, reward: 1 })).status).toBe(200);

    // every key in Redis is one of the documented shapes of a valid experiment id
    const r = new Redis(redisUrl());
    try {
      const keys = await r.keys('*');
      const shape = /^experiment:\{(sec-a|sec-b|sec-new|sec-odd)\}:(arm:[0-9]+:(alpha|beta|pulls|rewards)|state|fence|units|events|d:[0-9]+\.[A-Za-z0-9_-]{22}|puid:.*)$/;
      expect(keys.filter((k) => !shape.test(k))).toEqual([]);
    } finally {
      r.disconnect();
    }
    // the tables are intact and hold only the valid experiments
    const rows = await withPg(db.url, async (c) => (await c.query<{ id: string }>('select id from experiments order by id')).rows.map((x) => x.id));
    expect(rows).toEqual(['sec-a', 'sec-b', 'sec-new', 'sec-odd']);
    const stored = await withPg(db.url, async (c) => JSON.parse((await c.query<{ definition: string }>("select definition from experiments where id = 'sec-odd'")).rows[0].definition) as { arms: string[] });
    expect(stored.arms).toEqual(odd);
  });

  it('limits: body size 413, arm count 400, JSON error shape', async () => {
    const big = await req('POST', '/select', JSON.stringify({ experiment_id: 'sec-a', unit_id: 'u'.repeat(70_000) }));
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ error: { code: 'payload_too_large' } });
    const arms = Array.from({ length: 101 }, (_, i) => `arm-${i}`);
    const many = await req('POST', '/experiments', { id: 'sec-many', arms }, admin);
    expect(many.status).toBe(400);
    expect((many.body as { error: { message: string } }).error.message).toMatch(/100 arms/);
    expect((await req('POST', '/experiments', { id: 'sec-hundred', arms: arms.slice(0, 100) }, admin)).status).toBe(201);
    for (const bad of ['{', 'null', '[]', '"x"', '{"experiment_id": 1}', '{"experiment_id": "sec-a", "extra": 1}']) {
      const r = await req('POST', '/select', bad);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ error: { code: 'invalid_input' } });
    }
    const ct = await call(svc.url, 'POST', '/select', 'experiment_id=sec-a', { 'content-type': 'text/plain' });
    expect([400, 415]).toContain(ct.status);
  });

  it('rate limit per client: 429 with a JSON body and Retry-After', async () => {
    limited = await spawnService({
      BANDIT_REDIS_URL: redisUrl(),
      BANDIT_DATABASE_URL: db.url,
      BANDIT_ADMIN_TOKEN: ADMIN_TOKEN,
      BANDIT_RATE_LIMIT_PER_MINUTE: '20',
      BANDIT_DATA_DIR: dataDir,
    });
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 30; i++) {
      last = await call(limited.url, 'POST', '/select', { experiment_id: 'sec-a' });
      statuses.push(last.status);
    }
    const firstLimited = statuses.indexOf(429);
    // the window is a wall-clock minute: a boundary during the loop resets it once
    expect(firstLimited).toBeGreaterThanOrEqual(19);
    expect(statuses.slice(firstLimited).every((s) => s === 429)).toBe(true);
    expect(last?.body).toMatchObject({ error: { code: 'rate_limited', message: expect.stringMatching(/20 requests per minute/) } });
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    // probes stay outside the limit
    expect((await call(limited.url, 'GET', '/healthz')).status).toBe(200);
    expect((await call(limited.url, 'GET', '/readyz')).status).toBe(200);
  });

  it('secrets never appear in logs, replies, metrics or the OpenAPI document, even when stores fail', async () => {
    // provoke failures: Postgres unreachable, then Redis gone
    proxy.cut();
    await req('GET', '/experiments');
    await req('GET', '/readyz');
    await req('POST', '/experiments', { id: 'sec-down', arms: ['a', 'b'] }, admin);
    await waitFor('the event consumer to report the outage', () => svc.logs().includes('events wait in the queue'), 15_000);
    proxy.restore();
    await redis.kill();
    await req('POST', '/select', { experiment_id: 'sec-a' });
    await req('GET', '/readyz');
    await req('GET', '/metrics');
    await req('GET', '/openapi.json');
    await redis.start();
    await waitFor('/readyz after Redis restarts', async () => (await call(svc.url, 'GET', '/readyz')).status === 200, 20_000);
    await req('POST', '/select', { experiment_id: 'sec-a' });

    // a start that fails on a store must not print its URL's password either
    const deadPort = await freePort();
    let failed = '';
    try {
      execFileSync(process.execPath, [BANDIT_BIN, 'serve', '--port', '0', '--host', '127.0.0.1'], {
        env: { PATH: process.env.PATH, BANDIT_DATABASE_URL: `postgres://postgres:${DB_PASSWORD}@127.0.0.1:${deadPort}/x`, BANDIT_REDIS_URL: redisUrl().replace(String(redis.port), String(deadPort)), BANDIT_DATA_DIR: dataDir },
        stdio: 'pipe',
        timeout: 30_000,
      });
    } catch (err) {
      const e = err as { stderr?: Buffer; stdout?: Buffer };
      failed = `${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`;
    }
    expect(failed).toMatch(/event store/);
    const config = (redis: string) =>
      execFileSync(process.execPath, [BANDIT_BIN, 'config'], {
        env: { PATH: process.env.PATH, BANDIT_DATABASE_URL: `postgres://postgres:${DB_PASSWORD}@127.0.0.1:5432/x`, BANDIT_REDIS_URL: redis, BANDIT_ADMIN_TOKEN: ADMIN_TOKEN, BANDIT_DATA_DIR: dataDir },
        encoding: 'utf8',
      });
    const cfg = [redisUrl(), `redis://default:${REDIS_PASSWORD}@127.0.0.1:${redis.port}/0`, `redis+cluster://:${REDIS_PASSWORD}@127.0.0.1:7000,127.0.0.1:7001`].map(config).join('\n');
    expect(cfg).toMatch(/<redacted>/);

    const everything = [svc.logs(), limited?.logs() ?? '', replies.join('\n'), failed, cfg].join('\n');
    expect(svc.logs()).toMatch(/unreachable|events wait/);
    for (const secret of [ADMIN_TOKEN, DB_PASSWORD, REDIS_PASSWORD, encodeURIComponent(DB_PASSWORD)]) {
      expect(everything.includes(secret)).toBe(false);
    }
  });
});
