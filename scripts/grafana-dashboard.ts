/**
 * The Grafana dashboard over the event store's Postgres tables (bandit_events,
 * posterior_snapshots, experiments, verdicts) and the Postgres data source it reads, as
 * the ConfigMaps Grafana's sidecar provisions (labels grafana_dashboard / grafana_datasource).
 *
 * The committed k8s/datasci/bandit/app/grafana/*.yaml are this module's output; a test
 * (test/medium/dashboard/grafana.test.ts) fails when they drift. Regenerate after a change:
 *     npm run gen:grafana
 *
 * Every query uses Grafana's SQL macros ($__timeFilter, $__timeGroupAlias, $__interval,
 * $__interval_ms) and the template variables `experiment` (one experiment id) and `arm`
 * (arm indices of that experiment; the per-arm posterior panel repeats over it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { projectRoot } from '../src/common/paths';

export const DATASOURCE_UID = 'bandit-postgres';
export const DATASOURCE_TYPE = 'grafana-postgresql-datasource';
export const DASHBOARD_UID = 'bandit-experiments';
export const GRAFANA_NAMESPACE = 'observability';
/** The Secret (made by the ExternalSecret beside the ConfigMaps) whose keys Grafana takes as env. */
export const GRAFANA_DB_SECRET = 'bandit-grafana-postgres';

const ds = { type: DATASOURCE_TYPE, uid: DATASOURCE_UID };
const EXP = '${experiment:sqlstring}';
/** Arm name from the experiment's stored definition (JSON), by index. */
/** The reasons of a verdict (a JSON array of sentences) as one line. */
const reasonsText = (col: string) => `(SELECT string_agg(r, '; ') FROM jsonb_array_elements_text(${col}::jsonb) AS r)`;
const armName = (defAlias: string, indexExpr: string) => `coalesce((${defAlias}.definition::jsonb -> 'arms') ->> ${indexExpr}, 'arm ' || ${indexExpr})`;

export interface PanelQuery {
  refId: string;
  format: 'time_series' | 'table';
  rawSql: string;
}

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

type Json = Record<string, unknown>;

interface PanelSpec {
  title: string;
  description: string;
  type: 'timeseries' | 'stat' | 'table';
  gridPos: GridPos;
  queries: PanelQuery[];
  fieldConfig?: Json;
  options?: Json;
  repeat?: string;
}

function sql(lines: TemplateStringsArray, ...values: string[]): string {
  const raw = lines.reduce((acc, l, i) => acc + l + (i < values.length ? values[i] : ''), '');
  const rows = raw.split('\n');
  const indent = Math.min(...rows.filter((r) => r.trim()).map((r) => r.length - r.trimStart().length));
  return rows
    .map((r) => r.slice(indent).trimEnd())
    .join('\n')
    .trim();
}

const percentAxis = { unit: 'percentunit', min: 0, max: 1 };
const lines = (extra: Json = {}): Json => ({ drawStyle: 'line', lineWidth: 2, fillOpacity: 0, showPoints: 'never', spanNulls: true, ...extra });

/** A time series of one posterior_snapshots column, one series per arm. */
function snapshotSeries(title: string, description: string, column: string, gridPos: GridPos, axis: Json): PanelSpec {
  return {
    title,
    description,
    type: 'timeseries',
    gridPos,
    queries: [
      {
        refId: 'A',
        format: 'time_series',
        rawSql: [
          `SELECT $__timeGroupAlias(created_at, $__interval), arm_name AS metric, avg(${column}) AS ${column}`,
          'FROM posterior_snapshots',
          `WHERE experiment_id = ${EXP} AND $__timeFilter(created_at)`,
          'GROUP BY 1, 2',
          'ORDER BY 1, 2',
        ].join('\n'),
      },
    ],
    fieldConfig: { defaults: { ...axis, custom: lines() } },
  };
}

