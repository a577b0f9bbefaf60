/**
 * Byte-exactness where the Dagster host recomputes hashes: Python Dagster (the pinned peer of
 * each supported line) deserializes what the code server writes in that line's shapes and
 * serializes it again; the bytes must be identical, and the job snapshot ids Dagster computes
 * must equal ours. Covers every snapshot the server sends and every event / run body the
 * worker stores (the same events for every line).
 */
import { execFileSync } from 'node:child_process';
import { automationSnapshots, DEFAULT_AUTOMATION, evaluateSchedule, SCHEDULE } from '../../../src/dagster/automation';
import { dataVersionTags } from '../../../src/dagster/data-version';
import { events, serializableError } from '../../../src/dagster/events';
import { partitionExecutionParamsResult, partitionNamesResult, partitionTagsResult } from '../../../src/dagster/partitions';
import { pyJson, snapshotId, type SerdesObject } from '../../../src/dagster/serdes';
import { executionPlanSnapshot, jobData, jobSnapshot, listRepositoriesResponse, repositorySnapshot, subsetResult } from '../../../src/dagster/snapshots';
import { runStatusChange } from '../../../src/dagster/storage/run-body';
import { DAGSTER_LINES, type DagsterLine } from '../../../src/dagster/protocol-version';
import { describeIf, peerPython } from '../../support/env';
import { DAGSTER_E2E_LINES, hasDagster, peerOf } from './harness';

const SCRIPT = `
import json, sys
from dagster._serdes import deserialize_value, serialize_value
from dagster._core.snap.job_snapshot import _create_job_snapshot_id
import dagster._core.remote_representation.external_data  # registers the snapshot classes
import dagster._grpc.types  # registers the gRPC argument and result classes
out = []
for item in json.load(sys.stdin):
    try:
        value = deserialize_value(item["text"])
        entry = {"name": item["name"], "bytes": serialize_value(value), "cls": type(value).__name__}
        if type(value).__name__ == "JobSnap":
            entry["snapshot_id"] = _create_job_snapshot_id(value)
        out.append(entry)
    except Exception as e:
        out.append({"name": item["name"], "error": repr(e)})
json.dump(out, sys.stdout)
`;

const RUN = { runId: 'f0e1d2c3-b4a5-4697-8899-aabbccddeeff', jobName: '__ASSET_JOB', pid: 4242 };
const RUN_BODY = `{"__class__": "PipelineRun", "asset_check_selection": null, "asset_selection": {"__frozenset__": [{"__class__": "AssetKey", "path": ["ope"]}]}, "execution_plan_snapshot_id": "e", "external_pipeline_origin": null, "has_repository_load_data": false, "mode": null, "parent_run_id": null, "partitions_subset": null, "pipeline_code_origin": null, "pipeline_name": "__ASSET_JOB", "pipeline_snapshot_id": "p", "root_run_id": null, "run_config": {}, "run_id": "${RUN.runId}", "run_op_concurrency": null, "solid_selection": null, "solids_to_execute": null, "status": {"__enum__": "PipelineRunStatus.STARTING"}, "step_keys_to_execute": null, "tags": {}}`;

const partitionArgs = (cls: string, extra: SerdesObject): SerdesObject => ({
  __class__: cls,
  job_name: '__ASSET_JOB',
  partition_set_name: '__ASSET_JOB_partition_set',
  repository_origin: { __class__: 'ExternalRepositoryOrigin', repository_location_origin: null, repository_name: '__repository__' },
  ...extra,
});

