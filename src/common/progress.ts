/**
 * Progress reporting for long CLI tasks, on stderr: a cli-progress bar per task when
 * stderr is a TTY; otherwise (CI logs, pipes) a plain line every `lineEvery` percent, so
 * logs stay readable. Several tasks can run at once (`ProgressGroup`), each with its own
 * bar.
 *
 * @example
 *   const group = createProgressGroup();
 *   const task = group.task('simulate', 10_000);
 *   for (…) task.increment();
 *   task.done('winner: variant-b');
 *   group.stop();
 */
import { MultiBar, Presets, type SingleBar } from 'cli-progress';

export interface ProgressTask {
  /** Sets the absolute position (and optionally a status text shown after the bar). */
  update(value: number, status?: string): void;
  increment(by?: number, status?: string): void;
  /** Changes the total (e.g. when the task ends early). */
  setTotal(total: number): void;
  /** Marks the task finished (bar filled / a final line). */
  done(status?: string): void;
}

export interface ProgressGroup {
  task(label: string, total: number): ProgressTask;
  stop(): void;
}

export interface ProgressOptions {
  /** Output stream (default process.stderr). */
  stream?: NodeJS.WriteStream;
  /** Force bar (true) or lines (false); default: bars iff the stream is a TTY. */
  tty?: boolean;
  /** Plain mode: print a line each time this many percent are passed (default 10). */
  lineEvery?: number;
  /** Disable all output. */
  silent?: boolean;
}

/** A group of progress tasks on one stream (see the file comment). */
export function createProgressGroup(opts: ProgressOptions = {}): ProgressGroup {
  const stream = opts.stream ?? process.stderr;
  if (opts.silent) return { task: () => ({ update() {}, increment() {}, setTotal() {}, done() {} }), stop() {} };
  const tty = opts.tty ?? Boolean(stream.isTTY);
  if (tty) {
    const multi = new MultiBar(
      { stream, hideCursor: true, clearOnComplete: false, format: '{label} [{bar}] {percentage}% | {value}/{total} | {status}', barsize: 30, etaBuffer: 50 },
      Presets.shades_classic,
    );
    return {
      task(label, total) {
        const bar: SingleBar = multi.create(Math.max(1, total), 0, { label: label.padEnd(12), status: '' });
        let value = 0;
        return {
          update(v, status) {
            value = v;
            bar.update(v, status === undefined ? {} : { status });
          },
          increment(by = 1, status) {
            value += by;
            bar.update(value, status === undefined ? {} : { status });
          },
          setTotal(t) {
            bar.setTotal(Math.max(1, t));
          },
          done(status) {
            bar.setTotal(Math.max(1, value));
            bar.update(value, { status: status ?? 'done' });
            bar.stop();
          },
        };
      },
      stop: () => multi.stop(),
    };
  }
  const every = opts.lineEvery ?? 10;
  return {
    task(label, total) {
      let t = Math.max(1, total);
      let value = 0;
      let shown = 0;
      const report = (status?: string) => {
        const pct = Math.min(100, Math.floor((value / t) * 100));
        if (pct >= shown + every) {
          shown = pct - (pct % every);
          stream.write(`${label}: ${value}/${t} (${shown}%)${status ? ` ${status}` : ''}\n`);
        }
      };
      return {
        update(v, status) {
          value = v;
          report(status);
        },
        increment(by = 1, status) {
          value += by;
          report(status);
        },
        setTotal(n) {
          t = Math.max(1, n);
        },
        done(status) {
          stream.write(`${label}: done, ${value}${status ? ` — ${status}` : ''}\n`);
        },
      };
    },
    stop() {},
  };
}
