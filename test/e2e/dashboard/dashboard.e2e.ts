/**
 * The live dashboard in a real headless Chromium against the built `bandit serve` on the
 * production parts (Postgres event store, Redis posterior store): the page draws one
 * density curve per arm, every number it shows equals the API's, the numbers follow new
 * traffic without a reload (server-sent events), a decided experiment shows its winner,
 * the list page shows every experiment, and a phone-size viewport has no page-wide
 * horizontal scrolling. Screenshots land in test-artifacts/ (gitignored).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { available, describeIf, hasBuiltCli, REPO_ROOT } from '../../support/env';
import { spawnService, waitFor, type ServiceProcess } from '../../support/processes';
import { claimRedisDb, createTestDatabase, hasPostgres, hasRedis, type TestDatabase, type TestRedisDb } from '../../support/services';

const CHROMIUM = process.env.BANDIT_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');

jest.setTimeout(180_000);

interface ArmView {
  index: number;
  name: string;
  alpha: number;
  beta: number;
  assignments: number;
  observations: number;
  rewards: number;
  mean: number;
  ci95: [number, number];
  probBest: number;
  expectedLoss: number;
  allocation: number;
}
interface ExperimentView {
  id: string;
  status: string;
  arms: ArmView[];
  definition: { stopping: { probBest: number; expectedLoss: number; minSamplesPerArm: number } };
  winner: { index: number; name: string } | null;
  evaluation: {
    at: string;
    source: 'live' | 'decision';
    status: string;
    leaderIndex: number;
    probBest: number[];
    expectedLoss: number[];
    observations: number[];
    reason: string;
    checks: Array<{ key: string; threshold: number }>;
  };
}

/** A deterministic 0/1 reward with the arm's rate. */
function rewardFor(i: number, rate: number): number {
  return ((i * 2654435761) >>> 0) / 2 ** 32 < rate ? 1 : 0;
}

