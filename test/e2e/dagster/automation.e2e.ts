/**
 * Schedules and sensors through Dagster's daemon: `dagster dev` (webserver + daemon, SQLite,
 * queued runs) against the built `bandit code-server` on the OBD sample. The location lists the
 * schedule and the sensor; once started in the UI, the sensor daemon evaluates the sensor over
 * gRPC and starts `ingest_obp`, and the scheduler daemon evaluates the schedule (cron every
 * minute here, BANDIT_DAGSTER_SCHEDULE_CRON) and starts `ope` + `conclude`.
 */
import { describeIf, hasBuiltCli, hasDataset, hasPeer, OBD_PATH } from '../../support/env';
import { LOCATION, runLogs, startDevStack, waitFor, waitRun, type DevStack, type Proc, type Webserver } from './harness';

const DAEMON_TIMEOUT = 300_000;
const REPO = `repositoryLocationName: "${LOCATION}", repositoryName: "__repository__"`;

interface RunRow {
  runId: string;
  status: string;
  assetSelection: Array<{ path: string[] }> | null;
}

async function runsTagged(web: Webserver, key: string, value: string): Promise<RunRow[]> {
  const d = await web.gql<{ runsOrError: { results: RunRow[] } }>(
    `query($key: String!, $value: String!) { runsOrError(filter: {tags: [{key: $key, value: $value}]}) { ... on Runs { results { runId status assetSelection { path } } } } }`,
    { key, value },
  );
  return d.runsOrError.results;
}

/** The first run the daemon started with tag key=value, once its status is one of `statuses`. */
async function daemonRun(web: Webserver, key: string, value: string, statuses = ['SUCCESS', 'FAILURE', 'CANCELED']): Promise<RunRow> {
  return waitFor(`a run tagged ${key}=${value} (${statuses.join('/')})`, async () => (await runsTagged(web, key, value)).find((r) => statuses.includes(r.status)), DAEMON_TIMEOUT, 2000);
}

describeIf(() => hasPeer('dagster') && hasDataset(OBD_PATH) && hasBuiltCli())(
  'the Dagster daemon runs the schedule and the sensor (dagster dev, SQLite)',
  () => {
    let stack: DevStack | undefined;
    let code: Proc | undefined;
    let web: Webserver | undefined;
    beforeAll(async () => {
      stack = await startDevStack('bandit-dagster-auto-', { BANDIT_DAGSTER_SCHEDULE_CRON: '* * * * *' });
      ({ code, web } = stack);
    }, 120_000);
    afterAll(async () => {
      await stack?.stop();
    }, 60_000);

    it('lists the schedule and the sensor', async () => {
      const d = await web!.gql<{ repositoryOrError: { schedules: Array<{ name: string; cronSchedule: string; executionTimezone: string }>; sensors: Array<{ name: string; minIntervalSeconds: number }> } }>(
        `{ repositoryOrError(repositorySelector: {${REPO}}) { ... on Repository { schedules { name cronSchedule executionTimezone } sensors { name minIntervalSeconds } } } }`,
      );
      expect(d.repositoryOrError.schedules).toEqual([{ name: 'daily_ope_conclude', cronSchedule: '* * * * *', executionTimezone: 'UTC' }]);
      expect(d.repositoryOrError.sensors).toEqual([{ name: 'obp_logs_sensor', minIntervalSeconds: 30 }]);
    });

    it('the sensor daemon starts ingest_obp for the logs of the OBD folder', async () => {
      const s = await web!.gql<{ startSensor: { __typename: string } }>(`mutation { startSensor(sensorSelector: {${REPO}, sensorName: "obp_logs_sensor"}) { __typename ... on PythonError { message } } }`);
      expect(s.startSensor.__typename).toBe('Sensor');
      const run = await daemonRun(web!, 'dagster/sensor_name', 'obp_logs_sensor');
      if (run.status !== 'SUCCESS') throw new Error(`sensor run ${run.status}: ${JSON.stringify(await runLogs(web!, run.runId))}\n${code!.output()}`);
      expect(run.assetSelection?.map((k) => k.path[0])).toEqual(['ingest_obp']);
    }, DAEMON_TIMEOUT + 10_000);

    it('the scheduler daemon starts ope + conclude on the cron', async () => {
      const s = await web!.gql<{ startSchedule: { __typename: string } }>(
        `mutation { startSchedule(scheduleSelector: {${REPO}, scheduleName: "daily_ope_conclude"}) { __typename ... on PythonError { message } } }`,
      );
      expect(s.startSchedule.__typename).toBe('ScheduleStateResult');
      // started by the daemon through StartRun (the full-size OPE is not waited for: terminated)
      const run = await daemonRun(web!, 'dagster/schedule_name', 'daily_ope_conclude', ['STARTED', 'SUCCESS', 'FAILURE']);
      expect(run.assetSelection?.map((k) => k.path[0]).sort()).toEqual(['conclude', 'ope']);
      await waitFor('the ope step to start', async () => ((await runLogs(web!, run.runId)).some((e) => e.__typename === 'ExecutionStepStartEvent' && e.stepKey === 'ope') ? true : undefined), DAEMON_TIMEOUT, 1000);
      await web!.gql('mutation($runId: String!) { terminateRun(runId: $runId) { __typename } }', { runId: run.runId });
      expect((await waitRun(web!, run.runId, 60_000)).status).not.toBe('STARTED');
    }, 2 * DAEMON_TIMEOUT);
  },
);
