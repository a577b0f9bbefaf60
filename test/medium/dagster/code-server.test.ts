/**
 * The code server bound on port 0 and called like the Dagster host calls it: a real
 * @grpc/grpc-js client with gzip, and raw HTTP/2 frames for what a client library would not
 * send (a gzip-compressed frame by hand, a truncated frame). Malformed payloads get a gRPC
 * status and the server keeps answering.
 */
import * as grpc from '@grpc/grpc-js';
import * as http2 from 'node:http2';
import * as zlib from 'node:zlib';
import { startCodeServer, type CodeServerHandle } from '../../../src/dagster/code-server';
import { DAGSTER_API_RPCS, dagsterApiClient, healthClient, loadProtos } from '../../../src/dagster/proto';
import { RunManager } from '../../../src/dagster/run-launcher';
import { parsePyJson, pyJson, type SerdesObject } from '../../../src/dagster/serdes';
import { golden } from '../../support/dagster-golden';
import { POSTGRES_URL } from '../../support/env';

type Reply = Record<string, unknown>;
const protocolLog: string[] = [];
type AnyClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

const ORIGIN = JSON.stringify({
  __class__: 'ExternalRepositoryOrigin',
  repository_location_origin: { __class__: 'GrpcServerRepositoryLocationOrigin', host: 'localhost', location_name: 'bandit-pipeline', port: 4000, socket: null },
  repository_name: '__repository__',
});

const CONTEXT = { k8s: { namespace: 'datasci', env_config_maps: ['bandit-pipeline-env'], resources: { limits: { memory: '6Gi' } } } };

let server: CodeServerHandle;
let client: AnyClient;
let address: string;

function call(method: string, req: object, c: AnyClient = client): Promise<Reply> {
  return new Promise((resolve, reject) => c[method](req, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, res: Reply) => (err ? reject(err) : resolve(res))));
}

function stream(method: string, req: object): Promise<Reply[]> {
  return new Promise((resolve, reject) => {
    const out: Reply[] = [];
    const s = client[method](req) as grpc.ClientReadableStream<Reply>;
    s.on('data', (d: Reply) => out.push(d));
    s.on('error', reject);
    s.on('end', () => resolve(out));
  });
}

async function expectStatus(p: Promise<unknown>, code: grpc.status, detail?: RegExp) {
  const err = (await p.then(
    () => {
      throw new Error('expected a gRPC error');
    },
    (e: grpc.ServiceError) => e,
  )) as grpc.ServiceError;
  expect(grpc.status[err.code]).toBe(grpc.status[code]);
  if (detail) expect(err.details).toMatch(detail);
}

/** One unary call over raw HTTP/2: `frame` is the full gRPC message frame (flag, length, body). */
function rawCall(path: string, frame: Buffer, headers: Record<string, string> = {}): Promise<{ status: string | undefined; message: string | undefined; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://${address}`);
    session.on('error', reject);
    const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...headers });
    const chunks: Buffer[] = [];
    let trailers: http2.IncomingHttpHeaders = {};
    let head: http2.IncomingHttpHeaders = {};
    req.on('response', (h) => (head = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      session.close();
      const t = { ...head, ...trailers };
      resolve({ status: t['grpc-status'] as string | undefined, message: t['grpc-message'] as string | undefined, body: Buffer.concat(chunks) });
    });
    req.end(frame);
  });
}

/** protobuf of a message with one string field #1. */
const stringField1 = (s: string) => {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([0x0a]), varint(b.length), b]);
};
function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
const frame = (body: Buffer, compressed: boolean, declaredLength = body.length) => {
  const h = Buffer.alloc(5);
  h[0] = compressed ? 1 : 0;
  h.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([h, body]);
};