async function call<T>(url: string, method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(url + p, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

let counter = 0;
async function traffic(url: string, id: string, n: number, rates: number[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const s = await call<{ decision_id: string; arm_index: number }>(url, 'POST', '/select', { experiment_id: id });
    await call(url, 'POST', '/reward', { decision_id: s.decision_id, reward: rewardFor(counter++, rates[s.arm_index]) });
  }
}

/** What the page shows for one arm: text and exact value (data-value) of every numeric cell. */
interface ShownArm {
  name: string;
  cells: Record<string, { text: string; value: string | null; low?: string | null; high?: string | null }>;
}

async function shownArms(page: Page): Promise<ShownArm[]> {
  return page.$$eval('#arms-body tr', (rows) =>
    rows.map((tr) => {
      const cells: Record<string, { text: string; value: string | null; low?: string | null; high?: string | null }> = {};
      tr.querySelectorAll('td[data-field]').forEach((td) => {
        cells[td.getAttribute('data-field') as string] = {
          text: (td.textContent ?? '').trim(),
          value: td.getAttribute('data-value'),
          low: td.getAttribute('data-low'),
          high: td.getAttribute('data-high'),
        };
      });
      return { name: (tr.querySelector('th')?.textContent ?? '').replace(/(leader|winner)$/, '').trim(), cells };
    }),
  );
}

/** Reads a shown number back: "12.3%" → 0.123, "1,234" → 1234; with the half-unit of its last digit. */
function readBack(text: string): { value: number; halfUnit: number } {
  const t = text.replace(/,/g, '').trim();
  const m = /^(-?\d+)(?:\.(\d+))?(%?)$/.exec(t);
  if (!m) throw new Error(`not a number as the dashboard writes them: ${JSON.stringify(text)}`);
  const decimals = m[2]?.length ?? 0;
  const scale = m[3] === '%' ? 100 : 1;
  return { value: Number(`${m[1]}.${m[2] ?? '0'}`) / scale, halfUnit: (0.5 * 10 ** -decimals) / scale };
}

function expectShown(what: string, cell: { text: string; value: string | null } | undefined, api: number): void {
  expect({ what, present: cell !== undefined }).toEqual({ what, present: true });
  const c = cell as { text: string; value: string | null };
  // the exact number behind the cell is the API's
  expect({ what, value: Number(c.value) }).toEqual({ what, value: api });
  // and what is written is that number, rounded
  const r = readBack(c.text);
  expect({ what, off: Math.abs(r.value - api) <= r.halfUnit + 1e-12 }).toEqual({ what, off: true });
}

function compareWithApi(shown: ShownArm[], view: ExperimentView): void {
  expect(shown.map((s) => s.name)).toEqual(view.arms.map((a) => a.name));
  const total = view.arms.reduce((acc, a) => acc + a.assignments, 0);
  view.arms.forEach((a, k) => {
    const c = shown[k].cells;
    expectShown(`${a.name} served`, c.assignments, a.assignments);
    expectShown(`${a.name} observed`, c.observations, a.observations);
    expectShown(`${a.name} rewards`, c.rewards, a.rewards);
    expectShown(`${a.name} mean`, c.mean, a.mean);
    expectShown(`${a.name} P(best)`, c.probBest, a.probBest);
    expectShown(`${a.name} expected loss`, c.expectedLoss, a.expectedLoss);
    expectShown(`${a.name} allocation`, c.allocation, a.allocation);
    expect([Number(c.ci95.low), Number(c.ci95.high)]).toEqual(a.ci95);
    const [lo, hi] = c.ci95.text.split(' – ');
    for (const [t, v] of [
      [lo, a.ci95[0]],
      [hi, a.ci95[1]],
    ] as const) {
      const r = readBack(t);
      expect(Math.abs(r.value - v)).toBeLessThanOrEqual(r.halfUnit + 1e-12);
    }
    expectShown(`${a.name} traffic share`, c.share, a.assignments / total);
  });
}

const hasChromium = () => available(`Chromium at ${CHROMIUM}`, fs.existsSync(CHROMIUM), 'apt-get install chromium (see .ci/run), or set BANDIT_CHROMIUM');

describeIf(() => hasBuiltCli() && hasChromium() && hasPostgres() && hasRedis())('live dashboard in Chromium', () => {
  let db: TestDatabase;
  let redis: TestRedisDb;
  let svc: ServiceProcess;
  let browser: Browser;
  let dataDir: string;
  const errors: string[] = [];
  const id = 'e2e-dashboard';
  const rates = [0.04, 0.08, 0.16];

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase('bandit_dash_e2e');
    redis = await claimRedisDb();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-dash-e2e-'));
    svc = await spawnService({
      BANDIT_DATABASE_URL: db.url,
      BANDIT_REDIS_URL: redis.url,
      BANDIT_DATA_DIR: dataDir,
      BANDIT_SNAPSHOT_INTERVAL_SECONDS: '1',
      BANDIT_LOG_LEVEL: 'warn',
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    await call(svc.url, 'POST', '/experiments', { id, arms: ['control', 'treatment_a', 'treatment_b'], stopping: { minSamplesPerArm: 1000 } });
    await traffic(svc.url, id, 150, rates);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.stop();
    await redis?.release();
    await db?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function open(url: string, viewport = { width: 1366, height: 900 }, mobile = false): Promise<Page> {
    const page = await browser.newPage({ viewport, deviceScaleFactor: mobile ? 2 : 1, isMobile: mobile, hasTouch: mobile });
    page.on('pageerror', (e) => errors.push(`${url}: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`${url}: console: ${m.text()}`);
    });
    await page.goto(url);
    return page;
  }

  /** Waits until the page shows the API's total assignments, then returns the API view. */
  async function settled(page: Page): Promise<ExperimentView> {
    return waitFor(
      'the page to show the API’s numbers',
      async () => {
        const view = await call<ExperimentView>(svc.url, 'GET', `/experiments/${id}`);
        const total = view.arms.reduce((acc, a) => acc + a.assignments, 0);
        const shown = await page.getAttribute('#kpi-served', 'data-value');
        const alphas = await page.$$eval('#arms-body td[data-field="rewards"]', (tds) => tds.map((td) => Number(td.getAttribute('data-value'))));
        return Number(shown) === total && alphas.join() === view.arms.map((a) => a.rewards).join() ? view : undefined;
      },
      20_000,
      200,
    );
  }

  it('draws one posterior curve per arm and shows exactly the API’s numbers', async () => {
    const page = await open(`${svc.url}/experiments/${id}/dashboard`);
    const view = await settled(page);
    const curves = await page.$$eval('#density-chart .curve', (gs) => gs.map((g) => ({ name: g.getAttribute('data-name'), points: (g.querySelector('.density-line')?.getAttribute('d') ?? '').split('L').length })));
    expect(curves.map((c) => c.name)).toEqual(view.arms.map((a) => a.name));
    for (const c of curves) expect(c.points).toBeGreaterThan(50);
    compareWithApi(await shownArms(page), view);
    // the stopping rule's thresholds are the definition's
    const threshold = async (key: string) => Number(await page.getAttribute(`[data-criterion="${key}"] .criterion-threshold`, 'data-value'));
    expect(await threshold('probBest')).toBe(view.definition.stopping.probBest);
    // the loss threshold in force: the smaller of the absolute one and the relative one times the baseline rate
    const lossCheck = view.evaluation.checks.find((c) => c.key === 'expectedLoss');
    expect(lossCheck?.threshold).toBeLessThanOrEqual(view.definition.stopping.expectedLoss);
    expect(await threshold('expectedLoss')).toBe(lossCheck?.threshold);
    expect(await threshold('minSamples')).toBe(view.definition.stopping.minSamplesPerArm);
    // and its current numbers are the server's evaluation (observations, not selects, for the minimum sample)
    const leader = view.arms.reduce((best, a) => (a.probBest > best.probBest ? a : best));
    const ev = view.evaluation;
    const current = async (key: string) => Number(await page.getAttribute(`[data-criterion="${key}"] .criterion-value`, 'data-value'));
    expect(await current('probBest')).toBe(ev.probBest[ev.leaderIndex]);
    expect(await current('expectedLoss')).toBe(ev.expectedLoss[ev.leaderIndex]);
    expect(await current('minSamples')).toBe(Math.min(...ev.observations));
    expect(await page.getAttribute('#stopping', 'data-status')).toBe(ev.status);
    // the verdict in plain words, as the API gives it
    expect(ev.reason.length).toBeGreaterThan(20);
    expect(await page.textContent('#stopping-note')).toContain(ev.reason);
    expect(await page.textContent('#stopping-at')).toMatch(/^evaluated /);
    expect(Number(await page.getAttribute('#kpi-pbest', 'data-value'))).toBe(leader.probBest);
    expect(await page.textContent('#kpi-leader')).toBe(leader.name);
    // history charts are drawn from the history endpoint
    await page.waitForSelector('#traffic-chart .stack-area');
    expect(await page.$$eval('#traffic-chart .stack-area', (p) => p.length)).toBe(3);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-desktop.png'), fullPage: true });
    // a shorter history range asks the endpoint for it and draws again
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().includes('/history?from=')), page.selectOption('#range', '900')]);
    expect(res.status()).toBe(200);
    expect(((await res.json()) as { buckets: unknown[] }).buckets.length).toBeGreaterThan(0);
    await page.waitForSelector('#traffic-chart .stack-area');
    await page.close();
  });

  it('follows new traffic live, without a reload', async () => {
    const page = await open(`${svc.url}/experiments/${id}/dashboard`);
    const before = await settled(page);
    await waitFor('the live stream to connect', async () => (await page.getAttribute('#live', 'data-state')) === 'live');
    const updatesBefore = Number(await page.getAttribute('body', 'data-updates'));
    const loaded = await page.evaluate(() => performance.getEntriesByType('navigation').length);
    await traffic(svc.url, id, 120, rates);
    const after = await settled(page);
    expect(after.arms.reduce((a, x) => a + x.assignments, 0)).toBe(before.arms.reduce((a, x) => a + x.assignments, 0) + 120);
    expect(Number(await page.getAttribute('body', 'data-updates'))).toBeGreaterThan(updatesBefore);
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(loaded);
    compareWithApi(await shownArms(page), after);
    await page.close();
  });

  it('is readable on a phone: no page-wide horizontal scrolling, every card one column', async () => {
    const page = await open(`${svc.url}/experiments/${id}/dashboard`, { width: 390, height: 844 }, true);
    await settled(page);
    await page.waitForSelector('#traffic-chart .stack-area');
    const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, viewport: window.innerWidth }));
    expect(widths.page).toBeLessThanOrEqual(widths.viewport);
    const cards = await page.$$eval('.card', (cs) => cs.map((c) => Math.round(c.getBoundingClientRect().width)));
    expect(new Set(cards).size).toBe(1);
    expect(await page.$$eval('#density-chart .curve', (gs) => gs.length)).toBe(3);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
    await page.close();
  });

  it('announces the winner once the stopping rule decides', async () => {
    const win = 'e2e-dashboard-winner';
    await call(svc.url, 'POST', '/experiments', { id: win, arms: ['one_page', 'two_step'], stopping: { minSamplesPerArm: 3, probBest: 0.9, expectedLoss: 0.05 } });
    const page = await open(`${svc.url}/experiments/${win}/dashboard`);
    await page.waitForSelector('#arms-body tr');
    expect(await page.isVisible('#banner')).toBe(false);
    // traffic until the stopping rule holds (the service may conclude on its own; else ask it to evaluate now)
    const view = await waitFor(
      'the experiment to conclude',
      async () => {
        await traffic(svc.url, win, 40, [0.05, 0.7]);
        let v = await call<ExperimentView>(svc.url, 'GET', `/experiments/${win}`);
        if (v.status === 'running') v = (await call<{ experiment: ExperimentView }>(svc.url, 'POST', `/experiments/${win}/conclude`)).experiment;
        return v.status === 'concluded' ? v : undefined;
      },
      120_000,
      0,
    );
    expect(view.winner).not.toBeNull();
    await page.waitForSelector('#winner-name', { timeout: 20_000 });
    expect(await page.textContent('#winner-name')).toBe(view.winner?.name);
    // the banner and the stopping card show the one evaluation that decided, with its time
    const decided = (await call<ExperimentView>(svc.url, 'GET', `/experiments/${win}`)).evaluation;
    expect(decided.source).toBe('decision');
    await waitFor('the card to show the decision', async () => (await page.getAttribute('#stopping', 'data-source')) === 'decision', 20_000, 100);
    expect(await page.getAttribute('#banner', 'data-evaluated-at')).toBe(decided.at);
    expect(await page.getAttribute('#stopping-at', 'datetime')).toBe(decided.at);
    const bannerPBest = await page.$$eval('#banner .fact-value', (els) => els.map((e) => e.getAttribute('data-value')));
    expect(Number(bannerPBest[0])).toBe(decided.probBest[view.winner?.index ?? -1]);
    expect(Number(await page.getAttribute('[data-criterion="probBest"] .criterion-value', 'data-value'))).toBe(decided.probBest[decided.leaderIndex]);
    expect(await page.getAttribute('#exp-status', 'data-status')).toBe('concluded');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-winner.png'), fullPage: true });
    await page.close();
  });

  it('lists every experiment with its leader’s P(best) as the API gives it', async () => {
    const page = await open(`${svc.url}/dashboard`);
    await page.waitForSelector(`[data-experiment="${id}"]`);
    const list = await call<{ experiments: ExperimentView[] }>(svc.url, 'GET', '/experiments');
    for (const e of list.experiments) {
      const shown = await page.$$eval(`[data-experiment="${e.id}"] .exp-card-arms strong`, (els) => els.map((el) => Number(el.getAttribute('data-value'))));
      expect(shown).toEqual(e.arms.map((a) => a.probBest));
    }
    expect(await page.getAttribute(`[data-experiment="${id}"]`, 'href')).toBe(`/experiments/${id}/dashboard`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-list.png'), fullPage: true });
    await page.close();
  });

  it('works behind a reverse proxy that serves the service under a path prefix', async () => {
    // /bandit/<path> → the service's /<path>, streaming (server-sent events pass through)
    const target = new URL(svc.url);
    const proxy = http.createServer((req, res) => {
      if (!req.url?.startsWith('/bandit/')) {
        res.writeHead(404).end('outside the prefix');
        return;
      }
      const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url.slice('/bandit'.length), headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as { port: number }).port;
    try {
      const page = await open(`http://127.0.0.1:${port}/bandit/experiments/${id}/dashboard`);
      await page.waitForSelector('#density-chart .curve');
      expect(await page.$$eval('#density-chart .curve', (gs) => gs.length)).toBe(3);
      await waitFor('the live stream through the proxy', async () => (await page.getAttribute('#live', 'data-state')) === 'live');
      const list = await open(`http://127.0.0.1:${port}/bandit/dashboard`);
      await list.waitForSelector(`[data-experiment="${id}"]`);
      expect(await list.getAttribute(`[data-experiment="${id}"]`, 'href')).toBe(`/bandit/experiments/${id}/dashboard`);
      await page.close();
      await list.close();
    } finally {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  });

  it('ran without a script error', async () => {
    expect(errors).toEqual([]);
  });
});
