/**
 * Run lifecycle against the real Dagster webserver with the code server started in-process
 * and a controllable pipeline injected (the protocol and storage writes are under test here,
 * not the assets): success with every metadata type, subsets, a failing step with its cause,
 * termination through CancelExecution, and a worker crash that must not leave a run STARTING.
 */
import { BanditError, ErrorCode } from '../../../src/common/errors';
import { startCodeServer, type CodeServerHandle } from '../../../src/dagster/code-server';
import { RunManager } from '../../../src/dagster/run-launcher';
import type { PipelineFactory } from '../../../src/dagster/run-worker';
import { describeIf, hasPeer } from '../../support/env';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../../support/services';
import { LAUNCH, launch, runLogs, startWebserver, waitRun, type Webserver } from './harness';

const calls: string[] = [];
/** The options each step received, by step. */
const optionsSeen = new Map<string, Record<string, unknown>>();
/** The stub's behaviors are picked through a typed config key every asset has: `campaigns`. */
const wants = (options: Record<string, unknown>, what: string) => Array.isArray(options.campaigns) && options.campaigns.includes(what);
/** Steps that fail on their next call only. */
const failOnce = new Set<string>();
const stubPipeline: PipelineFactory = async () => ({
  async run(key, ctx, options) {
    calls.push(key);
    optionsSeen.set(key, options);
    ctx.log.info(`stub working on ${key}`);
    ctx.progress(1, 1, key);
    if (wants(options, 'block')) {
      await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    }
    if (failOnce.delete(key)) throw new Error(`${key} failed once`);
    if (wants(options, 'fail')) throw new Error(`${key} failed on purpose`, { cause: new BanditError(ErrorCode.NotFound, 'the root cause') });
    return {
      value: null,
      metadata: {
        rows: { type: 'int', value: 10000 },
        estimate: { type: 'float', value: 0.0123 },
        whole: { type: 'float', value: 2 },
        winner: { type: 'text', value: 'arm-3 — ünïcode' },
        table: { type: 'md', value: '| a | b |\n|---|---|\n| 1 | 2 |' },
        detail: { type: 'json', value: { p_best: [0.1, 0.9] } },
        file: { type: 'path', value: '/tmp/x' },
        link: { type: 'url', value: 'http://example.com' },
        // what a bad input once produced: must be stored so that Dagster can read it back
        not_a_number: { type: 'int', value: NaN },
      },
    };
  },
});

const crashingPipeline: PipelineFactory = async () => {
  throw new Error('cannot build the pipeline');
};

