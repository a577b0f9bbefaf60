/**
 * The OBD sensor on the object store: the code server, bound on port 0, watches the bronze
 * prefix `s3://<bucket>/raw/obp` of moto's S3-compatible server and is evaluated over gRPC as
 * the Dagster daemon evaluates it (SyncExternalSensorExecution / ExternalSensorExecution,
 * cursor handed back each tick). A log uploaded to the bucket starts exactly one run; an
 * unchanged bucket, the same bytes uploaded again, or objects outside the OBD layout none. And
 * ingest_obp reads the logs from that prefix, leaving the bronze objects as they were.
 */
import * as grpc from '@grpc/grpc-js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCodeServer, type CodeServerHandle } from '../../../src/dagster/code-server';
import { dagsterApiClient } from '../../../src/dagster/proto';
import { RunManager } from '../../../src/dagster/run-launcher';
import { parsePyJson, type SerdesObject } from '../../../src/dagster/serdes';
import { createPipeline } from '../../../src/pipeline';
import type { IngestResult } from '../../../src/pipeline/ingest-obp';
import { MinioObjectStore, type ObjectInfo } from '../../../src/object-store';
import { describeIf, hasPeer } from '../../support/env';
import { obdShaped } from '../../support/obd';
import { recordingContext, smallObd, tempConfig } from '../pipeline/helpers';
import { startMoto, type Peer } from '../pipeline/peers';

jest.setTimeout(300_000);

type AnyClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;
const BUCKET = 'bandit-sensor';
const OBD_URI = `s3://${BUCKET}/raw/obp`;

const sensorArgs = (cursor: string | null) =>
  JSON.stringify({
    __class__: 'SensorExecutionArgs',
    cursor,
    instance_ref: null,
    last_completion_time: null,
    last_run_key: null,
    last_sensor_start_time: null,
    last_tick_completion_time: null,
    log_key: [],
    repository_origin: {
      __class__: 'ExternalRepositoryOrigin',
      repository_location_origin: { __class__: 'GrpcServerRepositoryLocationOrigin', host: 'localhost', location_name: 'bandit-pipeline', port: 4000, socket: null },
      repository_name: '__repository__',
    },
    sensor_name: 'obp_logs_sensor',
    timeout: 60,
  });

