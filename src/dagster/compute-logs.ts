/**
 * Step stdout / stderr into Dagster's compute-log storage, where the UI's stdout / stderr tabs
 * read them. The instance's `InstanceRef.compute_logs_data` names the manager; the
 * `LocalComputeLogManager` (Dagster's default) keeps, for log key `[run_id, "compute_logs",
 * file_key]`, the files `<base_dir>/<run_id>/compute_logs/<file_key>.out` / `.err` and a
 * `.complete` marker once the capture has ended (layout of Dagster 1.13's
 * `LocalComputeLogManager.get_captured_local_path`).
 *
 * dagster-aws's `S3ComputeLogManager` stages the same files under its `local_dir` and, when the
 * capture ends, uploads them to `<prefix>/storage/<run_id>/compute_logs/<file_key>.out` / `.err`
 * (stdout first; the `.err` object is what marks the capture complete there, there is no
 * `.complete` object), `ContentType: text/plain`, then removes the local files; with
 * `upload_interval` it uploads the non-empty files meanwhile as `.out.partial` / `.err.partial`;
 * with `skip_empty_files` an empty file is not uploaded (layout of dagster-aws 0.29's
 * `S3ComputeLogManager._s3_key` and `CloudStorageComputeLogManager._on_capture_complete`).
 *
 * A capture tees this process's `process.stdout` / `process.stderr` writes into the step's
 * files for the duration of the step; the run worker is a process of its own, so only the
 * step's output lands there.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'minio';
import { parse as parseYaml } from 'yaml';
import { isObject, str, type SerdesObject } from './serdes';
import { resolveValue } from './storage/instance-storage';

export interface S3ComputeLogs {
  bucket: string;
  /** Key prefix, `/`-separated parts without empty ones (default `dagster`). */
  prefix: string;
  /** `endpoint_url`; unset: AWS S3 of `region`. */
  endpoint?: string;
  region: string;
  /** Where the files are staged during the capture (`local_dir`, default the system temp folder). */
  localDir: string;
  skipEmptyFiles: boolean;
  /** Seconds between uploads of the partial files; unset: only at the end. */
  uploadInterval?: number;
  accessKey?: string;
  secretKey?: string;
  sessionToken?: string;
}

export type ComputeLogTarget = { kind: 'local'; baseDir: string } | ({ kind: 's3' } & S3ComputeLogs) | { kind: 'none'; reason: string };

type EnvLookup = (name: string) => string | undefined;

/** Where the instance keeps compute logs, from `InstanceRef.compute_logs_data`; `env` resolves `{env: NAME}` values and the AWS credentials. */
export function computeLogTargetFromInstanceRef(ref: SerdesObject, env: EnvLookup = () => undefined): ComputeLogTarget {
  const data = ref.compute_logs_data;
  if (!isObject(data)) return { kind: 'none', reason: 'the instance configures no compute log manager' };
  const cls = str(data, 'class_name', 'compute_logs_data');
  if (cls === 'NoOpComputeLogManager') return { kind: 'none', reason: 'the instance disables compute logs (NoOpComputeLogManager)' };
  const parsed: unknown = parseYaml(str(data, 'config_yaml', 'compute_logs_data'));
  const config = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  if (cls === 'S3ComputeLogManager') return s3Target(config, env);
  if (cls !== 'LocalComputeLogManager') {
    return { kind: 'none', reason: `compute log manager ${String(data.module_name)}.${cls} is not supported by bandit-pipeline (supported: LocalComputeLogManager, S3ComputeLogManager)` };
  }
  const baseDir = config.base_dir;
  if (typeof baseDir !== 'string' || baseDir === '') return { kind: 'none', reason: 'LocalComputeLogManager config has no base_dir' };
  return { kind: 'local', baseDir };
}

function s3Target(config: Record<string, unknown>, env: EnvLookup): ComputeLogTarget {
  const value = (k: string) => resolveValue(config[k], env, `S3ComputeLogManager ${k}`);
  const bucket = value('bucket');
  if (!bucket) return { kind: 'none', reason: 'S3ComputeLogManager config has no bucket' };
  const interval = config.upload_interval;
  return {
    kind: 's3',
    bucket,
    prefix: (value('prefix') ?? 'dagster').split('/').filter((p) => p !== '').join('/'),
    endpoint: value('endpoint_url'),
    region: value('region') ?? env('AWS_REGION') ?? env('AWS_DEFAULT_REGION') ?? 'us-east-1',
    localDir: value('local_dir') ?? os.tmpdir(),
    skipEmptyFiles: config.skip_empty_files === true,
    uploadInterval: typeof interval === 'number' && interval > 0 ? interval : undefined,
    accessKey: env('AWS_ACCESS_KEY_ID'),
    secretKey: env('AWS_SECRET_ACCESS_KEY'),
    sessionToken: env('AWS_SESSION_TOKEN'),
  };
}

/** The object key of one stream of a capture: `<prefix>/storage/<run_id>/compute_logs/<file_key>.<ext>[.partial]`. */
export function s3ComputeLogKey(prefix: string, runId: string, fileKey: string, ext: 'out' | 'err', partial = false): string {
  return [prefix, 'storage', runId, 'compute_logs', `${fileKey}.${ext}${partial ? '.partial' : ''}`].filter((p) => p !== '').join('/');
}

