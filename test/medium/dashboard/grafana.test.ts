/**
 * The Grafana dashboard's SQL against the real schema: a Postgres database migrated by the
 * service itself and filled by real traffic through its HTTP API (selects, rewards,
 * posterior snapshots, a stopping-rule verdict). Every panel and variable query, with its
 * macros expanded as Grafana expands them, must run and return rows, and the numbers
 * must agree with the traffic that was sent. Also: the committed manifests are exactly
 * what the TypeScript source generates.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { allQueries, DATASOURCE_UID, generatedManifests, grafanaDashboard, MANIFEST_DIR, PANELS, VARIABLES } from '../../../scripts/grafana-dashboard';
import { describeIf, REPO_ROOT } from '../../support/env';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../../support/services';
import { expandGrafanaSql, formatInterval, parseInterval, rfc3339Nano, type MacroContext } from './grafana-macros';
import { seeded, sendTraffic, startService, waitForEvents, type ServiceFixture, type TrafficTotals } from './service-fixture';

type Row = Record<string, unknown>;

describe('Grafana macro expander', () => {
  const ctx: MacroContext = {
    from: new Date('2026-01-31T10:00:00.000Z'),
    to: new Date('2026-01-31T11:30:00.250Z'),
    intervalMs: 60_000,
    variables: { experiment: "o'neil", arm: ['0', '2'] },
  };

  it('expands the time macros as Grafana’s Postgres engine writes them', () => {
    expect(expandGrafanaSql('WHERE $__timeFilter(e.created_at)', ctx)).toBe("WHERE e.created_at BETWEEN '2026-01-31T10:00:00Z' AND '2026-01-31T11:30:00.25Z'");
    expect(expandGrafanaSql('SELECT $__timeGroupAlias(created_at, $__interval)', ctx)).toBe('SELECT floor(extract(epoch from created_at)/60)*60 AS "time"');
    expect(expandGrafanaSql("SELECT $__timeGroup(created_at, '5m')", ctx)).toBe('SELECT floor(extract(epoch from created_at)/300)*300');
    expect(expandGrafanaSql('$__interval_ms / 1000.0', ctx)).toBe('60000 / 1000.0');
  });

  it('formats variables: sqlstring quotes and escapes, a multi-value list is comma separated', () => {
    expect(expandGrafanaSql('x = ${experiment:sqlstring}', ctx)).toBe("x = 'o''neil'");
    expect(expandGrafanaSql('a IN (${arm:sqlstring})', ctx)).toBe("a IN ('0','2')");
    expect(expandGrafanaSql('a IN ($arm)', ctx)).toBe("a IN ('0','2')");
  });

  it('refuses what it does not know instead of passing it through', () => {
    expect(() => expandGrafanaSql('$__unixEpochFilter(t)', ctx)).toThrow(/not supported/);
    expect(() => expandGrafanaSql('x = $nope', ctx)).toThrow(/no value/);
    expect(() => expandGrafanaSql('x = ${experiment:percentencode}', ctx)).toThrow(/not supported/);
  });

  it('reads and writes intervals and times like Grafana', () => {
    expect(parseInterval('1m')).toBe(60);
    expect(parseInterval("'100ms'")).toBe(0.1);
    expect(formatInterval(1000)).toBe('1s');
    expect(formatInterval(3_600_000)).toBe('1h');
    expect(formatInterval(250)).toBe('250ms');
    expect(rfc3339Nano(new Date('2026-01-31T10:00:00.120Z'))).toBe('2026-01-31T10:00:00.12Z');
  });
});

describe('the committed Grafana manifests', () => {
  it('are what scripts/grafana-dashboard.ts generates', () => {
    for (const [name, text] of Object.entries(generatedManifests())) {
      const file = path.join(REPO_ROOT, MANIFEST_DIR, name);
      expect({ file: name, text: fs.readFileSync(file, 'utf8') }).toEqual({ file: name, text });
    }
  });

  it('hold a dashboard JSON that reads only the provisioned data source and defines every variable it uses', () => {
    const docs = parseAllDocuments(fs.readFileSync(path.join(REPO_ROOT, MANIFEST_DIR, 'grafana-dashboard.yaml'), 'utf8')).map((d) => d.toJSON() as Row);
    const cm = docs.find((d) => d.kind === 'ConfigMap') as { metadata: { namespace: string; labels: Record<string, string> }; data: Record<string, string> };
    expect(cm.metadata.labels.grafana_dashboard).toBe('1');
    expect(cm.metadata.namespace).toBe('observability');
    const dash = JSON.parse(Object.values(cm.data)[0]) as { panels: Row[]; templating: { list: Array<{ name: string }> } };
    expect(dash).toEqual(grafanaDashboard());
    const defined = new Set(dash.templating.list.map((v) => v.name));
    for (const p of dash.panels) {
      expect((p.datasource as { uid: string }).uid).toBe(DATASOURCE_UID);
      for (const t of p.targets as Array<{ rawSql: string }>) {
        for (const m of t.rawSql.matchAll(/\$\{?([A-Za-z]\w*)/g)) expect({ panel: p.title, variable: m[1], defined: defined.has(m[1]) }).toEqual({ panel: p.title, variable: m[1], defined: true });
      }
    }
    const titles = PANELS.map((p) => p.title);
    expect(titles).toEqual(expect.arrayContaining(['P(best) over time', 'Traffic allocation', 'Reward rate', 'Events per second', 'Posterior of ${arm:text}']));
  });

  it('lay the panels out on Grafana’s 24-column grid without overlaps', () => {
    const boxes = PANELS.map((p) => ({ title: p.title, ...p.gridPos }));
    for (const b of boxes) {
      expect({ title: b.title, fits: b.x >= 0 && b.w > 0 && b.x + b.w <= 24 && b.h > 0 }).toEqual({ title: b.title, fits: true });
    }
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i];
        const b = boxes[j];
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect({ pair: [a.title, b.title], overlap }).toEqual({ pair: [a.title, b.title], overlap: false });
      }
    }
  });

  it('provision a Postgres data source whose password comes from the environment, never from the file', () => {
    const text = fs.readFileSync(path.join(REPO_ROOT, MANIFEST_DIR, 'grafana-datasource.yaml'), 'utf8');
    const cm = parseAllDocuments(text)
      .map((d) => d.toJSON() as Row)
      .find((d) => d.kind === 'ConfigMap') as { metadata: { labels: Record<string, string> }; data: Record<string, string> };
    expect(cm.metadata.labels.grafana_datasource).toBe('1');
    const prov = parseYaml(Object.values(cm.data)[0]) as { datasources: Array<Row & { secureJsonData: { password: string }; jsonData: Row }> };
    const source = prov.datasources[0];
    expect(source.uid).toBe(DATASOURCE_UID);
    expect(source.secureJsonData.password).toMatch(/^\$\{[A-Z_]+\}$/);
    // the variables it names are exactly the keys the ExternalSecret writes
    const es = parseYaml(fs.readFileSync(path.join(REPO_ROOT, MANIFEST_DIR, 'externalsecret.yaml'), 'utf8')) as { spec: { target: { template: { data: Record<string, string> } } } };
    const named = new Set([...Object.values(cm.data)[0].matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1]));
    expect([...named].sort()).toEqual(Object.keys(es.spec.target.template.data).sort());
  });
});

describeIf(() => hasPostgres())('every Grafana query against the real schema with data', () => {
  let db: TestDatabase;
  let svc: ServiceFixture;
  let client: Client;
  let sent: TrafficTotals;
  const id = 'grafana-check';
  const rates = [0.05, 0.2, 0.35];
  let started: Date;

  beforeAll(async () => {
    db = await createTestDatabase('bandit_dash');
    svc = await startService(db.url);
    started = new Date(Date.now() - 1000);
    const created = await svc.request('POST', '/experiments', { id, arms: ['control', 'treatment_a', 'treatment_b'], stopping: { minSamplesPerArm: 5 } });
    expect(created.status).toBe(201);
    const random = seeded(7);
    sent = { selects: 0, rewards: 0, perArm: rates.map(() => ({ selects: 0, rewards: 0 })) };
    for (let batch = 0; batch < 3; batch++) {
      const t = await sendTraffic(svc, id, 120, rates, random);
      sent.selects += t.selects;
      sent.rewards += t.rewards;
      t.perArm.forEach((a, k) => {
        sent.perArm[k].selects += a.selects;
        sent.perArm[k].rewards += a.rewards;
      });
      await waitForEvents(svc, id, sent.selects * 2);
      expect(await svc.experiments.snapshotAll()).toBeGreaterThanOrEqual(1);
      await new Promise((r) => setTimeout(r, 1100));
    }
    await svc.request('POST', `/experiments/${id}/conclude`);
    client = new Client({ connectionString: db.url });
    await client.connect();
  }, 120000);

  afterAll(async () => {
    await client?.end();
    await svc?.close();
    await db?.drop();
  });

  const run = async (sql: string, intervalMs = 1000, arm: string | string[] = '1'): Promise<Row[]> => {
    const ctx: MacroContext = { from: started, to: new Date(Date.now() + 60_000), intervalMs, variables: { experiment: id, arm } };
    return (await client.query(expandGrafanaSql(sql, ctx))).rows as Row[];
  };
  const query = (title: string) => {
    const p = PANELS.find((x) => x.title === title);
    if (!p) throw new Error(`no panel ${title}`);
    return p.queries[0].rawSql;
  };

  it.each(allQueries().map((q) => [q.where, q] as const))('%s runs and returns rows', async (_where, q) => {
    for (const intervalMs of [1000, 60_000]) {
      const rows = await run(q.rawSql, intervalMs);
      expect(rows.length).toBeGreaterThan(0);
      if (q.format === 'time_series') {
        for (const r of rows) {
          expect(Number.isFinite(Number(r.time))).toBe(true);
          const values = Object.entries(r).filter(([k]) => k !== 'time' && k !== 'metric');
          expect(values.length).toBeGreaterThan(0);
          for (const [, v] of values) expect(Number.isFinite(Number(v))).toBe(true);
        }
      }
    }
  });

  it('the variables list the experiment and its arms by name', async () => {
    const exp = await run(VARIABLES.find((v) => v.name === 'experiment')!.query);
    expect(exp.map((r) => r.__value)).toContain(id);
    const arms = await run(VARIABLES.find((v) => v.name === 'arm')!.query);
    expect(arms.map((r) => [Number(r.__value), r.__text])).toEqual([
      [0, 'control'],
      [1, 'treatment_a'],
      [2, 'treatment_b'],
    ]);
  });

  it('traffic shares sum to 1 in every interval, and P(best) sums to 1 across arms', async () => {
    const sums = (rows: Row[], field: string) => {
      const m = new Map<number, number>();
      for (const r of rows) m.set(Number(r.time), (m.get(Number(r.time)) ?? 0) + Number(r[field]));
      return [...m.values()];
    };
    for (const s of sums(await run(query('Traffic allocation')), 'share')) expect(s).toBeCloseTo(1, 9);
    // one snapshot per arm per interval at a 1 s grouping, written at once for all arms
    for (const s of sums(await run(query('P(best) over time')), 'prob_best')) expect(s).toBeCloseTo(1, 6);
  });

  it('counts agree with the traffic sent', async () => {
    const [selects] = await run(query('Selects in range'));
    expect(Number(selects.selects)).toBe(sent.selects);
    const [rate] = await run(query('Reward rate in range'));
    expect(Number(rate.reward_rate)).toBeCloseTo(sent.rewards / sent.selects, 12);
    // events per second × interval length, summed, is the number of events
    const eps = await run(query('Events per second'), 60_000);
    const total = eps.reduce((acc, r) => acc + Number(r.events_per_second) * 60, 0);
    expect(total).toBeCloseTo(sent.selects * 2, 6);
    // per arm, the reward-rate panel weighted by the arm's selects gives its rewards
    const byArm = new Map<string, number>();
    const share = await run(query('Reward rate'), 3_600_000);
    for (const r of share) byArm.set(String(r.metric), Number(r.reward_rate));
    ['control', 'treatment_a', 'treatment_b'].forEach((name, k) => {
      if (sent.perArm[k].selects > 0) expect(byArm.get(name)).toBeCloseTo(sent.perArm[k].rewards / sent.perArm[k].selects, 12);
    });
  });

  it('the latest-snapshot table and the leader stat show the API’s numbers', async () => {
    const view = (await svc.request<{ arms: Array<{ name: string; assignments: number; observations: number; probBest: number; mean: number }> }>('GET', `/experiments/${id}`)).body;
    expect(view.arms.length).toBe(3);
    const table = await run(query('Arms (latest snapshot)'));
    expect(table.map((r) => r.arm)).toEqual(view.arms.map((a) => a.name));
    for (const r of table) {
      const a = view.arms.find((x) => x.name === r.arm)!;
      expect(Number(r.served)).toBe(a.assignments);
      expect(Number(r.observed)).toBe(a.observations);
      expect(Number(r.mean)).toBeCloseTo(a.mean, 12);
    }
    const [leader] = await run(query('Leader P(best)'));
    const best = Math.max(...table.map((r) => Number(r['P(best)'])));
    expect(Number(leader.prob_best)).toBe(best);
    const verdicts = await run(query('Verdicts'));
    expect(verdicts.length).toBeGreaterThanOrEqual(1);
    // the reasons read as one line, the same sentences the API gives
    const api = (await svc.request<{ lastVerdict: { reasons: string[] } }>('GET', `/experiments/${id}`)).body.lastVerdict;
    expect(verdicts[0].reasons).toBe(api.reasons.join('; '));
  });

  it('the verdicts panel and annotations leave out the pipeline’s advice, as the API does', async () => {
    const before = await run(query('Verdicts'));
    const { rows } = await client.query(
      `INSERT INTO verdicts (experiment_id, status, trigger, winner_index, leader_index, prob_best, expected_loss, reasons, thresholds, total_samples, created_at)
       VALUES ($1, 'winner', 'pipeline', 2, 2, '[0,0,1]', '[0,0,0]', '["advice"]', '{}', 1, now()) RETURNING id`,
      [id],
    );
    try {
      const after = await run(query('Verdicts'));
      expect(after.length).toBe(before.length);
      expect(after.map((r) => r.trigger)).not.toContain('pipeline');
      const annotations = await run(allQueries().find((q) => q.where === 'annotation Verdicts')!.rawSql);
      expect(annotations.some((r) => String(r.text).includes('(pipeline)'))).toBe(false);
    } finally {
      await client.query('DELETE FROM verdicts WHERE id = $1', [rows[0].id]);
    }
  });
});