/** The panels, top to bottom. */
export const PANELS: PanelSpec[] = [
  {
    title: 'Status',
    description: 'Status of the experiment and its declared winner, if any.',
    type: 'stat',
    gridPos: { x: 0, y: 0, w: 6, h: 4 },
    queries: [
      {
        refId: 'A',
        format: 'table',
        rawSql: sql`
          SELECT x.status || coalesce(' · winner ' || ${armName('x', 'x.winner_index')}, '') AS status
          FROM experiments x
          WHERE x.id = ${EXP}`,
      },
    ],
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '/^status$/', values: false }, textMode: 'value', colorMode: 'none', graphMode: 'none' },
  },
  {
    title: 'Selects in range',
    description: 'Decisions served in the selected time range.',
    type: 'stat',
    gridPos: { x: 6, y: 0, w: 6, h: 4 },
    queries: [
      {
        refId: 'A',
        format: 'table',
        rawSql: sql`
          SELECT count(*) AS selects
          FROM bandit_events
          WHERE experiment_id = ${EXP} AND event_type = 'select' AND $__timeFilter(created_at)`,
      },
    ],
    fieldConfig: { defaults: { unit: 'short', decimals: 0 } },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'none', graphMode: 'none' },
  },
  {
    title: 'Reward rate in range',
    description: 'Sum of rewards over assignments served in the range (an assignment not rewarded yet counts as 0).',
    type: 'stat',
    gridPos: { x: 12, y: 0, w: 6, h: 4 },
    queries: [
      {
        refId: 'A',
        format: 'table',
        rawSql: sql`
          SELECT coalesce(sum(r.reward), 0) / nullif(count(*), 0)::float8 AS reward_rate
          FROM bandit_events s
          LEFT JOIN bandit_events r ON r.decision_id = s.decision_id AND r.event_type = 'reward'
          WHERE s.experiment_id = ${EXP} AND s.event_type = 'select' AND $__timeFilter(s.created_at)`,
      },
    ],
    fieldConfig: { defaults: { unit: 'percentunit', decimals: 2 } },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'none', graphMode: 'none' },
  },
  {
    title: 'Leader P(best)',
    description: 'Probability that the leading arm is the best one, from the latest posterior snapshot.',
    type: 'stat',
    gridPos: { x: 18, y: 0, w: 6, h: 4 },
    queries: [
      {
        refId: 'A',
        format: 'table',
        rawSql: sql`
          SELECT arm_name AS leader, prob_best
          FROM posterior_snapshots
          WHERE experiment_id = ${EXP}
            AND created_at = (SELECT max(created_at) FROM posterior_snapshots WHERE experiment_id = ${EXP})
          ORDER BY prob_best DESC
          LIMIT 1`,
      },
    ],
    fieldConfig: { defaults: { unit: 'percentunit', decimals: 2, thresholds: { mode: 'absolute', steps: [{ color: 'text', value: null }, { color: 'green', value: 0.95 }] } } },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '/^prob_best$/', values: false }, textMode: 'value_and_name', colorMode: 'value', graphMode: 'none' },
  },
  snapshotSeries('P(best) over time', 'Posterior probability that each arm is the best one (posterior snapshots).', 'prob_best', { x: 0, y: 4, w: 12, h: 9 }, percentAxis),
  snapshotSeries(
    'Posterior mean',
    'Posterior mean reward rate of each arm (posterior snapshots); the panels below add each arm’s 95% credible interval.',
    'mean',
    { x: 12, y: 4, w: 12, h: 9 },
    { unit: 'percentunit', min: 0 },
  ),
  {
    title: 'Traffic allocation',
    description: 'Share of the selects served to each arm per interval.',
    type: 'timeseries',
    gridPos: { x: 0, y: 13, w: 12, h: 9 },
    queries: [
      {
        refId: 'A',
        format: 'time_series',
        rawSql: sql`
          SELECT "time", metric, n::float8 / sum(n) OVER (PARTITION BY "time") AS share
          FROM (
            SELECT $__timeGroupAlias(e.created_at, $__interval), ${armName('x', 'e.arm_index')} AS metric, count(*) AS n
            FROM bandit_events e
            JOIN experiments x ON x.id = e.experiment_id
            WHERE e.experiment_id = ${EXP} AND e.event_type = 'select' AND $__timeFilter(e.created_at)
            GROUP BY 1, 2
          ) per_arm
          ORDER BY 1, 2`,
      },
    ],
    fieldConfig: { defaults: { ...percentAxis, custom: lines({ fillOpacity: 70, lineWidth: 1, stacking: { mode: 'normal', group: 'A' } }) } },
    options: { tooltip: { mode: 'multi', sort: 'none' } },
  },
  {
    title: 'Reward rate',
    description: 'Rewards per select of each arm, by the time the assignment was served (recent assignments may not be rewarded yet).',
    type: 'timeseries',
    gridPos: { x: 12, y: 13, w: 12, h: 9 },
    queries: [
      {
        refId: 'A',
        format: 'time_series',
        rawSql: sql`
          SELECT $__timeGroupAlias(s.created_at, $__interval), ${armName('x', 's.arm_index')} AS metric, avg(coalesce(r.reward, 0)) AS reward_rate
          FROM bandit_events s
          JOIN experiments x ON x.id = s.experiment_id
          LEFT JOIN bandit_events r ON r.decision_id = s.decision_id AND r.event_type = 'reward'
          WHERE s.experiment_id = ${EXP} AND s.event_type = 'select' AND $__timeFilter(s.created_at)
          GROUP BY 1, 2
          ORDER BY 1, 2`,
      },
    ],
    fieldConfig: { defaults: { unit: 'percentunit', min: 0, custom: lines() } },
  },
  {
    title: 'Events per second',
    description: 'Select and reward events stored per second, averaged over each interval.',
    type: 'timeseries',
    gridPos: { x: 0, y: 22, w: 12, h: 8 },
    queries: [
      {
        refId: 'A',
        format: 'time_series',
        rawSql: sql`
          SELECT $__timeGroupAlias(created_at, $__interval), event_type AS metric, count(*) / ($__interval_ms / 1000.0) AS events_per_second
          FROM bandit_events
          WHERE experiment_id = ${EXP} AND $__timeFilter(created_at)
          GROUP BY 1, 2
          ORDER BY 1, 2`,
      },
    ],
    fieldConfig: { defaults: { unit: 'reqps', min: 0, custom: lines({ drawStyle: 'bars', fillOpacity: 60, lineWidth: 1 }) } },
  },
  {
    title: 'Verdicts',
    description: 'Every recorded verdict of the stopping rule and the numbers behind it (the service’s; the pipeline’s advice is left out, as in the API).',
    type: 'table',
    gridPos: { x: 12, y: 22, w: 12, h: 8 },
    queries: [
      {
        refId: 'A',
        format: 'table',
        rawSql: sql`
          SELECT d.created_at AS "time", d.status, d.trigger,
                 ${armName('x', 'd.winner_index')} AS winner, ${armName('x', 'd.leader_index')} AS leader,
                 d.total_samples AS observations, ${reasonsText('d.reasons')} AS reasons
          FROM verdicts d
          JOIN experiments x ON x.id = d.experiment_id
          WHERE d.experiment_id = ${EXP} AND d.trigger <> 'pipeline'
          ORDER BY d.id DESC
          LIMIT 50`,
      },
    ],
  },
  {
    title: 'Arms (latest snapshot)',
    description: 'The latest posterior snapshot of each arm.',
    type: 'table',
    gridPos: { x: 0, y: 30, w: 24, h: 7 },
    queries: [
      {
        refId: 'A',
        format: 'table',
        rawSql: sql`
          SELECT DISTINCT ON (arm_index) arm_index AS "#", arm_name AS arm, assignments AS served, observations AS observed, rewards, alpha, beta,
                 mean, ci_low AS "95% low", ci_high AS "95% high", prob_best AS "P(best)", expected_loss AS "expected loss",
                 created_at AS "as of"
          FROM posterior_snapshots
          WHERE experiment_id = ${EXP}
          ORDER BY arm_index, created_at DESC, id DESC`,
      },
    ],
    fieldConfig: {
      defaults: {},
      overrides: ['mean', '95% low', '95% high', 'P(best)', 'expected loss'].map((name) => ({
        matcher: { id: 'byName', options: name },
        properties: [
          { id: 'unit', value: 'percentunit' },
          { id: 'decimals', value: 3 },
        ],
      })),
    },
  },
  {
    title: 'Posterior of ${arm:text}',
    description: 'Posterior mean with its 95% credible interval (posterior snapshots); one panel per arm.',
    type: 'timeseries',
    gridPos: { x: 0, y: 37, w: 8, h: 8 },
    repeat: 'arm',
    queries: [
      {
        refId: 'A',
        format: 'time_series',
        rawSql: sql`
          SELECT $__timeGroupAlias(created_at, $__interval), avg(mean) AS "mean", avg(ci_low) AS "95% low", avg(ci_high) AS "95% high"
          FROM posterior_snapshots
          WHERE experiment_id = ${EXP} AND arm_index IN (\${arm:sqlstring}) AND $__timeFilter(created_at)
          GROUP BY 1
          ORDER BY 1`,
      },
    ],
    fieldConfig: {
      defaults: { unit: 'percentunit', min: 0, custom: lines() },
      overrides: [
        {
          matcher: { id: 'byName', options: '95% high' },
          properties: [
            { id: 'custom.fillBelowTo', value: '95% low' },
            { id: 'custom.fillOpacity', value: 20 },
            { id: 'custom.lineWidth', value: 0 },
            { id: 'color', value: { mode: 'fixed', fixedColor: 'blue' } },
          ],
        },
        {
          matcher: { id: 'byName', options: '95% low' },
          properties: [
            { id: 'custom.lineWidth', value: 0 },
            { id: 'color', value: { mode: 'fixed', fixedColor: 'blue' } },
          ],
        },
        { matcher: { id: 'byName', options: 'mean' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: 'blue' } }] },
      ],
    },
  },
];

