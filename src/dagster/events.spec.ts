/**
 * Event shapes against events Python Dagster wrote for the same assets, per supported line
 * (test/fixtures/dagster/<line>/events-*.json, recorded by scripts/reference/dagster_golden.py):
 * same classes, same fields, same metadata entry classes per value type. Values (ids, times,
 * pids, messages) legitimately differ and are not compared. The worker writes one set of
 * shapes for every line: 1.12 and 1.13 write the same, but for the run failure's `error`
 * (below).
 */
import { golden, GOLDEN_LINES } from '../../test/support/dagster-golden';
import { dataVersionTags } from './data-version';
import { events, serializableError } from './events';
import { isObject, parsePyJson, PyFloat, pyJson, type SerdesObject, type SerdesValue } from './serdes';

type Recorded = { events: Array<{ event: string; type: string | null }> };

/** Structure only: classes and field names; maps without a class, and scalars, by kind. */
function shape(v: SerdesValue): unknown {
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyFloat) return 'number';
  if (isObject(v)) {
    if (typeof v.__enum__ === 'string') return `enum:${v.__enum__.split('.')[0]}`;
    if (typeof v.__class__ !== 'string') return 'map';
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape(v[k])]));
  }
  return v === null ? 'null' : typeof v === 'bigint' ? 'number' : typeof v;
}

const RUN = { runId: 'r', jobName: '__ASSET_JOB', pid: 1 };
const plain = (o: SerdesObject) => parsePyJson(pyJson(o));
// Python wraps the user error in DagsterExecutionStepExecutionError: two causes deep, as here
const err = serializableError(new Error('step failed', { cause: new Error('replay failed', { cause: new Error('no such file') }) }));

