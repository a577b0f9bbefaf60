/**
 * An `AssetContext` for the command line: a cli-progress bar per asset on stderr when
 * stderr is a terminal, otherwise a plain line per step (at most one per 10% of
 * progress). Log lines go to stderr so `--json` stdout stays machine-readable.
 */
import { SingleBar } from 'cli-progress';
import type { AssetContext } from './asset-graph';

export interface CliAssetContext extends AssetContext {
  finish(): void;
}

export function cliAssetContext(asset: string, options: { quiet?: boolean; verbose?: boolean; signal?: AbortSignal } = {}): CliAssetContext {
  const err = process.stderr;
  const tty = err.isTTY === true && !options.quiet;
  let bar: SingleBar | undefined;
  let lastDecile = -1;
  let lastLabel = '';
  const write = (line: string) => {
    if (options.quiet) return;
    if (bar) bar.stop();
    err.write(line + '\n');
    bar = undefined;
  };
  return {
    signal: options.signal ?? new AbortController().signal,
    log: {
      debug: (m) => options.verbose && write(`[${asset}] ${m}`),
      info: (m) => write(`[${asset}] ${m}`),
      warn: (m) => write(`[${asset}] warning: ${m}`),
      error: (m) => write(`[${asset}] error: ${m}`),
    },
    progress(done, total, label) {
      if (options.quiet) return;
      if (tty) {
        if (!bar) {
          bar = new SingleBar({ format: `${asset.padEnd(10)} [{bar}] {percentage}% | {value}/{total} {label}`, hideCursor: true, clearOnComplete: false, stream: err });
          bar.start(total, done, { label: label ?? '' });
        }
        bar.setTotal(total);
        bar.update(done, { label: label ?? '' });
        return;
      }
      const decile = total > 0 ? Math.floor((10 * done) / total) : 10;
      if (decile !== lastDecile || (label !== undefined && label !== lastLabel)) {
        lastDecile = decile;
        lastLabel = label ?? lastLabel;
        err.write(`[${asset}] ${total > 0 ? Math.round((100 * done) / total) : 100}% ${label ?? ''}\n`);
      }
    },
    finish() {
      bar?.stop();
      bar = undefined;
    },
  };
}