/** The template variables and their queries. */
export const VARIABLES: Array<{ name: string; label: string; query: string; multi: boolean; includeAll: boolean }> = [
  {
    name: 'experiment',
    label: 'Experiment',
    query: sql`
      SELECT id AS __value, id || ' (' || status || ')' AS __text
      FROM experiments
      ORDER BY (status = 'running') DESC, created_at DESC`,
    multi: false,
    includeAll: false,
  },
  {
    name: 'arm',
    label: 'Arm',
    query: sql`
      SELECT (a.ord - 1)::int AS __value, a.name AS __text
      FROM experiments x, jsonb_array_elements_text(x.definition::jsonb -> 'arms') WITH ORDINALITY AS a(name, ord)
      WHERE x.id = ${EXP}
      ORDER BY a.ord`,
    multi: true,
    includeAll: true,
  },
];

/** The stopping rule's recorded verdicts as annotations on every time series (a marker where each was made; the service's only). */
export const VERDICT_ANNOTATIONS = {
  name: 'Verdicts',
  query: sql`
    SELECT extract(epoch from d.created_at) AS "time",
           d.status || ' (' || d.trigger || '): leader ' || ${armName('x', 'd.leader_index')} || ' · ' || ${reasonsText('d.reasons')} AS text,
           d.status AS tags
    FROM verdicts d
    JOIN experiments x ON x.id = d.experiment_id
    WHERE d.experiment_id = ${EXP} AND d.trigger <> 'pipeline' AND $__timeFilter(d.created_at)
    ORDER BY d.id`,
};