describe.each(GOLDEN_LINES.map((l) => [l]))('run events have the shapes Python Dagster %s writes', (line) => {
  const g = golden(line);
  const recorded = ['success', 'failure'].flatMap((n) => g.json<Recorded>(`events-${n}`).events);
  const python = (type: string | null) => parsePyJson(recorded.find((e) => e.type === type)!.event);
  it.each([
    ['PIPELINE_START', events.runStart(RUN, 1.5)],
    ['PIPELINE_SUCCESS', events.runSuccess(RUN, 1.5)],
    ['STEP_START', events.stepStart(RUN, 1.5, 'ope')],
    ['LOGS_CAPTURED', events.logsCaptured(RUN, 1.5, 'ope', ['ope'])],
    ['STEP_OUTPUT', events.stepOutput(RUN, 1.5, 'ope')],
    ['STEP_SUCCESS', events.stepSuccess(RUN, 1.5, 'ope', 12.5)],
    ['STEP_FAILURE', events.stepFailure(RUN, 1.5, 'replay', err)],
    ['ENGINE_EVENT', events.engine(RUN, 1.5, 'Executing steps', { pid: '1', step_keys: "['ope']" })],
    [null, events.log(RUN, 1.5, 20, 'working', 'ope')],
  ])('%s', (type, ours) => {
    expect(shape(plain(ours.entry))).toEqual(shape(python(type)));
  });

  it('PIPELINE_FAILURE with the first step failure and the error cause chain', () => {
    const step = events.stepFailure(RUN, 1.5, 'replay', err);
    const ours = events.runFailure(RUN, 1.5, 'failed', err, 'STEP_FAILURE', step.entry.dagster_event as SerdesObject);
    const specific = (e: SerdesValue) => ((e as SerdesObject).dagster_event as SerdesObject).event_specific_data as SerdesObject;
    const py = python('PIPELINE_FAILURE');
    if (line === '1.12') {
      // 1.12 leaves the run failure's error empty (it is in the first step failure); 1.13 copies
      // the step's error there, and so do we for every line: 1.12 reads the field and shows it
      expect(specific(py).error).toBeNull();
      const first = ((specific(py).first_step_failure_event as SerdesObject).event_specific_data as SerdesObject).error;
      specific(py).error = first as SerdesValue;
    }
    expect(shape(plain(ours.entry))).toEqual(shape(py));
    expect(specific(plain(ours.entry)).failure_reason).toEqual(specific(py).failure_reason);
    const cause = ((specific(plain(ours.entry)).error as SerdesObject).cause as SerdesObject).cause as SerdesObject;
    expect(cause.message).toBe('Error: no such file\n');
  });

  it('ASSET_MATERIALIZATION with one metadata entry class per value type', () => {
    const ours = events.materialization(
      RUN,
      1.5,
      'ingest_obp',
      {
        rows: { type: 'int', value: 10000 },
        estimate: { type: 'float', value: 0.0123 },
        winner: { type: 'text', value: 'arm-3' },
        table: { type: 'md', value: '| a |' },
        detail: { type: 'json', value: { p_best: [0.1, 0.9] } },
        path: { type: 'path', value: '/tmp/x' },
        url: { type: 'url', value: 'http://example.com' },
      },
      null,
    );
    const py = python('ASSET_MATERIALIZATION');
    const entries = (e: SerdesValue) =>
      ((((e as SerdesObject).dagster_event as SerdesObject).event_specific_data as SerdesObject).materialization as SerdesObject).metadata_entries as SerdesObject[];
    const byLabel = (list: SerdesObject[]) => Object.fromEntries(list.map((m) => [m.label as string, shape(m)]));
    expect(byLabel(entries(plain(ours.entry)))).toEqual(byLabel(entries(py)));
    expect(ours.assetKey).toBe('["ingest_obp"]');
    const { tags: _ours, ...rest } = shape(plain(ours.entry)) as Record<string, unknown>;
    expect(rest).toEqual((({ tags: _py, ...r }) => r)(shape(py) as Record<string, unknown>));
  });

  it('never writes a non-finite number as metadata (Dagster cannot read NaN back)', () => {
    const ours = events.materialization(
      RUN,
      1.5,
      'ope',
      {
        bootstrap: { type: 'int', value: NaN },
        estimate: { type: 'float', value: Infinity },
        low: { type: 'float', value: -Infinity },
        detail: { type: 'json', value: { ci: [NaN, 0.5, Infinity] } },
        fine: { type: 'float', value: 0.25 },
      },
      null,
    );
    const text = pyJson(ours.entry);
    // strict JSON: a bare NaN / Infinity token would not parse
    expect(() => JSON.parse(text)).not.toThrow();
    const list = ((((plain(ours.entry) as SerdesObject).dagster_event as SerdesObject).event_specific_data as SerdesObject).materialization as SerdesObject).metadata_entries as SerdesObject[];
    const data = Object.fromEntries(list.map((m) => [m.label as string, m.entry_data as SerdesObject]));
    expect(data.bootstrap).toEqual({ __class__: 'TextMetadataEntryData', text: 'NaN (not a finite number)' });
    expect(data.estimate).toEqual({ __class__: 'TextMetadataEntryData', text: 'Infinity (not a finite number)' });
    expect(data.low.__class__).toBe('TextMetadataEntryData');
    expect(data.detail.data).toEqual({ ci: [null, 0.5, null] });
    expect(data.fine).toEqual({ __class__: 'FloatMetadataEntryData', value: 0.25 });
  });

  it('writes dagster/column_schema as the TableSchema Python Dagster writes, and the code / data version tags', () => {
    const e = events.materialization(RUN, 1.5, 'ingest_obp', { 'dagster/row_count': { type: 'int', value: 5 }, 'dagster/column_schema': { type: 'table_schema', value: [{ name: 'a', type: 'int', description: 'd' }, { name: 'b', type: 'string' }] } }, null, dataVersionTags('1', 'abc', []));
    const m = (((plain(e.entry) as SerdesObject).dagster_event as SerdesObject).event_specific_data as SerdesObject).materialization as SerdesObject;
    // AssetMaterialization(metadata={"dagster/row_count": 5, "dagster/column_schema": TableSchema([TableColumn("a", "int", description="d"), TableColumn("b", "string")])}) in Dagster 1.13
    const python = parsePyJson(
      '[{"__class__": "EventMetadataEntry", "description": null, "entry_data": {"__class__": "IntMetadataEntryData", "value": 5}, "label": "dagster/row_count"}, {"__class__": "EventMetadataEntry", "description": null, "entry_data": {"__class__": "TableSchemaMetadataEntryData", "schema": {"__class__": "TableSchema", "columns": [{"__class__": "TableColumn", "constraints": {"__class__": "TableColumnConstraints", "nullable": true, "other": [], "unique": false}, "description": "d", "name": "a", "type": "int"}, {"__class__": "TableColumn", "constraints": {"__class__": "TableColumnConstraints", "nullable": true, "other": [], "unique": false}, "description": null, "name": "b", "type": "string"}], "constraints": {"__class__": "TableConstraints", "other": []}}}, "label": "dagster/column_schema"}]',
    );
    expect(m.metadata_entries).toEqual(python);
    expect(m.tags).toEqual({ 'dagster/code_version': '1', 'dagster/data_version': 'abc', 'dagster/data_version_is_user_provided': 'true' });
  });
  it('ASSET_CHECK_EVALUATION as Python writes it (severity WARN: our checks do not block), and the execution row it completes', () => {
    const rec = g.json<Recorded & { run_id: string; asset_check_executions: Array<Record<string, unknown>> }>('events-check');
    const py = parsePyJson(rec.events.find((e) => e.type === 'ASSET_CHECK_EVALUATION')!.event) as SerdesObject;
    const pyEvent = py.dagster_event as SerdesObject;
    const target = (pyEvent.event_specific_data as SerdesObject).target_materialization_data as SerdesObject;
    const ours = events.checkEvaluation(
      { runId: rec.run_id, jobName: '__ephemeral_asset_job__', pid: 1 },
      1,
      'replay',
      { name: 'matched_rows', passed: false, description: 'men matched 0 rows', metadata: { 'men.matched_rows': { type: 'int', value: 0 } } },
      { storageId: target.storage_id as number, timestamp: target.timestamp instanceof PyFloat ? target.timestamp.value : (target.timestamp as number) },
    );
    const mine = plain(ours.entry) as SerdesObject;
    const data = (mine.dagster_event as SerdesObject).event_specific_data as SerdesObject;
    expect({ ...data, severity: null }).toEqual({ ...(pyEvent.event_specific_data as SerdesObject), severity: null });
    expect(data.severity).toEqual({ __enum__: 'AssetCheckSeverity.WARN' });
    expect((mine.dagster_event as SerdesObject).message).toBe(pyEvent.message);
    const row = rec.asset_check_executions[0];
    expect(ours.check).toEqual({ assetKey: row.asset_key, name: row.check_name, passed: row.execution_status === 'SUCCEEDED', partition: row.partition, materializationStorageId: row.materialization_event_storage_id });
  });
});