describeIf(() => hasPeer('dagster') && hasPostgres())('run lifecycle against the Dagster webserver (Postgres storage)', () => {
  let db: TestDatabase | undefined;
  let server: CodeServerHandle | undefined;
  let web: Webserver | undefined;
  let factory: PipelineFactory = stubPipeline;
  const log: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('bandit_dagster_life');
    const runs = new RunManager({ pipeline: () => factory(), env: () => undefined, log: { info: (m) => log.push(m), error: (m) => log.push(`ERROR ${m}`) } });
    server = await startCodeServer({ host: '127.0.0.1', port: 0, runs, log: (m) => log.push(`PROTOCOL ${m}`), info: { entryPoint: ['bandit', 'dagster'], containerImage: 'example/bandit-pipeline:test', dagsterVersion: '1.13.27' } });
    web = await startWebserver(server.port, { postgresUrl: db.url });
  }, 120_000);
  afterAll(async () => {
    await web?.stop();
    await server?.close(1000);
    await db?.drop();
  }, 60_000);

  it('records every metadata type of a materialization as Dagster shows it', async () => {
    const runId = await launch(web!, ['ingest_obp']);
    const run = await waitRun(web!, runId, 60_000);
    expect(run.status).toBe('SUCCESS');
    const entries = Object.fromEntries(run.assetMaterializations[0].metadataEntries.map((e) => [e.label, e]));
    expect(entries.rows).toMatchObject({ __typename: 'IntMetadataEntry', intValue: 10000 });
    expect(entries.estimate).toMatchObject({ __typename: 'FloatMetadataEntry', floatValue: 0.0123 });
    expect(entries.whole).toMatchObject({ __typename: 'FloatMetadataEntry', floatValue: 2 });
    expect(entries.winner).toMatchObject({ __typename: 'TextMetadataEntry', text: 'arm-3 — ünïcode' });
    expect(entries.table.__typename).toBe('MarkdownMetadataEntry');
    expect(entries.detail.__typename).toBe('JsonMetadataEntry');
    expect(entries.file.__typename).toBe('PathMetadataEntry');
    expect(entries.link.__typename).toBe('UrlMetadataEntry');
    const logs = await runLogs(web!, runId);
    expect(logs.find((e) => e.__typename === 'LogMessageEvent' && e.message === 'stub working on ingest_obp')?.level).toBe('INFO');
  }, 90_000);

  const launchWith = (runConfigData: Record<string, unknown>) =>
    web!.gql<{ launchRun: { __typename: string; run?: { runId: string }; errors?: Array<{ message: string }> } }>(LAUNCH, { selection: [{ path: ['ope'] }], runConfigData });

  it.each([
    ['a wrongly typed value', { bootstrap: 'abc' }, /bootstrap/],
    ['a misspelt key', { bts_prior: '/prior.json' }, /bts_prior/],
    ['a float for an Int', { n_sim: 2.5 }, /n_sim/],
  ])('refuses at launch a run config with %s (typed schema, unknown keys rejected)', async (_what, config, mentions) => {
    calls.length = 0;
    const before = (await web!.gql<{ runsOrError: { results: unknown[] } }>('{ runsOrError { ... on Runs { results { runId } } } }')).runsOrError.results.length;
    const d = await launchWith({ ops: { ope: { config } } });
    expect(d.launchRun.__typename).toBe('RunConfigValidationInvalid');
    expect(d.launchRun.errors!.map((e) => e.message).join('\n')).toMatch(mentions);
    const after = (await web!.gql<{ runsOrError: { results: unknown[] } }>('{ runsOrError { ... on Runs { results { runId } } } }')).runsOrError.results.length;
    expect(after).toBe(before);
    expect(calls).toEqual([]);
  });

  it('shows the launchpad each asset config field with its type, default and description', async () => {
    const d = await web!.gql<{ runConfigSchemaOrError: { rootConfigType: { key: string }; allConfigTypes: Array<{ key: string; fields?: Array<{ name: string; isRequired: boolean; defaultValueAsJson: string | null; description: string | null; configTypeKey: string }> }> } }>(
      `{ runConfigSchemaOrError(selector: {repositoryLocationName: "bandit-pipeline", repositoryName: "__repository__", pipelineName: "__ASSET_JOB"}) {
        ... on RunConfigSchema { rootConfigType { key } allConfigTypes { key ... on CompositeConfigType { fields { name isRequired defaultValueAsJson description configTypeKey } } } } } }`,
    );
    const shapes = d.runConfigSchemaOrError.allConfigTypes.filter((t) => t.fields?.some((f) => f.name === 'bootstrap'));
    expect(shapes).toHaveLength(1);
    const fields = Object.fromEntries(shapes[0].fields!.map((f) => [f.name, f]));
    expect(Object.keys(fields).sort()).toEqual(['alpha', 'bootstrap', 'bts_prior_path', 'campaigns', 'folds', 'lambda', 'n_sim', 'obd_path', 'seed']);
    expect(fields.bootstrap).toMatchObject({ configTypeKey: 'Int', defaultValueAsJson: '1000', isRequired: false });
    expect(fields.alpha).toMatchObject({ configTypeKey: 'Float', defaultValueAsJson: '0.05' });
    expect(fields.lambda).toMatchObject({ configTypeKey: 'Noneable.Float', isRequired: false });
    expect(fields.bootstrap.description).toMatch(/Bootstrap replicates/);
  });

  it('runs a typed config and hands the asset its options; the asset history stays readable', async () => {
    const runId = await launch(web!, ['ope'], { ops: { ope: { config: { bootstrap: 50, n_sim: 2000, alpha: 0.1, lambda: null } } } });
    expect((await waitRun(web!, runId, 60_000)).status).toBe('SUCCESS');
    expect(optionsSeen.get('ope')).toEqual({ bootstrap: 50, nSim: 2000, alpha: 0.1 });
    // the stub also reports a NaN value: it is stored as text, and Dagster's reads still work
    const h = await web!.gql<{ assetOrError: { __typename: string; assetMaterializations?: Array<{ runId: string; metadataEntries: Array<{ label: string; __typename: string }> }> } }>(
      '{ assetOrError(assetKey: {path: ["ope"]}) { __typename ... on Asset { assetMaterializations { runId metadataEntries { label __typename } } } } }',
    );
    expect(h.assetOrError.__typename).toBe('Asset');
    const mine = h.assetOrError.assetMaterializations!.find((m) => m.runId === runId)!;
    expect(mine.metadataEntries.find((e) => e.label === 'not_a_number')?.__typename).toBe('TextMetadataEntry');
    const stats = await web!.gql<{ runOrError: { stepStats: Array<{ stepKey: string; status: string; materializations: unknown[] }> } }>(
      'query($runId: ID!) { runOrError(runId: $runId) { ... on Run { stepStats { stepKey status materializations { label } } } } }',
      { runId },
    );
    expect(stats.runOrError.stepStats).toEqual([expect.objectContaining({ stepKey: 'ope', status: 'SUCCESS' })]);
  }, 90_000);

  it('executes a subset in dependency order and only the selected steps', async () => {
    calls.length = 0;
    const runId = await launch(web!, ['conclude', 'replay']);
    const run = await waitRun(web!, runId, 60_000);
    expect(run.status).toBe('SUCCESS');
    expect(calls).toEqual(['replay', 'conclude']);
  }, 90_000);

  it('executes an op selection (launchpad) with only the selected op', async () => {
    calls.length = 0;
    const d = await web!.gql<{ launchRun: { __typename: string; run?: { runId: string }; message?: string } }>(
      `mutation { launchRun(executionParams: {selector: {repositoryLocationName: "bandit-pipeline", repositoryName: "__repository__", jobName: "__ASSET_JOB",
        solidSelection: ["replay"]}, runConfigData: {}}) { __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }`,
    );
    expect(d.launchRun.__typename).toBe('LaunchRunSuccess');
    const run = await waitRun(web!, d.launchRun.run!.runId, 60_000);
    expect(run.status).toBe('SUCCESS');
    expect(calls).toEqual(['replay']);
  }, 90_000);

  it('ends a failing step as STEP_FAILURE and the run as FAILURE, with the error and its cause', async () => {
    const runId = await launch(web!, null, { ops: { replay: { config: { campaigns: ['fail'] } } } });
    const run = await waitRun(web!, runId, 60_000);
    expect(run.status).toBe('FAILURE');
    const logs = await runLogs(web!, runId);
    const failure = logs.find((e) => e.__typename === 'ExecutionStepFailureEvent');
    expect(failure?.stepKey).toBe('replay');
    expect(failure?.error?.message).toBe('Error: replay failed on purpose\n');
    expect(failure?.error?.cause?.message).toBe('BanditError: the root cause\n');
    expect(logs.at(-1)?.__typename).toBe('RunFailureEvent');
    expect(run.assetMaterializations.map((m) => m.assetKey.path[0])).toEqual(['ingest_obp']);
  }, 90_000);

  it('re-executes from failure: only the failed step and what follows', async () => {
    failOnce.add('ope');
    calls.length = 0;
    const parent = await launch(web!, null);
    expect((await waitRun(web!, parent, 60_000)).status).toBe('FAILURE');
    expect(calls).toEqual(['ingest_obp', 'replay', 'ope']);
    calls.length = 0;
    const d = await web!.gql<{ launchRunReexecution: { __typename: string; run?: { runId: string } } }>(
      'mutation($id: String!) { launchRunReexecution(reexecutionParams: {parentRunId: $id, strategy: FROM_FAILURE}) { __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }',
      { id: parent },
    );
    expect(d.launchRunReexecution.__typename).toBe('LaunchRunSuccess');
    const run = await waitRun(web!, d.launchRunReexecution.run!.runId, 60_000);
    expect(run.status).toBe('SUCCESS');
    expect(calls).toEqual(['ope', 'conclude']);
    expect(run.assetMaterializations.map((m) => m.assetKey.path[0])).toEqual(['ope', 'conclude']);
  }, 120_000);

  it('terminates a running run through CancelExecution and records it CANCELED', async () => {
    const runId = await launch(web!, ['replay'], { ops: { replay: { config: { campaigns: ['block'] } } } });
    await waitRun(web!, runId, 30_000, (s) => s === 'STARTED');
    const t = await web!.gql<{ terminateRun: { __typename: string } }>(
      'mutation($runId: String!) { terminateRun(runId: $runId) { __typename ... on PythonError { message } ... on TerminateRunFailure { message } } }',
      { runId },
    );
    expect(t.terminateRun.__typename).toBe('TerminateRunSuccess');
    const run = await waitRun(web!, runId, 30_000);
    expect(run.status).toBe('CANCELED');
    expect((await runLogs(web!, runId)).at(-1)?.__typename).toBe('RunCanceledEvent');
  }, 90_000);

  it('fails a run whose pipeline cannot start instead of leaving it STARTING', async () => {
    factory = crashingPipeline;
    try {
      const runId = await launch(web!, null);
      const run = await waitRun(web!, runId, 30_000);
      expect(run.status).toBe('FAILURE');
      const failure = (await runLogs(web!, runId)).find((e) => e.__typename === 'RunFailureEvent');
      expect(failure?.error?.message).toBe('Error: cannot build the pipeline\n');
    } finally {
      factory = stubPipeline;
    }
  }, 60_000);

  it('reloads the location from the UI (reload button) and stays loaded', async () => {
    const d = await web!.gql<{ reloadRepositoryLocation: { __typename: string; loadStatus?: string; locationOrLoadError?: { __typename: string } } }>(
      `mutation { reloadRepositoryLocation(repositoryLocationName: "bandit-pipeline") { __typename
        ... on WorkspaceLocationEntry { loadStatus locationOrLoadError { __typename } } ... on PythonError { message } } }`,
    );
    expect(d.reloadRepositoryLocation).toEqual({ __typename: 'WorkspaceLocationEntry', loadStatus: 'LOADED', locationOrLoadError: { __typename: 'RepositoryLocation' } });
  });

  // last: after every scenario above
  it('was driven by the webserver through the RPCs a Dagster host uses', () => {
    const used = [...server!.api.calls.keys()].sort();
    // loading, liveness, launching (subsets and plans), terminating
    expect(used).toEqual(
      expect.arrayContaining(['CancelExecution', 'ExecutionPlanSnapshot', 'ExternalJob', 'ExternalPipelineSubsetSnapshot', 'ExternalRepository', 'GetServerId', 'ListRepositories', 'ReloadCode', 'StartRun']),
    );
    // the pinned webserver's requests are exactly the 1.13 ones: no version complaint
    expect(log.filter((l) => l.startsWith('PROTOCOL'))).toEqual([]);
    console.log(`RPCs called by dagster-webserver: ${[...server!.api.calls].map(([k, n]) => `${k}×${n}`).join(', ')}`);
  });
});
