/**
 * Golden tests, per supported Dagster line: our snapshots in that line's shapes against what
 * the line's Python Dagster serializes for the equivalent Python assets
 * (scripts/reference/dagster_golden.py → test/fixtures/dagster/<line>/). Compared
 * deep-equal after normalizing exactly the fields that legitimately differ:
 *  - job snapshot ids (`snapshot_id`, `parent_snapshot_id`, `pipeline_snapshot_id`): hashes of
 *    job snapshots that differ in the parts below; our ids are checked to be SHA-1 of our bytes;
 *  - `config_schema_snapshot` and `mode_def_snaps`: Python's default job carries executor,
 *    logger and IO-manager config; ours has none (the worker has none of them). The `ops` part
 *    of the config (each asset's typed run config) is compared exactly, keys included, below;
 *  - `dagster_type_namespace_snapshot`: Python lists all builtin scalar types with config loaders;
 *    ours lists the two the ops use (Any, Nothing) without loaders;
 *  - `executor_name` of execution plans (`multi_or_in_process_executor` vs `in_process`);
 *  - code pointers / executable path / library versions in ListRepositories and subset origins
 *    (Python points at a .py file; ours names the compiled-in repository).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DAGSTER_FIXTURES, golden, GOLDEN_LINES, sharedJson } from '../../test/support/dagster-golden';
import { ASSET_GRAPH } from '../pipeline/asset-graph';
import { automationSnapshots, DEFAULT_AUTOMATION, DEFAULT_SCHEDULE_CRON, evaluateSchedule, evaluateSensor, SCHEDULE, SENSOR } from './automation';
import { DAGSTER_LINES, HOST_REQUEST_FIELDS, protocolMismatch, SUPPORTED_LINES } from './protocol-version';
import { parsePyJson, PyFloat, pyJson, snapshotId, type SerdesObject, type SerdesValue } from './serdes';
import { executionPlanSnapshot, jobData, jobSnapshot, listRepositoriesResponse, repositorySnapshot, subsetResult } from './snapshots';

const AUTOMATION = automationSnapshots(DEFAULT_AUTOMATION);

/** Round-trips through our writer/reader, so both sides are plain parsed values. */
const plain = (v: SerdesValue) => parsePyJson(pyJson(v)) as SerdesObject;

function normalize(v: SerdesValue): SerdesValue {
  if (Array.isArray(v)) return v.map(normalize);
  if (v === null || typeof v !== 'object' || v instanceof PyFloat) return v;
  const out: SerdesObject = {};
  for (const [k, x] of Object.entries(v as SerdesObject)) {
    if (['snapshot_id', 'parent_snapshot_id', 'pipeline_snapshot_id'].includes(k)) out[k] = x === null ? null : '<id>';
    else if (['config_schema_snapshot', 'mode_def_snaps', 'dagster_type_namespace_snapshot', 'executor_name'].includes(k)) out[k] = '<differs>';
    else out[k] = normalize(x);
  }
  return out;
}

describe('golden fixtures of the Dagster lines', () => {
  it('uses the same asset, schedule and sensor definitions as the golden script', () => {
    expect(sharedJson('asset-graph')).toEqual(JSON.parse(JSON.stringify(ASSET_GRAPH)));
    expect(sharedJson('automation')).toEqual({ cron: DEFAULT_SCHEDULE_CRON, schedule: SCHEDULE, sensor: SENSOR });
  });

  it('has a fixture folder for every supported line, recorded by its pinned release, and none other', () => {
    const folders = fs.readdirSync(DAGSTER_FIXTURES).filter((f) => fs.statSync(path.join(DAGSTER_FIXTURES, f)).isDirectory());
    expect(folders.sort()).toEqual([...SUPPORTED_LINES].sort());
    for (const line of GOLDEN_LINES) {
      expect({ line, version: golden(line).json<{ dagster_version: string }>('golden').dagster_version }).toEqual({ line, version: DAGSTER_LINES[line].version });
    }
  });

  it('the lines differ where snapshots.ts says: a 1.13 answer is not a 1.12 one', () => {
    const g12 = golden('1.12');
    expect(normalize(plain(repositorySnapshot(false, AUTOMATION, '1.13')))).not.toEqual(normalize(g12.fixture('repository_full')));
    const args = g12.fixture('ope_conclude_execution_plan_args');
    expect(normalize(plain(executionPlanSnapshot(['ope', 'conclude'], args.pipeline_snapshot_id as string, null, '1.13')))).not.toEqual(normalize(g12.fixture('ope_conclude_execution_plan')));
    // job snapshots are the same in both lines: the same ids
    expect(golden('1.12').json<{ job_snapshot_id: string }>('golden').job_snapshot_id).toBe(golden('1.13').json<{ job_snapshot_id: string }>('golden').job_snapshot_id);
  });
});

