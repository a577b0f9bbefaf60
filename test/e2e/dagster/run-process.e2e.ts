/**
 * Runs out of the code server's process, against the real `dagster-webserver` (Postgres
 * storage) and the built `bandit code-server` running the real pipeline on the OBD sample:
 * each run is a worker process of its own whose steps' stdout / stderr reach the UI's log tabs
 * (LOGS_CAPTURED + Dagster's compute-log files); GetServerId stays fast while a run works;
 * terminate signals the worker and no step is left in progress; a killed worker fails its
 * run; and a run survives a SIGKILL of the code server and ends SUCCESS.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dagsterApiClient } from '../../../src/dagster/proto';
import { describeIf, hasBuiltCli, hasDataset, hasPeer, OBD_PATH } from '../../support/env';
import { hasPostgres } from '../../support/services';
import { launch, pipelineEnv, runLogs, startPostgresStack, waitFor, waitRun, type PostgresStack, type Proc, type Webserver } from './harness';

const RUN_TIMEOUT = 180_000;
const FAST = { ops: { ope: { config: { bootstrap: 50, n_sim: 2000 } } } };
/** A slow ope (large bootstrap) keeps a run busy long enough to act on it. */
const SLOW = { ops: { ope: { config: { bootstrap: 4000, n_sim: 20000 } } } };

/** The pid of the worker process executing `runId` (its command line carries the run id). */
function workerPid(runId: string): number | undefined {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  const line = ps.split('\n').find((l) => l.includes('execute_run') && l.includes(runId));
  // the ExecuteRunArgs (with the storage settings) are not on the command line anyone can list
  if (line) expect(line).not.toContain('instance_ref');
  return line ? Number(line.trim().split(/\s+/)[0]) : undefined;
}

type StepStat = { stepKey: string; status: string };
async function stepStats(web: Webserver, runId: string): Promise<StepStat[]> {
  const d = await web.gql<{ runOrError: { stepStats: StepStat[] } }>('query($runId: ID!) { runOrError(runId: $runId) { ... on Run { stepStats { stepKey status } } } }', { runId });
  return d.runOrError.stepStats;
}

async function waitStep(web: Webserver, runId: string, step: string): Promise<void> {
  await waitFor(`step ${step} of ${runId} to start`, async () => ((await stepStats(web, runId)).some((s) => s.stepKey === step) ? true : undefined), RUN_TIMEOUT, 500);
}

