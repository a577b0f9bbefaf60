/**
 * `bandit dagster api execute_run <ExecuteRunArgs>` as a K8sRunLauncher pod runs it: Python
 * Dagster (the pinned peer) creates the run in a default SQLite instance and builds the
 * command exactly as the launcher does (`entry_point + ["api", "execute_run", args]`); we run
 * it with the built CLI; Python Dagster then reads the run's status, events and the asset's
 * latest materialization back from its own storage.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BANDIT_BIN, describeIf, hasBuiltCli, hasPeer, peerPython } from '../../support/env';
import { obdShaped } from '../../support/obd';

const CREATE = `
import json, sys
from dagster import AssetKey, DagsterInstance
from dagster._core.code_pointer import ModuleCodePointer
from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin
from dagster._core.test_utils import create_run_for_test
from dagster._grpc.types import ExecuteRunArgs
instance = DagsterInstance.get()
origin = JobPythonOrigin("__ASSET_JOB", RepositoryPythonOrigin(
    executable_path="", code_pointer=ModuleCodePointer("bandit_pipeline", "__repository__", None),
    container_image="example/bandit-pipeline:1", entry_point=["dagster"], container_context={}))
run = create_run_for_test(instance, job_name="__ASSET_JOB", asset_selection=frozenset({AssetKey("ingest_obp")}),
                          job_code_origin=origin, run_config=json.loads(sys.argv[1]))
instance.report_engine_event("Launching run in a pod (test)", run)
args = ExecuteRunArgs(job_origin=origin, run_id=run.run_id, instance_ref=instance.get_ref(), set_exit_code_on_failure=True)
print(json.dumps({"run_id": run.run_id, "cmd": args.get_command_args()}))
`;

const INSPECT = `
import json, sys
from dagster import AssetKey, DagsterInstance
instance = DagsterInstance.get()
run = instance.get_run_by_id(sys.argv[1])
logs = instance.all_logs(sys.argv[1])
mat = instance.get_latest_materialization_event(AssetKey("ingest_obp"))
print(json.dumps({
  "status": run.status.value,
  "types": [e.dagster_event.event_type_value if e.dagster_event else None for e in logs],
  "materialized_by": mat.run_id if mat else None,
  "rows": mat.asset_materialization.metadata["rows"].value if mat and "rows" in mat.asset_materialization.metadata else None,
}))
`;

describeIf(() => hasPeer('dagster') && hasBuiltCli())('bandit dagster api execute_run (K8sRunLauncher command)', () => {
  let home: string;
  let dataDir: string;
  let obd: string;
  const env = () => ({ ...process.env, DAGSTER_HOME: home, BANDIT_DATA_DIR: dataDir, BANDIT_OBD_PATH: obd });
  const python = (script: string, ...args: string[]) => JSON.parse(execFileSync(peerPython('dagster')!, ['-c', script, ...args], { env: env(), encoding: 'utf8' })) as Record<string, unknown>;

  beforeAll(async () => {
    obd = await obdShaped();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-dagster-k8s-'));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-dagster-k8s-data-'));
    fs.writeFileSync(path.join(home, 'dagster.yaml'), 'telemetry:\n  enabled: false\n');
  });
  afterAll(() => {
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  function runCommand(runConfig: object) {
    const created = python(CREATE, JSON.stringify(runConfig)) as { run_id: string; cmd: string[] };
    expect(created.cmd.slice(0, 3)).toEqual(['dagster', 'api', 'execute_run']);
    // the image's ENTRYPOINT (node dist/main.js) followed by the launcher's args
    const res = spawnSync(process.execPath, [BANDIT_BIN, ...created.cmd], { env: env(), encoding: 'utf8', timeout: 120_000 });
    return { runId: created.run_id, res };
  }

  it('executes the run and Dagster reads SUCCESS, the events and the materialization back', () => {
    const { runId, res } = runCommand({});
    expect(res.status).toBe(0);
    const seen = python(INSPECT, runId) as { status: string; types: string[]; materialized_by: string; rows: number };
    expect(seen.status).toBe('SUCCESS');
    expect(seen.types).toEqual(expect.arrayContaining(['PIPELINE_START', 'STEP_START', 'ASSET_MATERIALIZATION', 'STEP_SUCCESS', 'PIPELINE_SUCCESS']));
    expect(seen.materialized_by).toBe(runId);
    expect(seen.rows).toBeGreaterThan(0);
  }, 150_000);

  it('exits non-zero and records FAILURE when the run fails', () => {
    const { runId, res } = runCommand({ ops: { ingest_obp: { config: { obd_path: path.join(dataDir, 'missing') } } } });
    expect(res.status).toBe(1);
    const seen = python(INSPECT, runId) as { status: string; types: string[] };
    expect(seen.status).toBe('FAILURE');
    expect(seen.types).toEqual(expect.arrayContaining(['STEP_FAILURE', 'PIPELINE_FAILURE']));
  }, 150_000);

  it('rejects malformed arguments with a one-line error and exit code 2', () => {
    const res = spawnSync(process.execPath, [BANDIT_BIN, 'dagster', 'api', 'execute_run', '{"__class__": "Nope"}'], { env: env(), encoding: 'utf8' });
    expect(res.status).toBe(2);
    expect(res.stderr.trim()).toMatch(/^bandit: malformed Dagster payload: ExecuteRunArgs: expected ExecuteRunArgs, got Nope$/);
  });
});