describe.each(GOLDEN_LINES.map((l) => [l]))('snapshots vs Python Dagster %s (golden)', (line) => {
  const { fixture, json } = golden(line);
  const INFO = { entryPoint: ['bandit', 'dagster'], containerImage: 'example/image:tag', dagsterVersion: DAGSTER_LINES[line].version };

  it(`knows the request fields a Dagster ${line} host sends (from Python Dagster's serializers)`, () => {
    const py = json<{ dagster_version: string; fields: Record<string, string[]> }>('request-fields');
    expect(py.dagster_version).toBe(DAGSTER_LINES[line].version);
    expect(HOST_REQUEST_FIELDS[line]).toEqual(py.fields);
    // and what Python sent in the recorded requests matches them
    expect(protocolMismatch(fixture('full_execution_plan_args'), line)).toBeNull();
    expect(protocolMismatch(fixture('sensor_execution_args'), line)).toBeNull();
    expect(protocolMismatch({ ...fixture('sensor_execution_args'), new_in_1_14: 1 }, line)).toEqual({ cls: 'SensorExecutionArgs', added: ['new_in_1_14'], missing: [], matches: [] });
  });

  it('schedule and sensor evaluations answer what Python Dagster answers (run requests, cursor)', () => {
    const sched = plain(evaluateSchedule({ __class__: 'ExternalScheduleExecutionArgs', schedule_name: SCHEDULE.name }));
    expect(sched).toEqual(fixture('schedule_execution'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-golden-obd-'));
    try {
      fs.mkdirSync(path.join(dir, 'random', 'men'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'random', 'men', 'men.csv'), 'x\n');
      const sensor = plain(evaluateSensor(fixture('sensor_execution_args'), { scheduleCron: DEFAULT_SCHEDULE_CRON, obdPath: dir }));
      const py = fixture('sensor_execution');
      // Python's sensor in the golden script uses the fixed run key / cursor 'k'
      const req = (sensor.run_requests as SerdesObject[])[0];
      expect(req.run_key).toBe(String(sensor.cursor).slice(0, 32));
      expect({ ...sensor, cursor: 'k', run_requests: [{ ...req, run_key: 'k' }] }).toEqual(py);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('repository snapshot (deferred and full) matches', () => {
    expect(normalize(plain(repositorySnapshot(true, AUTOMATION, line)))).toEqual(normalize(fixture('repository_deferred')));
    expect(normalize(plain(repositorySnapshot(false, AUTOMATION, line)))).toEqual(normalize(fixture('repository_full')));
  });

  it('job snapshot matches outside config/mode/types, and its id is the SHA-1 of our bytes', () => {
    expect(normalize(plain(jobData(null)))).toEqual(normalize(fixture('external_job')));
    const ref = (repositorySnapshot(true).external_job_refs as SerdesObject[])[0];
    expect(ref.snapshot_id).toBe(snapshotId(jobSnapshot(null)));
  });

  /** The root config's `ops` field and every config type reachable from it. */
  function opsConfig(job: SerdesObject): { ops: SerdesObject; types: Record<string, SerdesValue> } {
    const snaps = (job.config_schema_snapshot as SerdesObject).all_config_snaps_by_key as SerdesObject;
    const rootKey = (job.mode_def_snaps as SerdesObject[])[0].root_config_key as string;
    const ops = ((snaps[rootKey] as SerdesObject).fields as SerdesObject[]).find((f) => f.name === 'ops') as SerdesObject;
    const types: Record<string, SerdesValue> = {};
    const visit = (key: string) => {
      if (key in types) return;
      const t = snaps[key] as SerdesObject;
      expect(t).toBeDefined();
      types[key] = t;
      for (const f of (t.fields as SerdesObject[] | null) ?? []) visit(f.type_key as string);
      for (const p of (t.type_param_keys as string[] | null) ?? []) visit(p);
    };
    visit(ops.type_key as string);
    return { ops, types };
  }

  it.each([
    ['the whole job', () => plain(jobSnapshot(null)), () => fixture('external_job').pipeline_snapshot as SerdesObject],
    ['the ope + conclude subset', () => plain(jobSnapshot(['ope', 'conclude'])), () => (fixture('ope_conclude_subset').external_pipeline_data as SerdesObject).pipeline_snapshot as SerdesObject],
  ])('publishes the typed run config of %s exactly as Python Dagster does (fields, types, defaults, descriptions, keys)', (_name, ours, py) => {
    const a = opsConfig(ours());
    const b = opsConfig(py());
    expect(a.ops).toEqual(b.ops);
    expect(a.types).toEqual(b.types);
    const opField = (j: SerdesObject) => ((j.solid_definitions_snapshot as SerdesObject).solid_def_snaps as SerdesObject[]).map((d) => d.config_field_snap);
    expect(opField(ours())).toEqual(opField(py()));
    // every field of every asset is there, typed: nothing is `Any` any more
    expect(Object.keys(a.types)).not.toContain('Any');
    const ope = Object.values(a.types).find((t) => ((t as SerdesObject).fields as SerdesObject[] | null)?.some((f) => f.name === 'bootstrap')) as SerdesObject;
    expect((ope.fields as SerdesObject[]).find((f) => f.name === 'bootstrap')).toMatchObject({ type_key: 'Int', default_value_as_json_str: '1000', is_required: false });
    expect(ope.kind).toEqual({ __enum__: 'ConfigTypeKind.STRICT_SHAPE' });
  });

  it('keeps the Any and Nothing type snapshots Python writes (without config loaders)', () => {
    const py = (fixture('external_job').pipeline_snapshot as SerdesObject).dagster_type_namespace_snapshot as SerdesObject;
    const ours = (plain(jobSnapshot(null)).dagster_type_namespace_snapshot as SerdesObject).all_dagster_type_snaps_by_key as SerdesObject;
    const pyTypes = py.all_dagster_type_snaps_by_key as SerdesObject;
    expect(ours.Nothing).toEqual(pyTypes.Nothing);
    expect(ours.Any).toEqual({ ...(pyTypes.Any as SerdesObject), loader_schema_key: null });
  });

  it('subset job (ope + conclude) matches, with lineage to the full job', () => {
    const ours = plain(subsetResult(['ope', 'conclude'], INFO));
    const py = fixture('ope_conclude_subset');
    delete ours.repository_python_origin;
    delete py.repository_python_origin;
    expect(normalize(ours)).toEqual(normalize(py));
    const lineage = ((ours.external_pipeline_data as SerdesObject).pipeline_snapshot as SerdesObject).lineage_snapshot as SerdesObject;
    expect(lineage.parent_snapshot_id).toBe(snapshotId(jobSnapshot(null)));
  });

  it.each([
    ['full', null],
    ['ope_conclude', ['ope', 'conclude'] as const],
  ])('execution plan (%s) matches and echoes the job snapshot id', (name, selection) => {
    const args = fixture(`${name}_execution_plan_args`);
    const ours = plain(executionPlanSnapshot(selection ? [...selection] : null, args.pipeline_snapshot_id as string, null, line));
    const py = fixture(`${name}_execution_plan`);
    expect(ours.pipeline_snapshot_id).toBe(args.pipeline_snapshot_id);
    expect(normalize(ours)).toEqual(normalize(py));
  });

  it('a check-only subset (the ingest check without its asset) matches: the op of the check alone, lineage with the check selection', () => {
    const checks = [{ asset: 'ingest_obp' as const, name: 'propensities_valid' }];
    const ours = plain(subsetResult([], INFO, 'assets', checks));
    const py = fixture('check_only_subset');
    delete ours.repository_python_origin;
    delete py.repository_python_origin;
    expect(normalize(ours)).toEqual(normalize(py));
  });

  it('a check-only execution plan matches: the step of the asset, its asset output unexecutable, every output optional', () => {
    const args = fixture('check_only_execution_plan_args');
    const ours = plain(executionPlanSnapshot([], args.pipeline_snapshot_id as string, null, line, [{ asset: 'ingest_obp', name: 'propensities_valid' }]));
    expect(ours.step_keys_to_execute).toEqual(['ingest_obp']);
    expect(normalize(ours)).toEqual(normalize(fixture('check_only_execution_plan')));
  });

  it('checks are executable on their own and partitioned with their asset (no execution set; the partitions of ingest_obp)', () => {
    const repo = plain(repositorySnapshot(false, AUTOMATION, line));
    const checks = repo.external_asset_checks as SerdesObject[];
    expect(checks.map((c) => c.atomic_execution_unit_id)).toEqual([null, null, null]);
    const ingest = checks.find((c) => c.name === 'propensities_valid') as SerdesObject;
    const node = (repo.external_asset_graph_data as SerdesObject[]).find((n) => JSON.stringify(n.asset_key).includes('ingest_obp')) as SerdesObject;
    expect(ingest.partitions_def_snapshot).toEqual(node.partitions_def_data);
    expect(checks.filter((c) => c.name !== 'propensities_valid').map((c) => c.partitions_def_snapshot)).toEqual([null, null]);
  });

  it('ListRepositories answers the same fields, naming the repository, entry point and image', () => {
    const ours = plain(listRepositoriesResponse(INFO));
    const py = fixture('list_repositories');
    expect(Object.keys(ours).sort()).toEqual(Object.keys(py).sort());
    const names = (o: SerdesObject) => (o.repository_symbols as SerdesObject[]).map((r) => [r.__class__, r.repository_name]);
    expect(names(ours)).toEqual(names(py));
    expect(ours.container_image).toBe('example/image:tag');
    expect(ours.entry_point).toEqual(['bandit', 'dagster']);
    // the host is told the release of the line the server speaks, as Python names its own
    expect((ours.dagster_library_versions as SerdesObject).dagster).toBe((py.dagster_library_versions as SerdesObject).dagster);
    expect(Object.keys(ours.repository_code_pointer_dict as SerdesObject)).toEqual(Object.keys(py.repository_code_pointer_dict as SerdesObject));
  });
});
