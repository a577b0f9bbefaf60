/**
 * Conformance with a stock Dagster: the real `dagster-webserver` loads the code location served
 * by the built `bandit code-server` and runs the real pipeline on the OBD sample — with Postgres
 * storage (dagster-postgres, the newest line) and, for every supported Dagster line (1.12 and
 * 1.13, each from its pinned peer, the code server set to that line), under `dagster dev`
 * (webserver + daemon, SQLite): the location loads, the assets, checks, schedule, sensor and
 * partitions are listed, the schedule and the sensor evaluate through the code location, and
 * a whole run ends SUCCESS with its materializations and check evaluations.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { DAGSTER_ENTRY_POINT } from '../../../src/cli/code-server.command';
import type { DagsterLine } from '../../../src/dagster/protocol-version';
import { describeIf, hasBuiltCli } from '../../support/env';
import { obdShaped } from '../../support/obd';
import { hasPostgres, type TestDatabase } from '../../support/services';
import {
  assetChecks,
  ASSETS_QUERY,
  DAGSTER_E2E_LINES,
  hasDagster,
  launch,
  LOCATION,
  pipelineEnv,
  runLogs,
  startDevStack,
  startPostgresStack,
  waitRun,
  WORKSPACE_QUERY,
  type DevStack,
  type PostgresStack,
  type Proc,
  type RunView,
  type Webserver,
} from './harness';

const RUN_TIMEOUT = 120_000;
const IMAGE = 'ghcr.io/example/bandit-pipeline:e2e';
const CONTAINER_CONTEXT = { k8s: { namespace: 'datasci', env_config_maps: ['bandit-pipeline-env'] } };
/** Small bootstrap / simulation sizes keep the run short; the code path is the production one. */
const FAST = { ops: { ope: { config: { bootstrap: 50, n_sim: 2000 } } } };

/** OBD-shaped logs (test/support/obd.ts), set before the code servers start. */
let obdPath = '';

const codeServerEnv = (dataDir: string) => pipelineEnv(dataDir, { BANDIT_OBD_PATH: obdPath, DAGSTER_CONTAINER_CONTEXT: JSON.stringify(CONTAINER_CONTEXT), BANDIT_PIPELINE_IMAGE: IMAGE });

const labels = (m: RunView['assetMaterializations'][number]) => m.metadataEntries.map((e) => e.label);

/** The four assets materialized; ingest_obp (partitioned) once per slice of the logs: men / women × random / bts. */
function expectFourMaterializations(run: RunView) {
  expect([...new Set(run.assetMaterializations.map((m) => m.assetKey.path[0]))].sort()).toEqual(['conclude', 'ingest_obp', 'ope', 'replay']);
  for (const m of run.assetMaterializations) expect(m.metadataEntries.length).toBeGreaterThan(0);
  const ingests = run.assetMaterializations.filter((m) => m.assetKey.path[0] === 'ingest_obp');
  expect(ingests.map((m) => m.partition).sort()).toEqual(['men|bts', 'men|random', 'women|bts', 'women|random']);
  for (const ingest of ingests) {
    const rows = ingest.metadataEntries.find((e) => e.label === 'rows');
    expect(rows?.__typename).toBe('IntMetadataEntry');
    expect(rows?.intValue).toBeGreaterThan(0);
    expect(ingest.metadataEntries.find((e) => e.label === 'dagster/row_count')).toMatchObject({ __typename: 'IntMetadataEntry', intValue: rows?.intValue });
    expect(ingest.metadataEntries.find((e) => e.label === 'dagster/column_schema')?.__typename).toBe('TableSchemaMetadataEntry');
  }
  const ope = run.assetMaterializations.find((m) => m.assetKey.path[0] === 'ope')!;
  expect(ope.metadataEntries.some((e) => e.__typename === 'FloatMetadataEntry')).toBe(true);
  expect(labels(run.assetMaterializations.find((m) => m.assetKey.path[0] === 'conclude')!).length).toBeGreaterThan(0);
}