describeIf(() => hasPeer('dagster') && hasDataset(OBD_PATH) && hasBuiltCli() && hasPostgres())(
  'runs execute out of the code server process (stock dagster-webserver, Postgres storage)',
  () => {
    let dataDir: string;
    let stack: PostgresStack | undefined;
    let code: Proc | undefined;
    let web: Webserver | undefined;
    let port: number;
    beforeAll(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-dagster-proc-'));
      stack = await startPostgresStack('bandit_dagster_proc', pipelineEnv(dataDir));
      ({ code, web, port } = stack);
    }, 120_000);
    afterAll(async () => {
      await stack?.stop();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    }, 60_000);

    it('runs in a worker process; steps stdout/stderr reach the UI log tabs; GetServerId stays fast meanwhile', async () => {
      const client = dagsterApiClient(`127.0.0.1:${port}`);
      const latencies: number[] = [];
      let polling = true;
      const poll = (async () => {
        while (polling) {
          const t0 = Date.now();
          await new Promise<void>((resolve, reject) =>
            (client as unknown as { GetServerId: (r: object, o: object, cb: (e: Error | null) => void) => void }).GetServerId({}, { deadline: Date.now() + 2000 }, (e) => (e ? reject(e) : resolve())),
          );
          latencies.push(Date.now() - t0);
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      let runId: string;
      try {
        runId = await launch(web!, null, FAST);
        const run = await waitRun(web!, runId, RUN_TIMEOUT);
        if (run.status !== 'SUCCESS') throw new Error(`run ${run.status}: ${JSON.stringify(await runLogs(web!, runId), null, 1)}\n${code!.output()}`);
      } finally {
        polling = false;
        await poll;
        client.close();
      }
      // a separate process executed it
      const engine = (await runLogs(web!, runId)).find((e) => e.__typename === 'EngineEvent' && /Executing steps in process \(pid: (\d+)\)/.test(e.message ?? ''));
      const workerPidSeen = Number(/pid: (\d+)/.exec(engine!.message!)![1]);
      expect(workerPidSeen).not.toBe(code!.child.pid);
      // captured logs: one LOGS_CAPTURED per step, readable through the UI's capturedLogs
      const captured = await web!.gql<{ logsForRun: { events: Array<{ __typename: string; fileKey?: string; stepKeys?: string[] }> } }>(
        'query($runId: ID!) { logsForRun(runId: $runId) { ... on EventConnection { events { __typename ... on LogsCapturedEvent { fileKey stepKeys } } } } }',
        { runId },
      );
      const captures = captured.logsForRun.events.filter((e) => e.__typename === 'LogsCapturedEvent');
      expect(captures.map((c) => c.stepKeys)).toEqual([['ingest_obp'], ['replay'], ['ope'], ['conclude']]);
      for (const step of ['ingest_obp', 'ope']) {
        const logs = await web!.gql<{ capturedLogs: { stdout: string | null; stderr: string | null } }>('query($key: [String!]!) { capturedLogs(logKey: $key) { stdout stderr } }', {
          key: [runId, 'compute_logs', step],
        });
        expect(logs.capturedLogs.stderr).toContain(`- dagster - INFO - __ASSET_JOB - ${runId} - ${step} - `);
      }
      console.log(`GetServerId during a run: ${latencies.length} calls, max ${Math.max(...latencies)} ms, load ${os.loadavg()[0].toFixed(1)}`);
      expect(Math.max(...latencies)).toBeLessThan(2000);
    }, RUN_TIMEOUT + 30_000);

    it('terminates a run by signalling its worker: CANCELED, no step left in progress', async () => {
      const runId = await launch(web!, ['ope'], SLOW);
      await waitStep(web!, runId, 'ope');
      const t0 = Date.now();
      const t = await web!.gql<{ terminateRun: { __typename: string } }>('mutation($runId: String!) { terminateRun(runId: $runId) { __typename } }', { runId });
      expect(t.terminateRun.__typename).toBe('TerminateRunSuccess');
      const run = await waitRun(web!, runId, 60_000);
      console.log(`terminate → CANCELED in ${Date.now() - t0} ms (load ${os.loadavg()[0].toFixed(1)})`);
      expect(run.status).toBe('CANCELED');
      expect(await stepStats(web!, runId)).toEqual([{ stepKey: 'ope', status: 'FAILURE' }]);
      await waitFor('the worker to exit', async () => (workerPid(runId) === undefined ? true : undefined), 20_000);
    }, RUN_TIMEOUT);

    it('fails a run whose worker process dies, saying how', async () => {
      const runId = await launch(web!, ['ope'], SLOW);
      await waitStep(web!, runId, 'ope');
      const pid = workerPid(runId);
      expect(pid).toBeDefined();
      process.kill(pid!, 'SIGKILL');
      const run = await waitRun(web!, runId, 60_000);
      expect(run.status).toBe('FAILURE');
      const failure = (await runLogs(web!, runId)).find((e) => e.__typename === 'RunFailureEvent');
      expect(failure?.message).toContain(`The run worker process (pid ${pid}) was killed by SIGKILL before the run ended.`);
      expect(await stepStats(web!, runId)).toEqual([{ stepKey: 'ope', status: 'FAILURE' }]);
    }, RUN_TIMEOUT);

    // last: the code server is killed
    it('finishes a run SUCCESS although the code server is killed (SIGKILL) while it runs', async () => {
      const runId = await launch(web!, ['ope', 'conclude'], FAST);
      await waitStep(web!, runId, 'ope');
      process.kill(code!.child.pid!, 'SIGKILL');
      await waitFor('the code server to die', async () => (code!.child.exitCode !== null || code!.child.signalCode !== null ? true : undefined), 10_000);
      const run = await waitRun(web!, runId, RUN_TIMEOUT);
      expect(run.status).toBe('SUCCESS');
      expect(run.assetMaterializations.map((m) => m.assetKey.path[0])).toEqual(['ope', 'conclude']);
    }, RUN_TIMEOUT + 30_000);
  },
);