function payloads(line: DagsterLine): Array<{ name: string; text: string }> {
  const INFO = { entryPoint: ['bandit', 'dagster'], containerImage: 'ghcr.io/example/bandit-pipeline:1', dagsterVersion: DAGSTER_LINES[line].version };
  const t = 1795918840.5143325;
  const nested = new Error('replay failed: OBD sample not found', { cause: new Error('no such file: /missing/obd') });
  const stepFailure = events.stepFailure(RUN, t, 'replay', serializableError(nested));
  const evs = [
    events.runStart(RUN, t),
    events.engine(RUN, t, 'Executing steps in process (pid: 4242)', { pid: '4242' }),
    events.stepStart(RUN, t, 'ope'),
    events.log(RUN, t, 20, 'working on ope — ünïcode ✓ 😀', 'ope'),
    events.stepOutput(RUN, t, 'ope'),
    events.materialization(
      RUN,
      t,
      'ope',
      {
        rows: { type: 'int', value: 10000 },
        estimate: { type: 'float', value: 0.0123 },
        whole: { type: 'float', value: 2 },
        tiny: { type: 'float', value: 1e-7 },
        winner: { type: 'text', value: 'arm-3' },
        table: { type: 'md', value: '| a |\n|---|' },
        detail: { type: 'json', value: { p_best: [0.1, 0.9], n: 3 } },
        file: { type: 'path', value: '/tmp/x' },
        link: { type: 'url', value: 'http://example.com' },
      },
      null,
    ),
    events.stepSuccess(RUN, t, 'ope', 22.68157399998927),
    stepFailure,
    events.runFailure(RUN, t, 'failed', serializableError(nested), 'STEP_FAILURE', stepFailure.entry.dagster_event as SerdesObject),
    events.runCanceled(RUN, t, 'canceled'),
    events.runSuccess(RUN, t),
    // asset checks, partitions and provenance
    events.checkEvaluation(RUN, t, 'replay', { name: 'matched_rows', passed: false, description: 'no matched rows for men', metadata: { 'men.matched_rows': { type: 'int', value: 0 }, gap: { type: 'float', value: -0.001 } } }, { storageId: 4, timestamp: t }),
    events.stepOutput(RUN, t, 'replay', 'replay_matched_rows'),
    events.materialization(RUN, t, 'ingest_obp', { rows: { type: 'int', value: 3 } }, null, dataVersionTags('1', 'abc', []), 'men|random'),
    events.materialization(RUN, t, 'ope', {}, null, dataVersionTags('1', undefined, [{ asset: 'ingest_obp', dataVersion: 'abc', storageId: 7 }, { asset: 'replay', dataVersion: null, storageId: null }])),
  ];
  const failedBody = runStatusChange(evs[8], RUN_BODY)!.runBody;
  return [
    { name: 'list_repositories', text: pyJson(listRepositoriesResponse(INFO)) },
    { name: 'repository_deferred', text: pyJson(repositorySnapshot(true, automationSnapshots(DEFAULT_AUTOMATION), line)) },
    { name: 'repository_full', text: pyJson(repositorySnapshot(false, automationSnapshots(DEFAULT_AUTOMATION), line)) },
    { name: 'schedule_execution', text: pyJson(evaluateSchedule({ __class__: 'ExternalScheduleExecutionArgs', schedule_name: SCHEDULE.name })) },
    { name: 'job_data', text: pyJson(jobData(null)) },
    { name: 'job_snapshot', text: pyJson(jobSnapshot(null)) },
    { name: 'subset_job_snapshot', text: pyJson(jobSnapshot(['ope', 'conclude'])) },
    { name: 'subset_result', text: pyJson(subsetResult(['ope', 'conclude'], INFO)) },
    { name: 'op_subset_job_snapshot', text: pyJson(jobSnapshot(['ope', 'conclude'], 'ops')) },
    { name: 'execution_plan', text: pyJson(executionPlanSnapshot(['ope', 'conclude'], snapshotId(jobSnapshot(['ope', 'conclude'])), null, line)) },
    { name: 'run_body_failed', text: failedBody },
    { name: 'partition_names', text: pyJson(partitionNamesResult(partitionArgs('PartitionNamesArgs', {}))) },
    { name: 'partition_tags', text: pyJson(partitionTagsResult(partitionArgs('PartitionArgs', { instance_ref: null, partition_name: 'men|bts' }))) },
    { name: 'partition_unknown', text: pyJson(partitionTagsResult(partitionArgs('PartitionArgs', { instance_ref: null, partition_name: 'x|y' }))) },
    { name: 'partition_params', text: pyJson(partitionExecutionParamsResult(partitionArgs('PartitionSetExecutionParamArgs', { instance_ref: null, partition_names: ['men|bts', 'all|random'] }))) },
    ...evs.map((e, i) => ({ name: `event_${i}_${e.type ?? 'LOG'}`, text: pyJson(e.entry) })),
  ];
}

describe.each(DAGSTER_E2E_LINES)('Python Dagster %s', (line: DagsterLine) => {
  describeIf(() => hasDagster(line))('re-serializes our payloads byte for byte', () => {
    const items = payloads(line);
    let results: Array<{ name: string; bytes?: string; cls?: string; snapshot_id?: string; error?: string }>;

    beforeAll(() => {
      const out = execFileSync(peerPython(peerOf(line))!, ['-c', SCRIPT], { input: JSON.stringify(items), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      results = JSON.parse(out) as typeof results;
    }, 60_000);

    it.each(items.map((i) => [i.name]))('%s', (name) => {
      const ours = items.find((i) => i.name === name)!;
      const py = results.find((r) => r.name === name)!;
      expect(py.error).toBeUndefined();
      expect(py.bytes).toBe(ours.text);
    });

    it('computes the same job snapshot ids as Dagster', () => {
      expect(results.find((r) => r.name === 'job_snapshot')?.snapshot_id).toBe(snapshotId(jobSnapshot(null)));
      expect(results.find((r) => r.name === 'subset_job_snapshot')?.snapshot_id).toBe(snapshotId(jobSnapshot(['ope', 'conclude'])));
    });
  });
});
