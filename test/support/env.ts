/**
 * Where tests find what lives outside the project: the shared datasets and specs, the
 * Python peers, the machine's Postgres and Redis. Outside CI a missing piece skips the
 * suite with a visible notice; with CI=true it is a failure.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** `../shared/<rel>` next to the project, or the env var when set. */
export function sharedPath(envVar: string, rel: string): string {
  return path.resolve(process.env[envVar] ?? path.join(REPO_ROOT, '..', 'shared', rel));
}
export const OBD_PATH = sharedPath('BANDIT_OBD_PATH', 'datasets/obd');
export const SELDON_SPECS_PATH = sharedPath('BANDIT_SELDON_SPECS', 'specs/seldon');

/**
 * Returns true when `what` is available. When it is not: in CI throws (the suite
 * fails); elsewhere prints a notice and returns false (the caller skips).
 */
export function available(what: string, ok: boolean, hint: string): boolean {
  if (ok) return true;
  const msg = `${what} is not available: ${hint}`;
  if (IN_CI) throw new Error(`CI=true and ${msg}`);
  console.warn(`SKIPPED — ${msg}`);
  return false;
}

/** `describe` that runs only when `ok`; otherwise skipped with a notice (a failure in CI). */
export function describeIf(ok: () => boolean): jest.Describe {
  let run: boolean;
  try {
    run = ok();
  } catch (err) {
    // CI: report the missing piece as a failing suite
    return ((name: string, fn: () => void) =>
      describe(name, () => {
        it('has what it needs', () => {
          throw err;
        });
        void fn;
      })) as unknown as jest.Describe;
  }
  return run ? describe : describe.skip;
}

export function hasDataset(p: string): boolean {
  return available(`dataset ${p}`, fs.existsSync(p), 'set the env var or lay ../shared beside the project');
}

/** Path of a peer venv's python, or null (see test/peers/venv.sh). */
export function peerPython(name: string): string | null {
  const dir = execFileSync('bash', [path.join(REPO_ROOT, 'test/peers/venv.sh'), '--path', name], { encoding: 'utf8' }).trim();
  return fs.existsSync(path.join(dir, '.complete')) ? path.join(dir, 'bin', 'python') : null;
}

export function peerBin(name: string, bin: string): string | null {
  const py = peerPython(name);
  return py ? path.join(path.dirname(py), bin) : null;
}

export function hasPeer(name: string): boolean {
  return available(`Python peer '${name}'`, peerPython(name) !== null, `run test/peers/venv.sh ${name}`);
}

export const POSTGRES_URL = process.env.BANDIT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.BANDIT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The built CLI the e2e tests drive (a helper building elsewhere sets BANDIT_BIN). */
export const BANDIT_BIN = process.env.BANDIT_BIN ?? path.join(REPO_ROOT, 'dist', 'main.js');