/** Every SQL text of the dashboard (panels, variables, annotations), with where it comes from. */
export function allQueries(): Array<{ where: string; format: PanelQuery['format'] | 'variable' | 'annotation'; rawSql: string }> {
  return [
    ...PANELS.flatMap((p) => p.queries.map((q) => ({ where: `panel "${p.title}" ${q.refId}`, format: q.format, rawSql: q.rawSql }))),
    ...VARIABLES.map((v) => ({ where: `variable ${v.name}`, format: 'variable' as const, rawSql: v.query })),
    { where: 'annotation Verdicts', format: 'annotation' as const, rawSql: VERDICT_ANNOTATIONS.query },
  ];
}

/** The dashboard JSON model. */
export function grafanaDashboard(): Json {
  return {
    uid: DASHBOARD_UID,
    title: 'Bayesian Bandit · experiments',
    description: 'Posteriors, traffic and rewards of the bandit experiments, from the event store (bandit_events, posterior_snapshots, verdicts).',
    tags: ['bandit', 'experiments'],
    timezone: 'browser',
    editable: false,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-24h', to: 'now' },
    links: [],
    annotations: {
      list: [
        {
          name: VERDICT_ANNOTATIONS.name,
          datasource: ds,
          enable: true,
          iconColor: 'purple',
          target: { refId: 'Anno', editorMode: 'code', rawQuery: true, format: 'table', rawSql: VERDICT_ANNOTATIONS.query },
        },
      ],
    },
    templating: {
      list: VARIABLES.map((v) => ({
        name: v.name,
        label: v.label,
        type: 'query',
        datasource: ds,
        query: v.query,
        definition: v.query,
        refresh: 2,
        sort: 0,
        multi: v.multi,
        includeAll: v.includeAll,
        current: {},
        options: [],
        hide: 0,
      })),
    },
    panels: PANELS.map((p, i) => ({
      id: i + 1,
      type: p.type,
      title: p.title,
      description: p.description,
      datasource: ds,
      gridPos: p.gridPos,
      ...(p.repeat ? { repeat: p.repeat, repeatDirection: 'h', maxPerRow: 3 } : {}),
      targets: p.queries.map((q) => ({ refId: q.refId, datasource: ds, editorMode: 'code', rawQuery: true, format: q.format, rawSql: q.rawSql })),
      fieldConfig: { defaults: {}, overrides: [], ...(p.fieldConfig ?? {}) },
      options: p.options ?? (p.type === 'timeseries' ? { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } } : {}),
    })),
  };
}