/** The file of one stream of a capture: `<base_dir>/<run_id>/compute_logs/<file_key>.<ext>`. */
export function computeLogPath(baseDir: string, runId: string, fileKey: string, ext: 'out' | 'err' | 'complete'): string {
  return path.join(path.resolve(baseDir), runId, 'compute_logs', `${fileKey}.${ext}`);
}

export interface StepLogCapture {
  /** Starts teeing stdout / stderr into the files of `fileKey`. */
  begin(fileKey: string): void;
  /** Stops the current capture and marks it complete (for S3: once uploaded). */
  end(): void | Promise<void>;
}

type Write = typeof process.stdout.write;

/** Tees `process.stdout` / `process.stderr` into the local compute-log files of the current step. */
export class LocalStepLogCapture implements StepLogCapture {
  private current: { fileKey: string; out: number; err: number; restore: () => void } | null = null;

  constructor(
    private readonly baseDir: string,
    private readonly runId: string,
  ) {}

  begin(fileKey: string): void {
    this.end();
    const file = (ext: 'out' | 'err') => {
      const p = computeLogPath(this.baseDir, this.runId, fileKey, ext);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      return fs.openSync(p, 'a');
    };
    const out = file('out');
    const err = file('err');
    const tee = (stream: NodeJS.WriteStream, fd: number): (() => void) => {
      const original = stream.write;
      stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
        try {
          if (typeof chunk === 'string') fs.writeSync(fd, chunk);
          else fs.writeSync(fd, chunk as Uint8Array);
        } catch {
          // the capture must never break the step
        }
        return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
      } as Write;
      return () => {
        stream.write = original;
      };
    };
    const restoreOut = tee(process.stdout, out);
    const restoreErr = tee(process.stderr, err);
    this.current = {
      fileKey,
      out,
      err,
      restore: () => {
        restoreOut();
        restoreErr();
      },
    };
  }

  end(): void {
    const c = this.current;
    if (!c) return;
    this.current = null;
    c.restore();
    fs.closeSync(c.out);
    fs.closeSync(c.err);
    fs.writeFileSync(computeLogPath(this.baseDir, this.runId, c.fileKey, 'complete'), '');
  }
}

/**
 * dagster-aws's `S3ComputeLogManager`: the step's output is staged in `local_dir` like the local
 * manager's, uploaded (partially every `upload_interval` seconds, fully at the end) and the
 * staged files removed.
 */
export class S3StepLogCapture implements StepLogCapture {
  private readonly local: LocalStepLogCapture;
  private readonly client: Client;
  private current: { fileKey: string; timer?: NodeJS.Timeout; uploading: Promise<void> } | null = null;

  constructor(
    private readonly target: S3ComputeLogs,
    private readonly runId: string,
  ) {
    this.local = new LocalStepLogCapture(target.localDir, runId);
    const url = new URL(target.endpoint ?? `https://s3.${target.region}.amazonaws.com`);
    this.client = new Client({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      useSSL: url.protocol === 'https:',
      accessKey: target.accessKey ?? '',
      secretKey: target.secretKey ?? '',
      sessionToken: target.sessionToken,
      region: target.region,
      pathStyle: true,
    });
  }

  begin(fileKey: string): void {
    this.local.begin(fileKey);
    const current: { fileKey: string; timer?: NodeJS.Timeout; uploading: Promise<void> } = { fileKey, uploading: Promise.resolve() };
    if (this.target.uploadInterval) {
      current.timer = setInterval(() => {
        current.uploading = current.uploading.then(() => this.upload(fileKey, true)).catch((err: unknown) => this.warn(fileKey, err));
      }, this.target.uploadInterval * 1000);
      current.timer.unref();
    }
    this.current = current;
  }

  async end(): Promise<void> {
    const c = this.current;
    this.local.end();
    if (!c) return;
    this.current = null;
    clearInterval(c.timer);
    await c.uploading;
    try {
      await this.upload(c.fileKey, false);
      for (const ext of ['out', 'err', 'complete'] as const) fs.rmSync(computeLogPath(this.target.localDir, this.runId, c.fileKey, ext), { force: true });
    } catch (err) {
      this.warn(c.fileKey, err);
    }
  }

  /** Uploads stdout then stderr (the `.err` object marks the capture complete). */
  private async upload(fileKey: string, partial: boolean): Promise<void> {
    for (const ext of ['out', 'err'] as const) {
      const file = computeLogPath(this.target.localDir, this.runId, fileKey, ext);
      const size = fs.statSync(file).size;
      if ((partial || this.target.skipEmptyFiles) && size === 0) continue;
      await this.client.putObject(this.target.bucket, s3ComputeLogKey(this.target.prefix, this.runId, fileKey, ext, partial), fs.readFileSync(file), size, { 'Content-Type': 'text/plain' });
    }
  }

  private warn(fileKey: string, err: unknown): void {
    process.stderr.write(`could not upload the compute logs of step ${fileKey} to s3://${this.target.bucket}/${this.target.prefix}: ${(err as Error).message}\n`);
  }
}