/** The UI lists each asset's checks, evaluated by run `runId` against its materialization (stored in asset_check_executions). */
async function expectChecksEvaluated(web: Webserver, runId: string) {
  const checks = Object.fromEntries(
    await Promise.all((['ingest_obp', 'replay', 'ope'] as const).map(async (a) => [a, await assetChecks(web, a)] as const)),
  );
  expect(Object.fromEntries(Object.entries(checks).map(([a, cs]) => [a, cs.map((c) => c.name)]))).toEqual({ ingest_obp: ['propensities_valid'], replay: ['matched_rows'], ope: ['estimators_agree'] });
  for (const [a, [c]] of Object.entries(checks)) {
    expect(c.description).toBeTruthy();
    expect({ asset: a, runId: c.executionForLatestMaterialization?.runId }).toEqual({ asset: a, runId });
    expect(['SUCCEEDED', 'FAILED']).toContain(c.executionForLatestMaterialization?.status);
    expect(c.executionForLatestMaterialization?.evaluation?.metadataEntries.length).toBeGreaterThan(0);
  }
  // the generated logs are valid and the replay matches rows: these two pass
  expect(checks.ingest_obp[0].executionForLatestMaterialization).toMatchObject({ status: 'SUCCEEDED', evaluation: { success: true } });
  expect(checks.replay[0].executionForLatestMaterialization).toMatchObject({ status: 'SUCCEEDED', evaluation: { success: true } });
}

type Entry = { name: string; loadStatus: string; locationOrLoadError: { __typename: string; message?: string } };

async function expectLoaded(web: Webserver) {
  const d = await web.gql<{ workspaceOrError: { locationEntries: Entry[] } }>(WORKSPACE_QUERY);
  const entry = d.workspaceOrError.locationEntries.find((e) => e.name === LOCATION);
  expect(entry?.locationOrLoadError).toEqual({ __typename: 'RepositoryLocation' });
  expect(entry?.loadStatus).toBe('LOADED');
}

const REPO = `repositoryLocationName: "${LOCATION}", repositoryName: "__repository__"`;
type Tick = { evaluationResult: { runRequests: Array<{ assetSelection: Array<{ path: string[] }> }> | null; skipReason: string | null; error: { message: string } | null } };

