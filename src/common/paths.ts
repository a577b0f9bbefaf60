import * as fs from 'node:fs';
import * as path from 'node:path';

let cached: string | undefined;

/**
 * The project folder (the one holding this package's package.json), found by walking up
 * from this file — works from src/ (ts-jest), dist/ and any dist-* build. Non-TypeScript
 * assets (proto/, Lua scripts, dashboard static files) are read relative to it.
 */
export function projectRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'bayesian-bandit') return (cached = dir);
      } catch {
        /* keep walking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the bayesian-bandit project folder above ${__dirname}`);
    dir = up;
  }
}
