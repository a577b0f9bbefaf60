/**
 * The runtime filesystem of an image, laid out without Docker: the runtime stages' COPY
 * instructions replayed into a temporary folder standing for WORKDIR /app — files from the
 * build context copied from the repository, `node_modules` from the dependency stage
 * linked to the repository's, `dist` from the build stage copied from a nest build. A
 * process started from there finds only what the image would hold.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../../support/env';
import { chain, effective, execForm, type Stage } from './dockerfile';

export interface ImageLayout {
  /** Stands for the image's WORKDIR. */
  root: string;
  /** ENTRYPOINT and CMD, with paths under the WORKDIR moved into `root`. */
  entrypoint: string[];
  cmd: string[];
  /** ENV of the image. */
  env: Record<string, string>;
}

export function layOut(stages: Stage[], target: string, distDir: string, into: string): ImageLayout {
  const stagesOf = chain(stages, target);
  const workdir = effective(stages, target, 'WORKDIR') ?? '/';
  const inImage = (p: string): string => (path.isAbsolute(p) ? p : path.posix.join(workdir, p));
  const toHost = (p: string): string => {
    const abs = inImage(p);
    if (abs !== workdir && !abs.startsWith(`${workdir}/`)) throw new Error(`${abs} is outside WORKDIR ${workdir}`);
    return path.join(into, path.posix.relative(workdir, abs));
  };
  const env: Record<string, string> = {};
  fs.mkdirSync(into, { recursive: true });
  for (const ins of stagesOf.flatMap((s) => s.instructions)) {
    if (ins.op === 'ENV') {
      for (const m of ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) env[m[1]] = m[2].replace(/^"|"$/g, '');
    }
    if (ins.op !== 'COPY') continue;
    const parts = ins.args.split(' ');
    const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
    const rest = parts.filter((p) => !p.startsWith('--'));
    const dest = rest[rest.length - 1];
    for (const src of rest.slice(0, -1)) {
      const target = rest.length > 2 || dest.endsWith('/') ? path.join(toHost(dest), path.basename(src)) : toHost(dest);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      if (from === undefined) {
        fs.cpSync(path.join(REPO_ROOT, src), target, { recursive: true });
      } else if (path.posix.basename(src) === 'node_modules') {
        fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), target, 'dir');
      } else if (path.posix.basename(src) === 'dist') {
        fs.cpSync(distDir, target, { recursive: true });
      } else {
        throw new Error(`COPY --from=${from} ${src}: no stand-in for it in the image layout`);
      }
    }
  }
  const moved = (args: string[]): string[] => args.map((a) => (a === workdir || a.startsWith(`${workdir}/`) ? toHost(a) : a));
  return { root: into, entrypoint: moved(execForm(effective(stages, target, 'ENTRYPOINT'))), cmd: moved(execForm(effective(stages, target, 'CMD'))), env };
}

/** True when `distDir` is a nest build (it holds the assets nest-cli.json copies). */
export function isNestBuild(distDir: string): boolean {
  return fs.existsSync(path.join(distDir, 'proto')) && fs.existsSync(path.join(distDir, 'posterior-store', 'lua'));
}
