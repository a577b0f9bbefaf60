/**
 * Where tests find what lives outside the project: the shared datasets and specs, the
 * Python peers, the machine's Postgres and Redis. Outside CI a missing piece skips the
 * suite with a visible notice; with CI=true it is a failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** `../shared/<rel>` next to the project, or the env var when set. */
export function sharedPath(envVar: string, rel: string): string {
  return path.resolve(process.env[envVar] ?? path.join(REPO_ROOT, '..', 'shared', rel));
}
export const OBD_PATH = sharedPath('BANDIT_OBD_PATH', 'datasets/obd');
/** Seldon Core v1 specs: `../shared/specs/seldon`, or BANDIT_SELDON_SPECS (suites that need them skip visibly without). */
export const SELDON_SPECS_PATH = sharedPath('BANDIT_SELDON_SPECS', 'specs/seldon');

/** Reasons recorded by `available` while a describeIf / itIf condition is evaluated. */
let missing: string[] = [];

/**
 * The one rule for what a test needs (a service, a peer, a dataset, the build): returns
 * true when `what` is available. When it is not: with CI=true throws (the suite fails,
 * naming what is missing); elsewhere records the reason and returns false, and
 * `describeIf` / `itIf` turn it into a jest skip whose title carries the reason.
 */
export function available(what: string, ok: boolean, hint: string): boolean {
  if (ok) return true;
  const msg = `${what} is not available: ${hint}`;
  if (IN_CI) throw new Error(`CI=true and ${msg}`);
  missing.push(msg);
  return false;
}

/** Runs a condition; returns { run } or the CI error, and the reasons it recorded. */
function decide(ok: () => boolean): { run: boolean; why: string; err?: unknown } {
  const outer = missing;
  missing = [];
  try {
    const run = ok();
    const why = missing.length > 0 ? missing.join('; ') : 'its condition is false';
    // under CI nothing skips: a condition that is false without saying why fails too
    if (!run && IN_CI) return { run, why, err: new Error(`CI=true and ${why} (declare what it needs with available())`) };
    return { run, why };
  } catch (err) {
    return { run: false, why: err instanceof Error ? err.message : String(err), err };
  } finally {
    missing = outer;
  }
}

/** The title of a skipped suite or test: its name and why it did not run. */
export const skippedTitle = (name: string, why: string): string => `${name} — SKIPPED: ${why}`;

/**
 * `describe` that runs when `ok()` is true. Otherwise (outside CI) `describe.skip` with the
 * reason in its title, so jest reports its tests as skipped; with CI=true a suite with one
 * failing test that names what is missing. `ok` must be synchronous: use `hasPeer`,
 * `hasDataset`, `hasBuiltCli`, `hasRedis` / `hasPostgres` (services.ts) or `available`.
 */
export function describeIf(ok: () => boolean): jest.Describe {
  const d = decide(ok);
  if (d.run) return describe;
  if (d.err !== undefined) {
    const err = d.err;
    return ((name: string, fn: () => void) =>
      describe(name, () => {
        it(`needs ${d.why.replace(/^CI=true and /, '')}`, () => {
          throw err;
        });
        void fn;
      })) as unknown as jest.Describe;
  }
  // the one visible skip of a suite: its title carries the reason (d.why); under CI=true this branch is never reached
  return ((name: string, fn: () => void) => describe.skip(skippedTitle(name, d.why), fn)) as unknown as jest.Describe;
}

/** `it` that runs when `ok()` is true; otherwise `it.skip` with the reason in its title (a failing test under CI=true). */
export function itIf(ok: () => boolean): jest.It {
  const d = decide(ok);
  if (d.run) return it;
  if (d.err !== undefined) {
    const err = d.err;
    const failing = ((name: string) =>
      it(name, () => {
        throw err;
      })) as unknown as jest.It;
    (failing as unknown as { each: unknown }).each = (cases: unknown[]) => (name: string) =>
      it(`${name} (${cases.length} cases)`, () => {
        throw err;
      });
    return failing;
  }
  // the one visible skip of a test: its title carries the reason (d.why); under CI=true this branch is never reached
  const skipped = ((name: string, fn?: jest.ProvidesCallback) => it.skip(skippedTitle(name, d.why), fn)) as unknown as jest.It;
  (skipped as unknown as { each: unknown }).each = (cases: readonly unknown[]) => (name: string, fn: (...args: unknown[]) => unknown) =>
    it.skip.each(cases as unknown[][])(skippedTitle(name, d.why), fn as never);
  return skipped;
}

/**
 * A file or folder from ../shared (datasets, specs, tools) exists. `envVar` names the variable
 * that points elsewhere (sharedPath's first argument), so the skip says which one to set.
 */
export function hasDataset(p: string, envVar = 'BANDIT_OBD_PATH'): boolean {
  return available(`shared input ${p}`, fs.existsSync(p), `lay the shared folder at ../shared beside the project, or set ${envVar}`);
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

/** A program on the PATH (e.g. redis-server, which some suites start privately). */
export function hasProgram(bin: string, hint = `install it (see .ci/run)`): boolean {
  const found = spawnSync(bin, ['--version'], { stdio: 'ignore' }).error === undefined;
  return available(`the program ${bin}`, found, hint);
}

export function hasPeer(name: string): boolean {
  return available(`Python peer '${name}'`, peerPython(name) !== null, `run test/peers/venv.sh ${name}`);
}

export const POSTGRES_URL = process.env.BANDIT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.BANDIT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The built CLI the e2e tests drive (a helper building elsewhere sets BANDIT_BIN). */
export const BANDIT_BIN = process.env.BANDIT_BIN ?? path.join(REPO_ROOT, 'dist', 'main.js');

/** The built CLI is there (`npm test` builds it first). */
export function hasBuiltCli(): boolean {
  return available(`the built CLI at ${BANDIT_BIN}`, fs.existsSync(BANDIT_BIN), 'run npm run build (or set BANDIT_BIN)');
}
