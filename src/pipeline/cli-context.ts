/**
 * An `AssetContext` for the command line on top of src/common/progress: one progress task
 * per asset (a bar on a terminal, a line per 10% otherwise), log lines on stderr so
 * `--json` stdout stays machine-readable.
 */
import { createProgressGroup, type ProgressGroup } from '../common/progress';
import type { AssetContext } from './asset-graph';

export interface CliAssetContext extends AssetContext {
  finish(): void;
}

export function cliProgressGroup(options: { quiet?: boolean } = {}): ProgressGroup {
  return createProgressGroup({ silent: options.quiet });
}

export function cliAssetContext(asset: string, options: { quiet?: boolean; verbose?: boolean; signal?: AbortSignal; group?: ProgressGroup } = {}): CliAssetContext {
  const group = options.group ?? cliProgressGroup(options);
  const task = group.task(asset, 1);
  let total = 1;
  const write = (line: string) => {
    if (!options.quiet) process.stderr.write(line + '\n');
  };
  return {
    signal: options.signal ?? new AbortController().signal,
    log: {
      debug: (m) => options.verbose && write(`[${asset}] ${m}`),
      info: (m) => write(`[${asset}] ${m}`),
      warn: (m) => write(`[${asset}] warning: ${m}`),
      error: (m) => write(`[${asset}] error: ${m}`),
    },
    progress(done, newTotal, label) {
      if (newTotal !== total && newTotal > 0) {
        total = newTotal;
        task.setTotal(total);
      }
      task.update(done, label);
    },
    finish() {
      task.done();
      if (!options.group) group.stop();
    },
  };
}