describeIf(() => hasBuiltCli())('stock Dagster runs the bandit-pipeline code location', () => {
  let dataDir: string;
  beforeAll(async () => {
    obdPath = await obdShaped();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-dagster-data-'));
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  describeIf(() => hasDagster() && hasPostgres())('with Postgres storage (dagster-postgres)', () => {
    let stack: PostgresStack | undefined;
    let db: TestDatabase | undefined;
    let code: Proc | undefined;
    let web: Webserver | undefined;
    beforeAll(async () => {
      stack = await startPostgresStack('bandit_dagster', codeServerEnv(dataDir));
      ({ db, code, web } = stack);
    }, 120_000);
    afterAll(async () => {
      await stack?.stop();
    }, 60_000);

    it('loads the location without error', async () => {
      await expectLoaded(web!);
    });

    it('lists the four assets with their dependencies, group and job', async () => {
      const d = await web!.gql<{ repositoryOrError: { assetNodes: Array<{ assetKey: { path: string[] }; dependencyKeys: Array<{ path: string[] }>; groupName: string; jobNames: string[] }> } }>(ASSETS_QUERY);
      const nodes = Object.fromEntries(d.repositoryOrError.assetNodes.map((n) => [n.assetKey.path[0], n]));
      expect(Object.keys(nodes).sort()).toEqual(['conclude', 'ingest_obp', 'ope', 'replay']);
      const deps = (k: string) => nodes[k].dependencyKeys.map((x) => x.path[0]).sort();
      expect(deps('ingest_obp')).toEqual([]);
      expect(deps('replay')).toEqual(['ingest_obp']);
      expect(deps('ope')).toEqual(['ingest_obp', 'replay']);
      expect(deps('conclude')).toEqual(['ope', 'replay']);
      for (const n of Object.values(nodes)) {
        expect(n.groupName).toBe('bandit');
        expect(n.jobNames).toEqual(['__ASSET_JOB']);
      }
      // code versions, owners, kinds and tags in Dagster's vocabulary
      const v = await web!.gql<{ assetNodes: Array<{ assetKey: { path: string[] }; opVersion: string | null; owners: Array<{ team?: string }>; kinds: string[]; tags: Array<{ key: string; value: string }> }> }>(
        '{ assetNodes { assetKey { path } opVersion owners { ... on TeamAssetOwner { team } } kinds tags { key value } } }',
      );
      const ingest = v.assetNodes.find((n) => n.assetKey.path[0] === 'ingest_obp')!;
      expect(ingest.opVersion).toBe('1');
      expect(ingest.owners).toEqual([{ team: 'bandit' }]);
      expect([...ingest.kinds].sort()).toEqual(['duckdb', 'parquet']);
      expect(ingest.tags).toEqual(expect.arrayContaining([{ key: 'layer', value: 'silver' }]));
    });

    it('runs the whole __ASSET_JOB to SUCCESS with four materializations carrying metadata and the asset checks evaluated', async () => {
      const listener = new Client({ connectionString: db!.url });
      await listener.connect();
      const notified: string[] = [];
      listener.on('notification', (n) => notified.push(n.payload ?? ''));
      await listener.query('LISTEN run_events');
      const runId = await launch(web!, null, FAST);
      const run = await waitRun(web!, runId, RUN_TIMEOUT);
      await listener.end();
      if (run.status !== 'SUCCESS') throw new Error(`run ${run.status}: ${JSON.stringify(await runLogs(web!, runId), null, 1)}\n${code!.output()}`);
      expectFourMaterializations(run);
      await expectChecksEvaluated(web!, runId);
      // every stored event is announced as <run_id>_<event id>, as dagster-postgres does
      const ours = notified.filter((p) => p.startsWith(`${runId}_`));
      expect(ours.length).toBeGreaterThanOrEqual(4 * 4 + 2);
      const logs = await runLogs(web!, runId);
      const types = logs.map((e) => e.__typename);
      expect(types).toContain('RunStartEvent');
      expect(types.filter((t) => t === 'ExecutionStepSuccessEvent')).toHaveLength(4);
      expect(types.at(-1)).toBe('RunSuccessEvent');
      expect(logs.some((e) => e.__typename === 'LogMessageEvent' && e.stepKey === 'ingest_obp')).toBe(true);
      // the ingest's data version (from the silver manifests' input hashes) and the code version
      const tags = await web!.gql<{ assetOrError: { assetMaterializations: Array<{ runId: string; tags: Array<{ key: string; value: string }> }> } }>(
        '{ assetOrError(assetKey: {path: ["ingest_obp"]}) { ... on Asset { assetMaterializations { runId tags { key value } } } } }',
      );
      const mine = tags.assetOrError.assetMaterializations.find((m) => m.runId === runId)!;
      expect(mine.tags).toEqual(expect.arrayContaining([{ key: 'dagster/code_version', value: '1' }, { key: 'dagster/data_version', value: expect.stringMatching(/^[0-9a-f]{16}$/) }]));
      // the host built the run's code origin (what run launchers use) from ListRepositories
      const c = new Client({ connectionString: db!.url });
      await c.connect();
      try {
        const row = await c.query<{ run_body: string }>('SELECT run_body FROM runs WHERE run_id = $1', [runId]);
        const origin = (JSON.parse(row.rows[0].run_body) as { pipeline_code_origin: { repository_origin: Record<string, unknown> } }).pipeline_code_origin.repository_origin;
        expect(origin).toMatchObject({ container_context: CONTAINER_CONTEXT, container_image: IMAGE, entry_point: DAGSTER_ENTRY_POINT });
      } finally {
        await c.end();
      }
    }, RUN_TIMEOUT + 10_000);

    it('records data versions and provenance downstream: replay again on the same data leaves ope and conclude fresh', async () => {
      type Node = { assetKey: { path: string[] }; staleStatus: string; staleCauses: Array<{ reason: string }> };
      const stale = async () =>
        Object.fromEntries(
          (await web!.gql<{ assetNodes: Node[] }>('{ assetNodes { assetKey { path } staleStatus staleCauses { reason } } }')).assetNodes.map((n) => [n.assetKey.path[0], [n.staleStatus, n.staleCauses.map((c) => c.reason)]]),
        );
      const versions = async (asset: string) =>
        (
          await web!.gql<{ assetOrError: { assetMaterializations: Array<{ runId: string; tags: Array<{ key: string; value: string }> }> } }>(
            `{ assetOrError(assetKey: {path: ["${asset}"]}) { ... on Asset { assetMaterializations(limit: 1) { runId tags { key value } } } } }`,
          )
        ).assetOrError.assetMaterializations[0];
      const before = await versions('replay');
      const tag = (m: { tags: Array<{ key: string; value: string }> }, k: string) => m.tags.find((t) => t.key === k)?.value;
      expect(tag(before, 'dagster/input_data_version/ingest_obp')).toMatch(/^[0-9a-f]{16}$/);
      expect(tag(before, 'dagster/input_event_pointer/ingest_obp')).toMatch(/^\d+$/);
      expect(tag(await versions('ope'), 'dagster/input_data_version/replay')).toBe(tag(before, 'dagster/data_version'));
      expect((await stale()).ope).toEqual(['FRESH', []]);
      // replay again: newer than ope, but the same code on the same data gives the same data version
      const runId = await launch(web!, ['replay']);
      expect((await waitRun(web!, runId, RUN_TIMEOUT)).status).toBe('SUCCESS');
      const after = await versions('replay');
      expect(after.runId).toBe(runId);
      expect(tag(after, 'dagster/data_version')).toBe(tag(before, 'dagster/data_version'));
      const now = await stale();
      expect({ ope: now.ope, conclude: now.conclude }).toEqual({ ope: ['FRESH', []], conclude: ['FRESH', []] });
    }, RUN_TIMEOUT + 10_000);

    it('runs the subset ope + conclude to SUCCESS', async () => {
      const runId = await launch(web!, ['ope', 'conclude'], FAST);
      const run = await waitRun(web!, runId, RUN_TIMEOUT);
      if (run.status !== 'SUCCESS') throw new Error(`run ${run.status}: ${JSON.stringify(await runLogs(web!, runId), null, 1)}`);
      expect(run.assetMaterializations.map((m) => m.assetKey.path[0]).sort()).toEqual(['conclude', 'ope']);
      const steps = (await runLogs(web!, runId)).filter((e) => e.__typename === 'ExecutionStepStartEvent').map((e) => e.stepKey);
      expect(steps).toEqual(['ope', 'conclude']);
    }, RUN_TIMEOUT + 10_000);

    it('ends a run made to fail (missing OBD folder) as FAILURE with the error in logsForRun', async () => {
      const missing = path.join(dataDir, 'no-such-obd-folder');
      const runId = await launch(web!, null, { ops: { ingest_obp: { config: { obd_path: missing } } } });
      const run = await waitRun(web!, runId, RUN_TIMEOUT);
      expect(run.status).toBe('FAILURE');
      const logs = await runLogs(web!, runId);
      const stepFailure = logs.find((e) => e.__typename === 'ExecutionStepFailureEvent');
      expect(stepFailure?.stepKey).toBe('ingest_obp');
      expect(stepFailure?.error?.message).toContain('no-such-obd-folder');
      const runFailure = logs.find((e) => e.__typename === 'RunFailureEvent');
      expect(runFailure?.error?.message).toContain('no-such-obd-folder');
      expect(logs.filter((e) => e.__typename === 'ExecutionStepStartEvent').map((e) => e.stepKey)).toEqual(['ingest_obp']);
    }, RUN_TIMEOUT + 10_000);
  });

  describe.each(DAGSTER_E2E_LINES)('Dagster %s, under `dagster dev` (webserver + daemon, queued runs, SQLite)', (line: DagsterLine) => {
    describeIf(() => hasDagster(line))(`the code server set to ${line}`, () => {
      let stack: DevStack | undefined;
      let code: Proc | undefined;
      let web: Webserver | undefined;
      beforeAll(async () => {
        stack = await startDevStack('bandit-dagster-dev-', { BANDIT_OBD_PATH: obdPath, DAGSTER_CONTAINER_CONTEXT: JSON.stringify(CONTAINER_CONTEXT), BANDIT_PIPELINE_IMAGE: IMAGE }, line);
        ({ code, web } = stack);
      }, 120_000);
      afterAll(async () => {
        await stack?.stop();
      }, 60_000);

      it('loads the location, lists the assets, checks, schedule, sensor and partitions, and the code server logs no version complaint', async () => {
        await expectLoaded(web!);
        const v = await web!.gql<{ version: string }>('{ version }');
        expect(v.version.split('.').slice(0, 2).join('.')).toBe(line);
        const d = await web!.gql<{ repositoryOrError: { assetNodes: Array<{ assetKey: { path: string[] }; dependencyKeys: Array<{ path: string[] }> }>; schedules: Array<{ name: string }>; sensors: Array<{ name: string }> } }>(
          `{ repositoryOrError(repositorySelector: {${REPO}}) { ... on Repository { assetNodes { assetKey { path } dependencyKeys { path } } schedules { name } sensors { name } } } }`,
        );
        const deps = Object.fromEntries(d.repositoryOrError.assetNodes.map((n) => [n.assetKey.path[0], n.dependencyKeys.map((k) => k.path[0]).sort()]));
        expect(deps).toEqual({ ingest_obp: [], replay: ['ingest_obp'], ope: ['ingest_obp', 'replay'], conclude: ['ope', 'replay'] });
        expect(d.repositoryOrError.schedules.map((x) => x.name)).toEqual(['daily_ope_conclude']);
        expect(d.repositoryOrError.sensors.map((x) => x.name)).toEqual(['obp_logs_sensor']);
        expect((await assetChecks(web!, 'replay')).map((c) => c.name)).toEqual(['matched_rows']);
        // the downstream side of the graph, which 1.12 and 1.13 serialize differently
        const down = await web!.gql<{ assetNodeOrError: { dependedByKeys: Array<{ path: string[] }> } }>('{ assetNodeOrError(assetKey: {path: ["ingest_obp"]}) { ... on AssetNode { dependedByKeys { path } } } }');
        expect(down.assetNodeOrError.dependedByKeys.map((k) => k.path[0]).sort()).toEqual(['ope', 'replay']);
        // partitions: the asset's keys, and the partition set's names and tags (ExternalPartitionNames / Tags)
        const a = await web!.gql<{ assetNodeOrError: { partitionKeys: string[] } }>('{ assetNodeOrError(assetKey: {path: ["ingest_obp"]}) { ... on AssetNode { partitionKeys } } }');
        expect(a.assetNodeOrError.partitionKeys).toEqual(['all|random', 'all|bts', 'men|random', 'men|bts', 'women|random', 'women|bts']);
        const p = await web!.gql<{ partitionSetOrError: { partitionsOrError: { results: Array<{ name: string; tagsOrError: { results: Array<{ key: string; value: string }> } }> } } }>(
          `{ partitionSetOrError(repositorySelector: {${REPO}}, partitionSetName: "__ASSET_JOB_partition_set") { ... on PartitionSet {
            partitionsOrError(limit: 1) { ... on Partitions { results { name tagsOrError { ... on PartitionTags { results { key value } } } } } } } } }`,
        );
        expect(p.partitionSetOrError.partitionsOrError.results[0].name).toBe('all|random');
        expect(p.partitionSetOrError.partitionsOrError.results[0].tagsOrError.results).toEqual(expect.arrayContaining([{ key: 'dagster/partition', value: 'all|random' }]));
        expect(code!.output()).not.toMatch(/unsupported Dagster version|Dagster version mismatch/);
      });

      it('evaluates the schedule and the sensor through the code location (dry runs)', async () => {
        const sched = await web!.gql<{ scheduleDryRun: Tick }>(
          `mutation { scheduleDryRun(selectorData: {${REPO}, scheduleName: "daily_ope_conclude"}, timestamp: 1795900000) { ... on DryRunInstigationTick { evaluationResult { runRequests { assetSelection { path } } skipReason error { message } } } } }`,
        );
        expect(sched.scheduleDryRun.evaluationResult.error).toBeNull();
        expect(sched.scheduleDryRun.evaluationResult.runRequests?.map((r) => r.assetSelection.map((k) => k.path[0]).sort())).toEqual([['conclude', 'ope']]);
        const sensor = await web!.gql<{ sensorDryRun: Tick }>(
          `mutation { sensorDryRun(selectorData: {${REPO}, sensorName: "obp_logs_sensor"}, cursor: null) { ... on DryRunInstigationTick { evaluationResult { runRequests { assetSelection { path } } skipReason error { message } } } } }`,
        );
        expect(sensor.sensorDryRun.evaluationResult.error).toBeNull();
        expect(sensor.sensorDryRun.evaluationResult.runRequests?.map((r) => r.assetSelection.map((k) => k.path[0]))).toEqual([['ingest_obp']]);
      });

      it('runs the whole __ASSET_JOB to SUCCESS with four materializations carrying metadata and the asset checks evaluated', async () => {
        const runId = await launch(web!, null, FAST);
        const run = await waitRun(web!, runId, RUN_TIMEOUT);
        if (run.status !== 'SUCCESS') throw new Error(`run ${run.status}: ${JSON.stringify(await runLogs(web!, runId), null, 1)}\n${code!.output()}`);
        expectFourMaterializations(run);
        await expectChecksEvaluated(web!, runId);
        const assets = await web!.gql<{ assetsOrError: { nodes: Array<{ key: { path: string[] } }> } }>('{ assetsOrError { ... on AssetConnection { nodes { key { path } } } } }');
        expect(assets.assetsOrError.nodes.map((n) => n.key.path[0]).sort()).toEqual(['conclude', 'ingest_obp', 'ope', 'replay']);
      }, RUN_TIMEOUT + 10_000);
    });
  });
});