const HEADER = (what: string) =>
  [
    `# ${what}`,
    '# Generated by scripts/grafana-dashboard.ts — edit that file and regenerate:',
    '#   npm run gen:grafana',
    '',
  ].join('\n');

/** grafana-dashboard.yaml: the dashboard ConfigMap for Grafana's dashboard sidecar. */
export function dashboardManifest(): string {
  const cm = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'bandit-grafana-dashboard',
      namespace: GRAFANA_NAMESPACE,
      labels: { grafana_dashboard: '1', 'app.kubernetes.io/part-of': 'bayesian-bandit' },
      annotations: { grafana_folder: 'Bayesian Bandit' },
    },
    data: { 'bandit-experiments.json': `${JSON.stringify(grafanaDashboard(), null, 2)}\n` },
  };
  return HEADER('Grafana dashboard over the bandit event store (Postgres), picked up by the sidecar through its label.') + '---\n' + stringify(cm, { lineWidth: 0 });
}

/**
 * grafana-datasource.yaml: the Postgres data source for Grafana's datasource sidecar.
 * Host, user, database and password are Grafana env variables, filled from the Secret
 * GRAFANA_DB_SECRET (see externalsecret.yaml beside it) — never written here.
 */
export function datasourceManifest(): string {
  const provisioning = {
    apiVersion: 1,
    datasources: [
      {
        name: 'Bandit Postgres',
        uid: DATASOURCE_UID,
        type: DATASOURCE_TYPE,
        access: 'proxy',
        url: '${BANDIT_PG_HOST}:${BANDIT_PG_PORT}',
        user: '${BANDIT_PG_USER}',
        editable: false,
        jsonData: { database: '${BANDIT_PG_DATABASE}', sslmode: 'require', postgresVersion: 1500, timescaledb: false, maxOpenConns: 5, maxIdleConns: 2, connMaxLifetime: 14400 },
        secureJsonData: { password: '${BANDIT_PG_PASSWORD}' },
      },
    ],
  };
  const cm = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'bandit-grafana-datasource',
      namespace: GRAFANA_NAMESPACE,
      labels: { grafana_datasource: '1', 'app.kubernetes.io/part-of': 'bayesian-bandit' },
    },
    data: { 'bandit-postgres.yaml': stringify(provisioning, { lineWidth: 0 }) },
  };
  return (
    HEADER(
      `Postgres data source of the bandit dashboard. Grafana expands the \${BANDIT_PG_*} variables from its environment: give the Grafana container envFrom the Secret ${GRAFANA_DB_SECRET} (e.g. Helm values envFromSecrets: [{name: ${GRAFANA_DB_SECRET}}]).`,
    ) +
    '---\n' +
    stringify(cm, { lineWidth: 0 })
  );
}

export const MANIFEST_DIR = path.join('k8s', 'datasci', 'bandit', 'app', 'grafana');

/** The generated files by name. */
export function generatedManifests(): Record<string, string> {
  return { 'grafana-dashboard.yaml': dashboardManifest(), 'grafana-datasource.yaml': datasourceManifest() };
}

// run as a script (node scripts/run-ts.js scripts/grafana-dashboard.ts), not when a test imports it
if (process.argv[1] === __filename) {
  for (const [name, text] of Object.entries(generatedManifests())) {
    const file = path.join(projectRoot(), MANIFEST_DIR, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    process.stdout.write(`wrote ${path.relative(projectRoot(), file)}\n`);
  }
}