beforeAll(async () => {
  const runs = new RunManager({
    pipeline: async () => {
      throw new Error('no pipeline in this test');
    },
    env: () => undefined,
    log: { info: () => undefined, error: () => undefined },
  });
  server = await startCodeServer({ host: '127.0.0.1', port: 0, runs, log: (m) => protocolLog.push(m), info: { entryPoint: ['bandit', 'dagster'], containerImage: 'example/image:1', containerContext: CONTEXT, dagsterVersion: '1.13.27' } });
  address = `127.0.0.1:${server.port}`;
  client = dagsterApiClient(address, { 'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip, 'grpc.default_compression_level': 2 }) as AnyClient;
});

afterAll(async () => {
  client.close();
  await server.close(1000);
});

describe('code server over real gRPC', () => {
  it('handles exactly the RPCs of the proto', () => {
    expect(Object.keys(loadProtos().dagster).sort()).toEqual([...DAGSTER_API_RPCS].sort());
    expect([...DAGSTER_API_RPCS]).toHaveLength(28);
  });

  it('answers Ping, Heartbeat and GetServerId with a gzip-compressing client', async () => {
    expect(await call('Ping', { echo: 'hello' })).toMatchObject({ echo: 'hello' });
    expect(await call('Heartbeat', { echo: 'beat' })).toMatchObject({ echo: 'beat' });
    const a = await call('GetServerId', {});
    expect(a.server_id).toBe(server.api.serverId);
    expect((await call('GetServerId', {})).server_id).toBe(a.server_id);
  });

  it('accepts a hand-made gzip-compressed frame (grpc-encoding: gzip)', async () => {
    const body = zlib.gzipSync(stringField1('compressed-echo'));
    const res = await rawCall('/api.DagsterApi/Ping', frame(body, true), { 'grpc-encoding': 'gzip', 'grpc-accept-encoding': 'gzip,identity' });
    expect(res.status).toBe('0');
    expect(res.body.toString('latin1')).toContain('compressed-echo');
  });

  it('answers a truncated frame with an error status, then keeps serving', async () => {
    const body = stringField1('cut short');
    const res = await rawCall('/api.DagsterApi/Ping', frame(body.subarray(0, 4), false, body.length));
    expect(res.status).not.toBe('0');
    const bad = await rawCall('/api.DagsterApi/Ping', frame(Buffer.from([0x0a, 0x80]), false));
    expect(bad.status).not.toBe('0');
    expect(await call('Ping', { echo: 'still here' })).toMatchObject({ echo: 'still here' });
  });

  it('lists the repository with entry point and image', async () => {
    const res = parsePyJson(String((await call('ListRepositories', {})).serialized_list_repositories_response_or_error)) as SerdesObject;
    expect(res.__class__).toBe('ListRepositoriesResponse');
    expect(res.entry_point).toEqual(['bandit', 'dagster']);
    expect(res.container_image).toBe('example/image:1');
    expect(res.container_context).toEqual(CONTEXT);
    const image = parsePyJson(String((await call('GetCurrentImage', {})).serialized_current_image)) as SerdesObject;
    expect(image).toMatchObject({ __class__: 'GetCurrentImageResult', current_image: 'example/image:1' });
  });

  it('streams the repository snapshot in chunks equal to the unary reply', async () => {
    const unary = String((await call('ExternalRepository', { serialized_repository_python_origin: ORIGIN, defer_snapshots: false })).serialized_external_repository_data);
    const chunks = await stream('StreamingExternalRepository', { serialized_repository_python_origin: ORIGIN, defer_snapshots: false });
    expect(chunks.map((c) => c.sequence_number)).toEqual(chunks.map((_, i) => i));
    expect(chunks.map((c) => c.serialized_external_repository_chunk).join('')).toBe(unary);
    expect((parsePyJson(unary) as SerdesObject).__class__).toBe('ExternalRepositoryData');
  });

  it('answers an unknown repository or job with Dagster error data, not a crash', async () => {
    const other = ORIGIN.replace('"__repository__"', '"nope"');
    const repo = parsePyJson(String((await call('ExternalRepository', { serialized_repository_python_origin: other })).serialized_external_repository_data)) as SerdesObject;
    expect(repo.__class__).toBe('ExternalRepositoryErrorData');
    const job = await call('ExternalJob', { serialized_repository_origin: ORIGIN, job_name: 'other_job' });
    expect(job.serialized_job_data).toBe('');
    expect(String(job.serialized_error)).toContain('other_job');
  });

  it.each([
    ['ExternalRepository', { serialized_repository_python_origin: '{"__class__": "ExternalRepositoryOrigin", ' }, /malformed Dagster payload/],
    ['ExternalRepository', { serialized_repository_python_origin: '{"__class__": "PipelineRun"}' }, /expected ExternalRepositoryOrigin, got PipelineRun/],
    ['ExternalJob', { serialized_repository_origin: '', job_name: '__ASSET_JOB' }, /empty payload/],
    ['ExternalPipelineSubsetSnapshot', { serialized_pipeline_subset_snapshot_args: '[1, 2]' }, /expected an object/],
    ['ExecutionPlanSnapshot', { serialized_execution_plan_snapshot_args: 'NaN' }, /expected an object/],
    ['StartRun', { serialized_execute_run_args: '{"__class__": "ExecuteExternalPipelineArgs"}' }, /pipeline_origin/],
    ['CancelExecution', { serialized_cancel_execution_request: '{"__class__": "CancelExecutionRequest", "run_id": 5}' }, /run_id: expected a string/],
    ['CanCancelExecution', { serialized_can_cancel_execution_request: 'garbage' }, /malformed/],
  ])('%s with a malformed payload → INVALID_ARGUMENT', async (method, req, detail) => {
    await expectStatus(call(method, req), grpc.status.INVALID_ARGUMENT, detail);
    expect(await call('Ping', { echo: 'ok' })).toMatchObject({ echo: 'ok' });
  });

  it('answers UNIMPLEMENTED for notebooks', async () => {
    await expectStatus(call('ExternalNotebookData', {}), grpc.status.UNIMPLEMENTED);
  });

  it('answers the partition-set RPCs of ingest_obp\'s partitions (unary and streaming), and refuses a malformed request', async () => {
    const set = `"partition_set_name": "__ASSET_JOB_partition_set", "repository_origin": ${ORIGIN}`;
    const names = parsePyJson(String((await call('ExternalPartitionNames', { serialized_partition_names_args: `{"__class__": "PartitionNamesArgs", "job_name": "__ASSET_JOB", ${set}}` }))
      .serialized_external_partition_names_or_external_partition_execution_error)) as SerdesObject;
    expect(names).toEqual({ __class__: 'ExternalPartitionNamesData', partition_names: ['all|random', 'all|bts', 'men|random', 'men|bts', 'women|random', 'women|bts'] });
    const args = (key: string) => ({ serialized_partition_args: `{"__class__": "PartitionArgs", "instance_ref": null, "job_name": "__ASSET_JOB", "partition_name": "${key}", ${set}}` });
    const tags = parsePyJson(String((await call('ExternalPartitionTags', args('men|bts'))).serialized_external_partition_tags_or_external_partition_execution_error)) as SerdesObject;
    expect(tags.tags).toMatchObject({ 'dagster/partition': 'men|bts', 'dagster/partition/campaign': 'men', 'dagster/partition/policy': 'bts' });
    const config = parsePyJson(String((await call('ExternalPartitionConfig', args('kids|bts'))).serialized_external_partition_config_or_external_partition_execution_error)) as SerdesObject;
    expect(config.__class__).toBe('ExternalPartitionExecutionErrorData');
    const chunks = await stream('ExternalPartitionSetExecutionParams', {
      serialized_partition_set_execution_param_args: `{"__class__": "PartitionSetExecutionParamArgs", "instance_ref": null, "partition_names": ["men|bts", "women|random"], ${set}}`,
    });
    const params = parsePyJson(chunks.map((c) => c.serialized_chunk).join('')) as SerdesObject;
    expect((params.partition_data as SerdesObject[]).map((p) => p.name)).toEqual(['men|bts', 'women|random']);
    await expectStatus(call('ExternalPartitionNames', { serialized_partition_names_args: '{}' }), grpc.status.INVALID_ARGUMENT);
  });

  const scheduleArgs = (name: string) =>
    `{"__class__": "ExternalScheduleExecutionArgs", "instance_ref": null, "log_key": [], "repository_origin": ${ORIGIN}, "schedule_name": "${name}", "scheduled_execution_timestamp": 1795900000.0, "scheduled_execution_timezone": "UTC", "timeout": null}`;
  const sensorArgs = (cursor: string | null) =>
    `{"__class__": "SensorExecutionArgs", "cursor": ${cursor === null ? 'null' : `"${cursor}"`}, "instance_ref": null, "last_completion_time": null, "last_run_key": null, "last_sensor_start_time": null, "last_tick_completion_time": null, "log_key": [], "repository_origin": ${ORIGIN}, "sensor_name": "obp_logs_sensor", "timeout": 60}`;

  it('evaluates the daily schedule (sync and streaming): a run request for ope + conclude', async () => {
    const sync = parsePyJson(String((await call('SyncExternalScheduleExecution', { serialized_external_schedule_execution_args: scheduleArgs('daily_ope_conclude') })).serialized_schedule_result)) as SerdesObject;
    expect(sync.__class__).toBe('ScheduleExecutionData');
    const req = (sync.run_requests as SerdesObject[])[0];
    expect((req.asset_selection as SerdesObject[]).map((k) => (k.path as string[])[0])).toEqual(['ope', 'conclude']);
    expect(req.tags).toEqual({ 'dagster/schedule_name': 'daily_ope_conclude' });
    const chunks = await stream('ExternalScheduleExecution', { serialized_external_schedule_execution_args: scheduleArgs('daily_ope_conclude') });
    expect(parsePyJson(chunks.map((c) => String(c.serialized_chunk)).join(''))).toEqual(sync);
    const missing = parsePyJson(String((await call('SyncExternalScheduleExecution', { serialized_external_schedule_execution_args: scheduleArgs('nope') })).serialized_schedule_result)) as SerdesObject;
    expect(missing.__class__).toBe('ExternalScheduleExecutionErrorData');
    await expectStatus(call('SyncExternalScheduleExecution', { serialized_external_schedule_execution_args: '{"__class__": "Nope"}' }), grpc.status.INVALID_ARGUMENT);
  });

  it('says once, in its log, that a request comes from another Dagster version, and still answers', async () => {
    protocolLog.length = 0;
    const newer = sensorArgs('c1').replace('"timeout": 60', '"timeout": 60, "tick_budget": 5');
    for (let i = 0; i < 2; i++) {
      const res = parsePyJson(String((await call('SyncExternalSensorExecution', { serialized_external_sensor_execution_args: newer })).serialized_sensor_result)) as SerdesObject;
      expect(res.__class__).toBe('SensorExecutionData');
    }
    expect(protocolLog).toHaveLength(1);
    expect(protocolLog[0]).toMatch(/^unsupported Dagster version: the webserver \/ daemon sent SensorExecutionArgs with fields Dagster 1\.13 does not have: tick_budget\. This code server speaks the protocol of Dagster 1\.13\.27/);
    const older = scheduleArgs('daily_ope_conclude').replace('"log_key": [], ', '');
    await call('SyncExternalScheduleExecution', { serialized_external_schedule_execution_args: older });
    expect(protocolLog[1]).toContain('fields Dagster 1.13 always sends missing: log_key');
  });

  it('evaluates the sensor: skips without an OBD folder, keeping the cursor', async () => {
    const res = parsePyJson(String((await call('SyncExternalSensorExecution', { serialized_external_sensor_execution_args: sensorArgs('c1') })).serialized_sensor_result)) as SerdesObject;
    expect(res).toMatchObject({ __class__: 'SensorExecutionData', run_requests: [], cursor: 'c1', skip_message: expect.stringContaining('BANDIT_OBD_PATH') });
  });

  it('reports no current runs and refuses to cancel unknown ones', async () => {
    const runs = parsePyJson(String((await call('GetCurrentRuns', {})).serialized_current_runs)) as SerdesObject;
    expect(runs).toMatchObject({ __class__: 'GetCurrentRunsResult', current_runs: [] });
    const can = parsePyJson(String((await call('CanCancelExecution', { serialized_can_cancel_execution_request: '{"__class__": "CanCancelExecutionRequest", "run_id": "r1"}' })).serialized_can_cancel_execution_result));
    expect(can).toEqual({ __class__: 'CanCancelExecutionResult', can_cancel: false });
    const cancel = parsePyJson(String((await call('CancelExecution', { serialized_cancel_execution_request: '{"__class__": "CancelExecutionRequest", "run_id": "r1"}' })).serialized_cancel_execution_result)) as SerdesObject;
    expect(cancel.success).toBe(false);
  });

  it('StartRun answers success=false (not a crash, no run kept) when the instance storage is unusable', async () => {
    const data = (cls: string, yaml: string, module = 'dagster_postgres') => ({ __class__: 'ConfigurableClassData', class_name: cls, config_yaml: yaml, module_name: module });
    const yaml = `postgres_url: ${POSTGRES_URL}\n`;
    const args = {
      __class__: 'ExecuteExternalPipelineArgs',
      instance_ref: { __class__: 'InstanceRef', event_storage_data: data('PostgresEventLogStorage', yaml), run_storage_data: data('PostgresRunStorage', yaml) },
      pipeline_origin: { __class__: 'ExternalPipelineOrigin', external_repository_origin: JSON.parse(ORIGIN) as SerdesObject, pipeline_name: '__ASSET_JOB' },
      pipeline_run_id: 'run-without-dagster-tables',
    };
    const res = parsePyJson(String((await call('StartRun', { serialized_execute_run_args: pyJson(args) })).serialized_start_run_result)) as SerdesObject;
    expect(res.__class__).toBe('StartRunResult');
    expect(res.success).toBe(false);
    expect(String(res.message)).toContain('cannot use the Dagster Postgres storage');
    const runs = parsePyJson(String((await call('GetCurrentRuns', {})).serialized_current_runs)) as SerdesObject;
    expect(runs.current_runs).toEqual([]);
    const wrongJob = { ...args, pipeline_origin: { ...args.pipeline_origin, pipeline_name: 'other' } };
    await expectStatus(call('StartRun', { serialized_execute_run_args: pyJson(wrongJob) }), grpc.status.NOT_FOUND, /no job other/);
  });

  it('streams StreamingPing and survives a client cancelling mid-stream', async () => {
    const all = await stream('StreamingPing', { sequence_length: 5, echo: 'x' });
    expect(all.map((e) => e.sequence_number)).toEqual([0, 1, 2, 3, 4]);
    const s = client.StreamingPing({ sequence_length: 100_000, echo: 'y'.repeat(1000) }) as grpc.ClientReadableStream<Reply>;
    await new Promise<void>((resolve) => {
      s.once('data', () => {
        s.cancel();
        resolve();
      });
    });
    s.on('error', () => undefined);
    expect(await call('Ping', { echo: 'after cancel' })).toMatchObject({ echo: 'after cancel' });
  });

  it('ShutdownServer: replies, refuses new runs, turns health NOT_SERVING and lets the owner stop', async () => {
    let stopRequested = false;
    const runs = new RunManager({ pipeline: async () => Promise.reject(new Error('unused')), env: () => undefined, log: { info: () => undefined, error: () => undefined } });
    const other = await startCodeServer({
      host: '127.0.0.1',
      port: 0,
      runs,
      info: { entryPoint: ['bandit', 'dagster'], containerImage: 'x', dagsterVersion: '1.13.27' },
      onShutdownRequested: () => (stopRequested = true),
    });
    const c = dagsterApiClient(`127.0.0.1:${other.port}`) as AnyClient;
    const h = healthClient(`127.0.0.1:${other.port}`) as AnyClient;
    try {
      const res = parsePyJson(String((await call('ShutdownServer', {}, c)).serialized_shutdown_server_result));
      expect(res).toEqual({ __class__: 'ShutdownServerResult', serializable_error_info: null, success: true });
      await new Promise((r) => setTimeout(r, 50));
      expect(stopRequested).toBe(true);
      expect(await call('Check', { service: '' }, h)).toEqual({ status: 'NOT_SERVING' });
      const start = parsePyJson(String((await call('StartRun', { serialized_execute_run_args: '{}' }, c)).serialized_start_run_result)) as SerdesObject;
      expect(start.success).toBe(false);
      expect(String(start.message)).toContain('shut down');
    } finally {
      c.close();
      h.close();
      await other.close(100);
    }
  });

  it('on close, cancels runs still going after the grace period; each records CANCELED', async () => {
    const stored: Array<{ type: string | null; message: unknown }> = [];
    const storage = {
      description: 'memory',
      getRun: async () => ({ body: parsePyJson('{"__class__": "PipelineRun", "pipeline_name": "__ASSET_JOB", "run_config": {}}') as SerdesObject, status: 'STARTING' }),
      storeEvent: async (e: { type: string | null; entry: SerdesObject }) => {
        stored.push({ type: e.type, message: e.entry.user_message });
        return null;
      },
      latestMaterialization: async () => null,
      materializationOf: async () => null,
      stepsInProgress: async () => [],
      close: async () => undefined,
    };
    const runs = new RunManager({
      pipeline: async () => ({
        run: (_key, ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))),
      }),
      env: () => undefined,
      log: { info: () => undefined, error: () => undefined },
      openStorage: async () => storage,
    });
    const other = await startCodeServer({ host: '127.0.0.1', port: 0, runs, info: { entryPoint: ['bandit', 'dagster'], containerImage: 'x', dagsterVersion: '1.13.27' } });
    const c = dagsterApiClient(`127.0.0.1:${other.port}`) as AnyClient;
    try {
      const sqlite = (cls: string, dir: string) => ({ __class__: 'ConfigurableClassData', class_name: cls, config_yaml: `base_dir: ${dir}\n`, module_name: 'dagster.core.storage' });
      const args = {
        __class__: 'ExecuteExternalPipelineArgs',
        instance_ref: { __class__: 'InstanceRef', event_storage_data: sqlite('SqliteEventLogStorage', '/h/history/runs/'), run_storage_data: sqlite('SqliteRunStorage', '/h/history/') },
        pipeline_origin: { __class__: 'ExternalPipelineOrigin', external_repository_origin: JSON.parse(ORIGIN) as SerdesObject, pipeline_name: '__ASSET_JOB' },
        pipeline_run_id: 'long-run',
      };
      const res = parsePyJson(String((await call('StartRun', { serialized_execute_run_args: pyJson(args) }, c)).serialized_start_run_result)) as SerdesObject;
      expect(res.success).toBe(true);
      const can = parsePyJson(String((await call('CanCancelExecution', { serialized_can_cancel_execution_request: '{"__class__": "CanCancelExecutionRequest", "run_id": "long-run"}' }, c)).serialized_can_cancel_execution_result));
      expect(can).toEqual({ __class__: 'CanCancelExecutionResult', can_cancel: true });
      expect((parsePyJson(String((await call('GetCurrentRuns', {}, c)).serialized_current_runs)) as SerdesObject).current_runs).toEqual(['long-run']);
    } finally {
      c.close();
      await other.close(200);
    }
    expect(stored.at(-1)).toEqual({ type: 'PIPELINE_CANCELED', message: 'Execution of run for "__ASSET_JOB" canceled (the code server is shutting down).' });
    expect(runs.currentRuns()).toEqual([]);
  });

  it('answers in the shapes of the Dagster line it is set to (1.12 here, 1.13 by default), and logs a third as one line', async () => {
    const log: string[] = [];
    const runs = new RunManager({ pipeline: async () => Promise.reject(new Error('unused')), env: () => undefined, log: { info: () => undefined, error: () => undefined } });
    const old = await startCodeServer({ host: '127.0.0.1', port: 0, runs, log: (m) => log.push(m), info: { entryPoint: ['bandit', 'dagster'], containerImage: 'x', dagsterVersion: '1.12.22' } });
    const c = dagsterApiClient(`127.0.0.1:${old.port}`, { 'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip }) as AnyClient;
    const nodes = async (cl: AnyClient) =>
      (parsePyJson(String((await call('ExternalRepository', { serialized_repository_python_origin: ORIGIN, defer_snapshots: true }, cl)).serialized_external_repository_data)) as SerdesObject)
        .external_asset_graph_data as SerdesObject[];
    const ingest = (list: SerdesObject[]) => list.find((n) => (n.asset_key as SerdesObject).path?.toString() === 'ingest_obp')!;
    const downstream = (n: SerdesObject) => (n.depended_by as SerdesObject[]).map((d) => (d.downstream_asset_key as SerdesObject).path);
    const source = async (cl: AnyClient) => {
      const args = pyJson(golden('1.12').fixture('ope_conclude_execution_plan_args'));
      const plan = parsePyJson(String((await call('ExecutionPlanSnapshot', { serialized_execution_plan_snapshot_args: args }, cl)).serialized_execution_plan_snapshot)) as SerdesObject;
      // conclude's input from replay, which is not in the plan
      return ((plan.steps as SerdesObject[])[0].inputs as SerdesObject[]).find((i) => i.name === 'replay')!.source as SerdesObject;
    };
    try {
      expect(old.api.line).toBe('1.12');
      const listed = parsePyJson(String((await call('ListRepositories', {}, c)).serialized_list_repositories_response_or_error)) as SerdesObject;
      expect(listed.dagster_library_versions).toEqual({ dagster: '1.12.22' });
      // 1.12: downstream assets listed, no is_virtual; FromSourceAsset without ordering_step_keys
      expect(downstream(ingest(await nodes(c)))).toEqual([['ope'], ['replay']]);
      expect('is_virtual' in ingest(await nodes(c))).toBe(false);
      expect(Object.keys(await source(c)).sort()).toEqual(['__class__', 'input_name', 'solid_handle']);
      // 1.13 (the main server of this file): the other way round
      expect(downstream(ingest(await nodes(client)))).toEqual([]);
      expect(ingest(await nodes(client)).is_virtual).toBe(false);
      expect(await source(client)).toHaveProperty('ordering_step_keys', { __frozenset__: [] });
      // a host of a third line (a fake 1.14 field): answered, and one log line naming what is spoken
      const newer = sensorArgs('c1').replace('"timeout": 60', '"timeout": 60, "tick_budget": 5');
      for (let i = 0; i < 2; i++) await call('SyncExternalSensorExecution', { serialized_external_sensor_execution_args: newer }, c);
      expect(log).toEqual([expect.stringMatching(/^unsupported Dagster version: .*tick_budget\. This code server speaks the protocol of Dagster 1\.12\.22 \(BANDIT_DAGSTER_VERSION=1\.12; supported: 1\.12\.x, 1\.13\.x\)/)]);
    } finally {
      c.close();
      await old.close(100);
    }
    const runs2 = new RunManager({ pipeline: async () => Promise.reject(new Error('unused')), env: () => undefined, log: { info: () => undefined, error: () => undefined } });
    await expect(startCodeServer({ host: '127.0.0.1', port: 0, runs: runs2, info: { entryPoint: ['bandit', 'dagster'], containerImage: 'x', dagsterVersion: '1.14.0' } })).rejects.toThrow(
      'unsupported Dagster version "1.14.0": this code server speaks Dagster 1.12.x, 1.13.x',
    );
  });

  it('serves grpc.health.v1 Check: SERVING, and NOT_FOUND for an unknown service', async () => {
    const h = healthClient(address) as AnyClient;
    try {
      expect(await call('Check', { service: '' }, h)).toEqual({ status: 'SERVING' });
      expect(await call('Check', { service: 'api.DagsterApi' }, h)).toEqual({ status: 'SERVING' });
      await expectStatus(call('Check', { service: 'nope' }, h), grpc.status.NOT_FOUND);
      const watch = h.Watch({ service: '' }) as grpc.ClientReadableStream<Reply>;
      const first = await new Promise<Reply>((resolve, reject) => {
        watch.once('data', resolve);
        watch.once('error', reject);
      });
      expect(first).toEqual({ status: 'SERVING' });
      watch.on('error', () => undefined);
      watch.cancel();
    } finally {
      h.close();
    }
  });
});
