import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig, type Config } from '../../../src/config/config';
import type { AssetContext } from '../../../src/pipeline/asset-graph';

/** An AssetContext that records what the asset logs and reports. */
export function recordingContext(): AssetContext & { lines: string[]; progressCalls: number } {
  const lines: string[] = [];
  const ctx = {
    lines,
    progressCalls: 0,
    signal: new AbortController().signal,
    log: { debug: (m: string) => lines.push(m), info: (m: string) => lines.push(m), warn: (m: string) => lines.push(`warn: ${m}`), error: (m: string) => lines.push(`error: ${m}`) },
    progress() {
      ctx.progressCalls++;
    },
  };
  return ctx;
}

/** A config whose data dir (object folder, run folder, SQLite) is a fresh temp folder. */
export function tempConfig(env: Record<string, string> = {}): { config: Config; dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-pipeline-test-'));
  const config = loadConfig({ BANDIT_DATA_DIR: dir, ...env }, dir);
  return { config, dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A small OBD folder copied from the shared sample: `rows` first data lines of
 * random/<campaign>/<campaign>.csv (and item_context.csv), with `edit` applied to the
 * CSV lines (index 0 = header).
 */
export function smallObd(obdPath: string, campaigns: string[], rows: number, edit?: (campaign: string, lines: string[]) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-obd-'));
  for (const c of campaigns) {
    const src = path.join(obdPath, 'random', c);
    const dst = path.join(dir, 'random', c);
    fs.mkdirSync(dst, { recursive: true });
    const lines = fs.readFileSync(path.join(src, `${c}.csv`), 'utf8').split('\n').slice(0, rows + 1);
    edit?.(c, lines);
    fs.writeFileSync(path.join(dst, `${c}.csv`), lines.join('\n') + '\n');
    fs.copyFileSync(path.join(src, 'item_context.csv'), path.join(dst, 'item_context.csv'));
  }
  return dir;
}

/** Replaces the value of `column` on CSV line `index` (0 = header). */
export function setCell(lines: string[], index: number, column: string, value: string): void {
  const header = lines[0].split(',');
  const col = header.indexOf(column);
  if (col < 0) throw new Error(`no column ${column}`);
  const cells = lines[index].split(',');
  cells[col] = value;
  lines[index] = cells.join(',');
}
