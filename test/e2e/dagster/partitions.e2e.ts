/**
 * Static partitions through a stock Dagster: `dagster dev` (webserver + daemon, SQLite, queued
 * runs) against the built `bandit code-server` on OBD-shaped logs (campaigns men and women,
 * policies random and bts). `ingest_obp` is partitioned by campaign × policy: the UI lists its
 * six keys and the asset job's partition set (the partition-set RPCs answer), a run launched for
 * one partition ingests that slice only and records one materialization for it, an unknown
 * partition fails the run naming the valid keys, and backfills of two partitions — from the asset
 * (asset backfill) and from the job's partition set — end COMPLETED_SUCCESS through the daemon.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeIf, hasBuiltCli, hasPeer } from '../../support/env';
import { obdShaped } from '../../support/obd';
import { assetChecks, LOCATION, partitionReads, runLogs, startDevStack, waitFor, waitRun, type DevStack, type Proc, type Webserver } from './harness';

const DAEMON_TIMEOUT = 300_000;
const REPO = { repositoryLocationName: LOCATION, repositoryName: '__repository__' };
const KEYS = ['all|random', 'all|bts', 'men|random', 'men|bts', 'women|random', 'women|bts'];

interface Mat {
  partition: string | null;
  runId: string;
  metadataEntries: Array<{ label: string; intValue?: number }>;
}

async function materializations(web: Webserver): Promise<Mat[]> {
  const d = await web.gql<{ assetOrError: { assetMaterializations: Mat[] } }>(
    '{ assetOrError(assetKey: {path: ["ingest_obp"]}) { ... on Asset { assetMaterializations { partition runId metadataEntries { label ... on IntMetadataEntry { intValue } } } } } }',
  );
  return d.assetOrError.assetMaterializations;
}

async function materializationTags(web: Webserver, runId: string): Promise<Record<string, string>> {
  const d = await web.gql<{ assetOrError: { assetMaterializations: Array<{ runId: string; tags: Array<{ key: string; value: string }> }> } }>(
    '{ assetOrError(assetKey: {path: ["ingest_obp"]}) { ... on Asset { assetMaterializations { runId tags { key value } } } } }',
  );
  const m = d.assetOrError.assetMaterializations.find((x) => x.runId === runId);
  return Object.fromEntries((m?.tags ?? []).map((t) => [t.key, t.value]));
}

async function launchPartition(web: Webserver, partition: string): Promise<string> {
  const d = await web.gql<{ launchRun: { __typename: string; run?: { runId: string } } }>(
    `mutation($tags: [ExecutionTag!]) { launchRun(executionParams: {selector: {repositoryLocationName: "${LOCATION}", repositoryName: "__repository__", jobName: "__ASSET_JOB",
      assetSelection: [{path: ["ingest_obp"]}]}, executionMetadata: {tags: $tags}}) { __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }`,
    { tags: [{ key: 'dagster/partition', value: partition }] },
  );
  if (!d.launchRun.run) throw new Error(`launchRun: ${JSON.stringify(d.launchRun)}`);
  return d.launchRun.run.runId;
}

async function backfill(web: Webserver, params: Record<string, unknown>): Promise<{ status: string; runs: string[] }> {
  const d = await web.gql<{ launchPartitionBackfill: { __typename: string; backfillId?: string; message?: string } }>(
    'mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) { __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }',
    { p: params },
  );
  const id = d.launchPartitionBackfill.backfillId;
  if (!id) throw new Error(`launchPartitionBackfill: ${JSON.stringify(d.launchPartitionBackfill)}`);
  return waitFor(
    `backfill ${id}`,
    async () => {
      const b = await web.gql<{ partitionBackfillOrError: { status: string; runs: Array<{ runId: string; status: string }> } }>(
        'query($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status runs(limit: 10) { runId status } } } }',
        { id },
      );
      const s = b.partitionBackfillOrError.status;
      return ['REQUESTED', 'CANCELING', 'FAILING'].includes(s) ? undefined : { status: s, runs: b.partitionBackfillOrError.runs.map((r) => `${r.runId}:${r.status}`) };
    },
    DAEMON_TIMEOUT,
    2000,
  );
}

describeIf(() => hasPeer('dagster') && hasBuiltCli())('static partitions of ingest_obp through a stock Dagster (dagster dev, SQLite)', () => {
  let stack: DevStack | undefined;
  let dataDir = '';
  let code: Proc | undefined;
  let web: Webserver | undefined;
  beforeAll(async () => {
    stack = await startDevStack('bandit-dagster-parts-', { BANDIT_OBD_PATH: await obdShaped() });
    ({ dataDir, code, web } = stack);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('lists ingest_obp as partitioned by campaign × policy, and the asset job\'s partition set with its six keys', async () => {
    const a = await web!.gql<{ assetNodeOrError: { isPartitioned: boolean; partitionKeys: string[]; partitionDefinition: { type: string; dimensionTypes: Array<{ name: string }> } } }>(
      '{ assetNodeOrError(assetKey: {path: ["ingest_obp"]}) { ... on AssetNode { isPartitioned partitionKeys partitionDefinition { type dimensionTypes { name } } } } }',
    );
    expect(a.assetNodeOrError).toEqual({ isPartitioned: true, partitionKeys: KEYS, partitionDefinition: { type: 'MULTIPARTITIONED', dimensionTypes: [{ name: 'campaign' }, { name: 'policy' }] } });
    const r = await web!.gql<{ assetNodeOrError: { isPartitioned: boolean } }>('{ assetNodeOrError(assetKey: {path: ["replay"]}) { ... on AssetNode { isPartitioned } } }');
    expect(r.assetNodeOrError.isPartitioned).toBe(false);
    // the partition set's names and one partition's tags come from the code server (ExternalPartitionNames / Tags)
    const p = await web!.gql<{ partitionSetOrError: { name: string; partitionsOrError: { results: Array<{ name: string; tagsOrError: { results: Array<{ key: string; value: string }> } }> } } }>(
      `query($repo: RepositorySelector!) { partitionSetOrError(repositorySelector: $repo, partitionSetName: "__ASSET_JOB_partition_set") { ... on PartitionSet { name
        partitionsOrError(limit: 2) { ... on Partitions { results { name tagsOrError { ... on PartitionTags { results { key value } } } } } } } ... on PythonError { message } } }`,
      { repo: REPO },
    );
    expect(p.partitionSetOrError.partitionsOrError.results.map((x) => x.name)).toEqual(KEYS.slice(0, 2));
    expect(p.partitionSetOrError.partitionsOrError.results[0].tagsOrError.results).toEqual(
      expect.arrayContaining([{ key: 'dagster/partition', value: 'all|random' }, { key: 'dagster/partition/campaign', value: 'all' }, { key: 'dagster/partition/policy', value: 'random' }]),
    );
  });

  it('a run for one partition ingests that slice only and records its materialization', async () => {
    const runId = await launchPartition(web!, 'men|random');
    const run = await waitRun(web!, runId, DAEMON_TIMEOUT);
    if (run.status !== 'SUCCESS') throw new Error(`run ${run.status}: ${JSON.stringify(await runLogs(web!, runId))}\n${code!.output()}`);
    const mats = (await materializations(web!)).filter((m) => m.runId === runId);
    expect(mats.map((m) => m.partition)).toEqual(['men|random']);
    expect(mats[0].metadataEntries.find((e) => e.label === 'rows')?.intValue).toBeGreaterThan(0);
    // only random/men reached the silver layer
    const silver = (fs.readdirSync(dataDir, { recursive: true }) as string[]).map((f) => path.join(dataDir, f)).find((f) => f.endsWith(path.join('silver', 'obp')))!;
    expect(fs.readdirSync(path.join(silver, 'random'))).toEqual(['men']);
    expect(fs.existsSync(path.join(silver, 'bts'))).toBe(false);
    const logs = await runLogs(web!, runId);
    expect(logs.some((e) => e.stepKey === 'ingest_obp' && /women/.test(e.message ?? ''))).toBe(false);
    // the propensity check ran on that slice
    const [check] = await assetChecks(web!, 'ingest_obp');
    expect(check).toMatchObject({ name: 'propensities_valid', executionForLatestMaterialization: { runId, status: 'SUCCEEDED', evaluation: { success: true } } });
    expect(check.executionForLatestMaterialization?.evaluation?.metadataEntries.map((e) => e.label).sort()).toEqual(['random/men.not_one_over_items', 'random/men.propensity_max', 'random/men.propensity_min']);
    // Dagster's partition reads that join asset_event_tags see that materialization: its data
    // version (the one on the event) and its dimensions
    const dataVersion = (await materializationTags(web!, runId))['dagster/data_version'];
    expect(dataVersion).toMatch(/^[0-9a-f]{16,}$/);
    const reads = partitionReads(web!);
    expect(reads.tagsByPartition).toEqual({ 'men|random': { 'dagster/data_version': dataVersion, 'dagster/partition/campaign': 'men', 'dagster/partition/policy': 'random' } });
    expect(reads.materializedFromTags).toEqual(['men|random']);
    expect(reads.updatedDataVersions).toEqual(['men|random']);
  }, DAEMON_TIMEOUT + 10_000);

  it('the ingest check runs on its own for a partition: a check-only run evaluates the stored slice, materializing nothing', async () => {
    const [listed] = await web!.gql<{ assetNodeOrError: { assetChecksOrError: { checks: Array<{ name: string; canExecuteIndividually: string }> } } }>(
      '{ assetNodeOrError(assetKey: {path: ["ingest_obp"]}) { ... on AssetNode { assetChecksOrError { ... on AssetChecks { checks { name canExecuteIndividually } } } } } }',
    ).then((d) => d.assetNodeOrError.assetChecksOrError.checks);
    expect(listed).toEqual({ name: 'propensities_valid', canExecuteIndividually: 'CAN_EXECUTE' });
    const before = await materializations(web!);
    const target = before.find((m) => m.partition === 'men|random')!;
    const d = await web!.gql<{ launchRun: { __typename: string; run?: { runId: string }; message?: string } }>(
      `mutation($tags: [ExecutionTag!]) { launchRun(executionParams: {selector: {repositoryLocationName: "${LOCATION}", repositoryName: "__repository__", jobName: "__ASSET_JOB",
        assetSelection: [], assetCheckSelection: [{assetKey: {path: ["ingest_obp"]}, name: "propensities_valid"}]}, executionMetadata: {tags: $tags}}) {
        __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }`,
      { tags: [{ key: 'dagster/partition', value: 'men|random' }] },
    );
    const runId = d.launchRun.run?.runId;
    if (!runId) throw new Error(`launchRun: ${JSON.stringify(d.launchRun)}`);
    const run = await waitRun(web!, runId, DAEMON_TIMEOUT);
    if (run.status !== 'SUCCESS') throw new Error(`run ${run.status}: ${JSON.stringify(await runLogs(web!, runId))}\n${code!.output()}`);
    // the plan had the check's step only, and nothing was materialized
    const logs = await runLogs(web!, runId);
    expect([...new Set(logs.filter((e) => e.stepKey).map((e) => e.stepKey))]).toEqual(['ingest_obp']);
    expect(logs.some((e) => e.__typename === 'MaterializationEvent')).toBe(false);
    expect((await materializations(web!)).length).toBe(before.length);
    // the evaluation is listed with its partition, judging the partition run's materialization
    const x = await web!.gql<{ assetCheckExecutions: Array<{ runId: string; status: string; partition: string | null; evaluation: { partition: string | null; success: boolean; targetMaterialization: { runId: string } | null } | null }> }>(
      `{ assetCheckExecutions(assetKey: {path: ["ingest_obp"]}, checkName: "propensities_valid", limit: 10) { runId status partition
        evaluation { partition success targetMaterialization { runId } } } }`,
    );
    const mine = x.assetCheckExecutions.filter((e) => e.runId === runId);
    expect(mine).toEqual([{ runId, status: 'SUCCEEDED', partition: 'men|random', evaluation: { partition: 'men|random', success: true, targetMaterialization: { runId: target.runId } } }]);
  }, DAEMON_TIMEOUT + 10_000);

  it('a partition the logs do not hold fails its run with a clear error', async () => {
    const runId = await launchPartition(web!, 'all|bts');
    const run = await waitRun(web!, runId, DAEMON_TIMEOUT);
    expect(run.status).toBe('FAILURE');
    const logs = await runLogs(web!, runId);
    expect(logs.find((e) => e.__typename === 'ExecutionStepFailureEvent')?.error?.message).toMatch(/no OBD logs under .* for bts\/all \(expected bts\/all\/all\.csv\)/);
  }, DAEMON_TIMEOUT + 10_000);

  it('an asset backfill of two partitions ends COMPLETED_SUCCESS, one run per partition', async () => {
    const b = await backfill(web!, { partitionNames: ['men|bts', 'women|bts'], assetSelection: [{ path: ['ingest_obp'] }] });
    expect(b.status).toBe('COMPLETED_SUCCESS');
    expect(b.runs).toHaveLength(2);
    for (const r of b.runs) expect(r).toMatch(/:SUCCESS$/);
    const parts = new Set((await materializations(web!)).map((m) => m.partition));
    for (const k of ['men|random', 'men|bts', 'women|bts']) expect(parts).toContain(k);
    expect(parts).not.toContain('women|random');
  }, DAEMON_TIMEOUT + 10_000);

  it('a backfill of the job\'s partition set (ExternalPartitionSetExecutionParams) ends COMPLETED_SUCCESS', async () => {
    const b = await backfill(web!, { selector: { partitionSetName: '__ASSET_JOB_partition_set', repositorySelector: REPO }, partitionNames: ['women|random', 'men|random'], assetSelection: [{ path: ['ingest_obp'] }] });
    expect(b.status).toBe('COMPLETED_SUCCESS');
    expect(b.runs).toHaveLength(2);
    const parts = new Set((await materializations(web!)).map((m) => m.partition));
    expect(parts).toContain('women|random');
  }, DAEMON_TIMEOUT + 10_000);
});