describeIf(() => hasPeer('moto'))('the OBD sensor on an S3 bucket (moto), evaluated over gRPC', () => {
  let moto: Peer;
  let store: MinioObjectStore;
  let server: CodeServerHandle;
  let client: AnyClient;
  let obd: string;
  let cursor: string | null = null;

  /** One daemon tick: evaluates the sensor with the cursor of the last tick, keeps the new one. */
  async function tick(streaming = false): Promise<{ requests: SerdesObject[]; skip: string | null }> {
    const req = { serialized_external_sensor_execution_args: sensorArgs(cursor) };
    const text = streaming
      ? await new Promise<string>((resolve, reject) => {
          const chunks: string[] = [];
          const s = client.ExternalSensorExecution(req) as grpc.ClientReadableStream<{ serialized_chunk: string }>;
          s.on('data', (d: { serialized_chunk: string }) => chunks.push(d.serialized_chunk));
          s.on('error', reject);
          s.on('end', () => resolve(chunks.join('')));
        })
      : await new Promise<string>((resolve, reject) =>
          client.SyncExternalSensorExecution(req, { deadline: Date.now() + 30_000 }, (err: grpc.ServiceError | null, res: { serialized_sensor_result: string }) =>
            err ? reject(err) : resolve(res.serialized_sensor_result),
          ),
        );
    const data = parsePyJson(text) as SerdesObject;
    expect(data.__class__).toBe('SensorExecutionData');
    cursor = (data.cursor as string | null) ?? null;
    return { requests: data.run_requests as SerdesObject[], skip: data.skip_message as string | null };
  }

  const upload = (key: string, file: string) => store.putFile(key, file);
  const info = async (key: string): Promise<ObjectInfo | undefined> => (await store.listObjects(key)).find((o) => o.key === key);

  beforeAll(async () => {
    moto = await startMoto();
    store = new MinioObjectStore({ endPoint: '127.0.0.1', port: moto.port, useSSL: false, accessKey: 'testing', secretKey: 'testing', bucket: BUCKET, region: 'us-east-1' }, fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-s3-cache-')));
    const runs = new RunManager({
      pipeline: async () => {
        throw new Error('no pipeline in this test');
      },
      env: () => undefined,
      log: { info: () => undefined, error: () => undefined },
    });
    server = await startCodeServer({
      host: '127.0.0.1',
      port: 0,
      runs,
      info: { entryPoint: ['bandit', 'dagster'], containerImage: 'x', dagsterVersion: '1.13.27', automation: { scheduleCron: '0 3 * * *', obdPath: OBD_URI, store } },
    });
    client = dagsterApiClient(`127.0.0.1:${server.port}`, { 'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip }) as AnyClient;
    obd = smallObd(await obdShaped(), ['men', 'women'], 1500);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await server?.close(1000);
    await moto?.stop();
    if (obd) fs.rmSync(obd, { recursive: true, force: true });
  });

  it('starts exactly one run per new state of the bucket, none while it is unchanged', async () => {
    let t = await tick();
    expect(t.requests).toEqual([]);
    expect(t.skip).toContain(`no <behavior>/<campaign>/*.csv logs in ${OBD_URI}`);

    // a log lands in the bronze prefix: one run of ingest_obp, keyed by the new cursor
    await upload('raw/obp/random/men/item_context.csv', path.join(obd, 'random/men/item_context.csv'));
    await upload('raw/obp/random/men/men.csv', path.join(obd, 'random/men/men.csv'));
    t = await tick();
    expect(t.requests).toHaveLength(1);
    expect((t.requests[0].asset_selection as SerdesObject[]).map((k) => (k.path as string[])[0])).toEqual(['ingest_obp']);
    expect(t.requests[0].run_key).toBe(cursor!.slice(0, 32));
    expect(t.requests[0].tags).toEqual({ 'dagster/sensor_name': 'obp_logs_sensor' });
    const afterFirst = cursor;

    // nothing new: no run, on either RPC
    for (const streaming of [false, true]) {
      t = await tick(streaming);
      expect(t.requests).toEqual([]);
      expect(t.skip).toBe(`no new logs in ${OBD_URI} (2 files unchanged)`);
      expect(cursor).toBe(afterFirst);
    }
    // the same bytes uploaded again (same ETag), and objects outside the OBD layout: no run
    await upload('raw/obp/random/men/men.csv', path.join(obd, 'random/men/men.csv'));
    await store.put('raw/obp/README.txt', 'not a log');
    await store.put('raw/obp/other/men/men.csv', 'not a behavior policy');
    await store.put('silver/obp/manifest.json', '{}');
    expect((await tick()).requests).toEqual([]);

    // a second campaign lands: one run, then quiet again
    await upload('raw/obp/random/women/item_context.csv', path.join(obd, 'random/women/item_context.csv'));
    await upload('raw/obp/random/women/women.csv', path.join(obd, 'random/women/women.csv'));
    t = await tick(true);
    expect(t.requests).toHaveLength(1);
    expect(cursor).not.toBe(afterFirst);
    expect((await tick()).requests).toEqual([]);

    // a rewritten log of the same size (two rows swapped: new content, new ETag): one run
    const lines = fs.readFileSync(path.join(obd, 'random/women/women.csv'), 'utf8').split('\n');
    [lines[1], lines[2]] = [lines[2], lines[1]];
    expect(lines.join('\n')).not.toBe(fs.readFileSync(path.join(obd, 'random/women/women.csv'), 'utf8'));
    await store.put('raw/obp/random/women/women.csv', lines.join('\n'));
    expect((await info('raw/obp/random/women/women.csv'))?.size).toBe(fs.statSync(path.join(obd, 'random/women/women.csv')).size);
    expect((await tick()).requests).toHaveLength(1);
    expect((await tick()).requests).toEqual([]);
  });

  it('ingest_obp reads the logs from the bucket prefix, leaves the bronze objects untouched, and the sensor stays quiet', async () => {
    const env = tempConfig({ MINIO_ENDPOINT: `http://127.0.0.1:${moto.port}`, MINIO_ACCESS_KEY: 'testing', MINIO_SECRET_KEY: 'testing', MINIO_BUCKET: BUCKET, BANDIT_OBD_PATH: OBD_URI });
    try {
      expect(env.config.obdPath).toBe(OBD_URI);
      const before = await store.listObjects('raw/obp/');
      const p = await createPipeline(env.config);
      const ctx = recordingContext();
      const result = (await p.run('ingest_obp', ctx, {})).value as IngestResult;
      const again = (await p.run('ingest_obp', recordingContext(), {})).value as IngestResult;
      const slice = (await p.run('ingest_obp', recordingContext(), { campaigns: ['men'], behaviors: ['random'] })).value as IngestResult;
      await p.close();
      expect(ctx.lines).toContain(`read 4 OBD log files from ${OBD_URI}`);
      expect(result.datasets.map((d) => [`${d.behavior}/${d.campaign}`, d.status, d.rows])).toEqual([
        ['random/men', 'written', 1500],
        ['random/women', 'written', 1500],
      ]);
      expect(result.datasets[0].inputs.map((i) => i.file)).toEqual(['random/men/men.csv', 'random/men/item_context.csv']);
      expect(again.datasets.map((d) => d.status)).toEqual(['unchanged', 'unchanged']);
      expect(slice.datasets.map((d) => `${d.behavior}/${d.campaign}`)).toEqual(['random/men']);
      // the silver layer is written; the bronze objects are the ones uploaded (not rewritten by the ingest)
      expect(await store.exists('silver/obp/random/women/logs.parquet')).toBe(true);
      expect(await store.listObjects('raw/obp/')).toEqual(before);
      const manifest = JSON.parse((await store.get('silver/obp/manifest.json')).toString()) as { obdPath: string; datasets: unknown[] };
      expect(manifest.obdPath).toBe(OBD_URI);
      expect(manifest.datasets).toHaveLength(2);
      expect((await tick()).requests).toEqual([]);
      expect(await info('raw/obp/random/men/men.csv')).toMatchObject({ size: fs.statSync(path.join(obd, 'random/men/men.csv')).size });
    } finally {
      env.cleanup();
    }
  });

  it('refuses a bucket other than the object store\'s, and names a slice missing from the prefix', async () => {
    const env = tempConfig({ MINIO_ENDPOINT: `http://127.0.0.1:${moto.port}`, MINIO_ACCESS_KEY: 'testing', MINIO_SECRET_KEY: 'testing', MINIO_BUCKET: BUCKET });
    const local = tempConfig();
    try {
      const p = await createPipeline(env.config);
      await expect(p.run('ingest_obp', recordingContext(), { obdPath: 's3://elsewhere/raw/obp' })).rejects.toThrow(`OBD path s3://elsewhere/raw/obp is in bucket elsewhere, but the object store is s3://${BUCKET} (MINIO_BUCKET)`);
      await expect(p.run('ingest_obp', recordingContext(), { obdPath: OBD_URI, behaviors: ['bts'] })).rejects.toThrow(`no OBD logs under ${OBD_URI} for bts/all, bts/men, bts/women`);
      await p.close();
      const q = await createPipeline(local.config);
      await expect(q.run('ingest_obp', recordingContext(), { obdPath: OBD_URI })).rejects.toThrow('no MinIO / S3 object store is configured (set MINIO_ENDPOINT and MINIO_BUCKET=bandit-sensor)');
      await q.close();
    } finally {
      env.cleanup();
      local.cleanup();
    }
  });
});
