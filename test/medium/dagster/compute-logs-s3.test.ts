/**
 * Step stdout / stderr into dagster-aws's S3ComputeLogManager layout, against moto's
 * S3-compatible server: the capture stages the files locally, uploads them at the end to
 * `<prefix>/storage/<run_id>/compute_logs/<step>.out` / `.err` as text/plain, meanwhile as
 * `.partial` objects with an upload interval, and removes the staged files. And
 * dagster-aws's own S3ComputeLogManager (the webserver's reader of captured logs) reads
 * what we wrote: complete captures, stdout and stderr, and the log keys of a run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { computeLogPath, computeLogTargetFromInstanceRef, S3StepLogCapture, type S3ComputeLogs } from '../../../src/dagster/compute-logs';
import { MinioObjectStore } from '../../../src/object-store';
import { spawnSync } from 'node:child_process';
import { describeIf, hasPeer, itIf, peerPython } from '../../support/env';
import { startMoto, type Peer } from '../pipeline/peers';

jest.setTimeout(120_000);

describeIf(() => hasPeer('moto'))('S3 compute logs (moto)', () => {
  let moto: Peer;
  let store: MinioObjectStore;
  let localDir: string;
  const bucket = 'dagster-logs';
  beforeAll(async () => {
    moto = await startMoto();
    store = new MinioObjectStore({ endPoint: '127.0.0.1', port: moto.port, useSSL: false, accessKey: 'testing', secretKey: 'testing', bucket, region: 'us-east-1' }, fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-s3-cache-')));
    await store.put('probe', 'x'); // creates the bucket
    localDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-s3-logs-'));
  });
  afterAll(async () => {
    await moto?.stop();
    fs.rmSync(localDir, { recursive: true, force: true });
  });

  const target = (extra: string): S3ComputeLogs => {
    const ref = {
      __class__: 'InstanceRef',
      compute_logs_data: {
        __class__: 'ConfigurableClassData',
        module_name: 'dagster_aws.s3.compute_log_manager',
        class_name: 'S3ComputeLogManager',
        config_yaml: `bucket: ${bucket}\nendpoint_url: http://127.0.0.1:${moto.port}\nlocal_dir: ${localDir}\n${extra}`,
      },
    };
    const t = computeLogTargetFromInstanceRef(ref, (n) => ({ AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' })[n]);
    if (t.kind !== 's3') throw new Error(JSON.stringify(t));
    return t;
  };

  it('uploads each step\'s stdout and stderr under <prefix>/storage/<run>/compute_logs and removes the staged files', async () => {
    const capture = new S3StepLogCapture(target('prefix: team/dagster\n'), 'run-1');
    capture.begin('ingest_obp');
    process.stdout.write('rows ingested: 42\n');
    process.stderr.write('[ingest_obp] validating random/men\n');
    await capture.end();
    capture.begin('replay');
    process.stderr.write('[replay] matched 7 rows\n');
    await capture.end();
    const keys = (await store.list('team/')).sort();
    expect(keys).toEqual([
      'team/dagster/storage/run-1/compute_logs/ingest_obp.err',
      'team/dagster/storage/run-1/compute_logs/ingest_obp.out',
      'team/dagster/storage/run-1/compute_logs/replay.err',
      'team/dagster/storage/run-1/compute_logs/replay.out',
    ]);
    expect((await store.get('team/dagster/storage/run-1/compute_logs/ingest_obp.out')).toString()).toBe('rows ingested: 42\n');
    expect((await store.get('team/dagster/storage/run-1/compute_logs/ingest_obp.err')).toString()).toBe('[ingest_obp] validating random/men\n');
    expect((await store.get('team/dagster/storage/run-1/compute_logs/replay.out')).toString()).toBe('');
    for (const ext of ['out', 'err', 'complete'] as const) expect(fs.existsSync(computeLogPath(localDir, 'run-1', 'ingest_obp', ext))).toBe(false);
  });

  it('skips empty files with skip_empty_files, and uploads partial files every upload_interval', async () => {
    const capture = new S3StepLogCapture(target('skip_empty_files: true\nupload_interval: 1\n'), 'run-2');
    capture.begin('ope');
    process.stderr.write('[ope] bootstrap 1/3\n');
    await new Promise((r) => setTimeout(r, 1600));
    expect((await store.get('dagster/storage/run-2/compute_logs/ope.err.partial')).toString()).toBe('[ope] bootstrap 1/3\n');
    expect(await store.exists('dagster/storage/run-2/compute_logs/ope.out.partial')).toBe(false);
    process.stderr.write('[ope] done\n');
    await capture.end();
    expect((await store.get('dagster/storage/run-2/compute_logs/ope.err')).toString()).toBe('[ope] bootstrap 1/3\n[ope] done\n');
    expect(await store.exists('dagster/storage/run-2/compute_logs/ope.out')).toBe(false);
  });

  /** Dagster's S3ComputeLogManager (dagster-aws), configured as an instance's dagster.yaml would, reading the bucket. */
  const READER = `
import json, sys
from dagster_aws.s3.compute_log_manager import S3ComputeLogManager
from dagster._core.storage.compute_log_manager import ComputeIOType
bucket, endpoint, prefix, local_dir, run_id = sys.argv[1:6]
m = S3ComputeLogManager(bucket=bucket, prefix=prefix, endpoint_url=endpoint, local_dir=local_dir, region="us-east-1")
out = {}
for step in sys.argv[6:]:
    key = [run_id, "compute_logs", step]
    data = m.get_log_data(key)
    out[step] = {
        "complete": m.is_capture_complete(key),
        "stdout": (data.stdout or b"").decode(),
        "stderr": (data.stderr or b"").decode(),
    }
out["keys"] = sorted("/".join(k) for k in m.get_log_keys_for_log_key_prefix([run_id, "compute_logs"], io_type=ComputeIOType.STDERR))
print(json.dumps(out))
`;

  itIf(() => hasPeer('dagster-aws'))("dagster-aws's S3ComputeLogManager reads our captures: complete, stdout and stderr, the run's log keys", async () => {
    const capture = new S3StepLogCapture(target('prefix: reader\n'), 'run-3');
    capture.begin('ingest_obp');
    process.stdout.write('rows ingested: 42\n');
    process.stderr.write('[ingest_obp] validating random/men\n');
    await capture.end();
    capture.begin('conclude');
    process.stdout.write('conclude: winner b\n');
    await capture.end();
    const r = spawnSync(
      peerPython('dagster-aws')!,
      ['-c', READER, bucket, `http://127.0.0.1:${moto.port}`, 'reader', fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-s3-read-')), 'run-3', 'ingest_obp', 'conclude', 'never_ran'],
      { encoding: 'utf8', env: { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_DEFAULT_REGION: 'us-east-1' }, timeout: 60_000 },
    );
    expect(r.stderr).not.toMatch(/Traceback/);
    expect(r.status).toBe(0);
    const read = JSON.parse(r.stdout) as Record<string, { complete: boolean; stdout: string; stderr: string }> & { keys: string[] };
    expect(read.ingest_obp).toEqual({ complete: true, stdout: 'rows ingested: 42\n', stderr: '[ingest_obp] validating random/men\n' });
    expect(read.conclude).toEqual({ complete: true, stdout: 'conclude: winner b\n', stderr: '' });
    expect(read.never_ran.complete).toBe(false);
    expect(read.keys).toEqual(['run-3/compute_logs/conclude', 'run-3/compute_logs/ingest_obp']);
  });
});
