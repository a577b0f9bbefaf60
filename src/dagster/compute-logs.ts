/**
 * Step stdout / stderr into Dagster's compute-log storage, where the UI's stdout / stderr tabs
 * read them. The instance's `InstanceRef.compute_logs_data` names the manager; the
 * `LocalComputeLogManager` (Dagster's default) keeps, for log key `[run_id, "compute_logs",
 * file_key]`, the files `<base_dir>/<run_id>/compute_logs/<file_key>.out` / `.err` and a
 * `.complete` marker once the capture has ended (layout of Dagster 1.13's
 * `LocalComputeLogManager.get_captured_local_path`).
 *
 * A capture tees this process's `process.stdout` / `process.stderr` writes into the step's
 * files for the duration of the step; the run worker is a process of its own, so only the
 * step's output lands there.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isObject, str, type SerdesObject } from './serdes';

export type ComputeLogTarget = { kind: 'local'; baseDir: string } | { kind: 'none'; reason: string };

/** Where the instance keeps compute logs, from `InstanceRef.compute_logs_data`. */
export function computeLogTargetFromInstanceRef(ref: SerdesObject): ComputeLogTarget {
  const data = ref.compute_logs_data;
  if (!isObject(data)) return { kind: 'none', reason: 'the instance configures no compute log manager' };
  const cls = str(data, 'class_name', 'compute_logs_data');
  if (cls === 'NoOpComputeLogManager') return { kind: 'none', reason: 'the instance disables compute logs (NoOpComputeLogManager)' };
  if (cls !== 'LocalComputeLogManager') {
    return { kind: 'none', reason: `compute log manager ${String(data.module_name)}.${cls} is not supported by bandit-pipeline (supported: LocalComputeLogManager)` };
  }
  const config: unknown = parseYaml(str(data, 'config_yaml', 'compute_logs_data'));
  const baseDir = typeof config === 'object' && config !== null ? (config as Record<string, unknown>).base_dir : undefined;
  if (typeof baseDir !== 'string' || baseDir === '') return { kind: 'none', reason: 'LocalComputeLogManager config has no base_dir' };
  return { kind: 'local', baseDir };
}

/** The file of one stream of a capture: `<base_dir>/<run_id>/compute_logs/<file_key>.<ext>`. */
export function computeLogPath(baseDir: string, runId: string, fileKey: string, ext: 'out' | 'err' | 'complete'): string {
  return path.join(path.resolve(baseDir), runId, 'compute_logs', `${fileKey}.${ext}`);
}

export interface StepLogCapture {
  /** Starts teeing stdout / stderr into the files of `fileKey`. */
  begin(fileKey: string): void;
  /** Stops the current capture and marks it complete. */
  end(): void;
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
