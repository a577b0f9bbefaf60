/**
 * Drives the real Dagster webserver (from the pinned peer venv of a supported Dagster line:
 * test/peers/dagster for 1.13, test/peers/dagster-1.12) against a code server:
 * temp DAGSTER_HOME with a dagster.yaml (Postgres or the default SQLite storage, the default
 * run coordinator so `launchRun` calls StartRun directly), a workspace.yaml naming the code
 * server, and GraphQL helpers.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { healthClient } from '../../../src/dagster/proto';
import { DAGSTER_LINES, NEWEST_LINE, SUPPORTED_LINES, type DagsterLine } from '../../../src/dagster/protocol-version';
import { BANDIT_BIN, hasPeer, OBD_PATH, peerBin } from '../../support/env';
import { createTestDatabase, type TestDatabase } from '../../support/services';

export const LOCATION = 'bandit-pipeline';

/** The peer venv of a Dagster line (test/peers/<peer>/requirements.txt). */
export const peerOf = (line: DagsterLine): string => DAGSTER_LINES[line].peer;

/** That line's Dagster peer is built (skips visibly otherwise, fails under CI). */
export const hasDagster = (line: DagsterLine = NEWEST_LINE): boolean => hasPeer(peerOf(line));

/** Every supported line, for the conformance cases that prove the protocol per line (`describe.each`). */
export const DAGSTER_E2E_LINES: ReadonlyArray<[DagsterLine]> = SUPPORTED_LINES.map((l) => [l]);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

/** Resolves when the code server's grpc.health.v1 Check answers SERVING. */
export async function waitServing(port: number, timeoutMs = 20_000): Promise<void> {
  const client = healthClient(`127.0.0.1:${port}`);
  try {
    await waitFor(
      'code server health',
      () =>
        new Promise<true | undefined>((resolve) =>
          (client as unknown as { Check: (r: object, o: object, cb: (e: Error | null, r?: { status: string }) => void) => void }).Check(
            { service: '' },
            { deadline: Date.now() + 1000 },
            (err, res) => resolve(!err && res?.status === 'SERVING' ? true : undefined),
          ),
        ),
      timeoutMs,
    );
  } finally {
    client.close();
  }
}

export interface Proc {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `cmd` in a process group of its own; `stop()` ends the whole group (e.g. `dagster dev` and its children). */
export function startProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Proc {
  const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return {
    child,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const signalGroup = (sig: NodeJS.Signals) => {
          try {
            process.kill(-(child.pid as number), sig);
          } catch {
            child.kill(sig);
          }
        };
        const t = setTimeout(() => signalGroup('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        signalGroup('SIGTERM');
      }),
  };
}

/** `bandit code-server` from the built CLI, answering Dagster `line` (BANDIT_DAGSTER_VERSION). */
export async function startCodeServerCli(port: number, env: NodeJS.ProcessEnv, line: DagsterLine = NEWEST_LINE): Promise<Proc> {
  const p = startProcess(process.execPath, [BANDIT_BIN, 'code-server', '--port', String(port), '--host', '127.0.0.1'], { ...process.env, ...env, BANDIT_DAGSTER_VERSION: line });
  try {
    await waitServing(port);
  } catch (err) {
    await p.stop();
    throw new Error(`${(err as Error).message}\n${p.output()}`, { cause: err });
  }
  return p;
}

export type Storage = { postgresUrl: string } | 'sqlite';

export interface Webserver {
  home: string;
  proc: Proc;
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

/**
 * The Dagster webserver on a fresh DAGSTER_HOME. `dev: true` runs `dagster dev` instead (webserver
 * plus daemon, default queued run coordinator: runs go through the daemon's dequeue loop);
 * `line` picks the Dagster line's peer (default the newest).
 */
export async function startWebserver(codeServerPort: number, storage: Storage, opts: { dev?: boolean; line?: DagsterLine } = {}): Promise<Webserver> {
  const peer = peerOf(opts.line ?? NEWEST_LINE);
  const bin = peerBin(peer, opts.dev ? 'dagster' : 'dagster-webserver');
  if (!bin) throw new Error(`${peer} peer venv missing: run test/peers/venv.sh ${peer}`);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-dagster-home-'));
  const storageYaml = storage === 'sqlite' ? '' : `storage:\n  postgres:\n    postgres_url: ${storage.postgresUrl.replace(/^postgres:/, 'postgresql:')}\n`;
  fs.writeFileSync(
    path.join(home, 'dagster.yaml'),
    `${storageYaml}${opts.dev ? '' : 'run_coordinator:\n  module: dagster._core.run_coordinator\n  class: DefaultRunCoordinator\n'}telemetry:\n  enabled: false\n`,
  );
  fs.writeFileSync(path.join(home, 'workspace.yaml'), `load_from:\n  - grpc_server:\n      host: localhost\n      port: ${codeServerPort}\n      location_name: ${LOCATION}\n`);
  const port = await freePort();
  const args = ['-w', path.join(home, 'workspace.yaml'), '-h', '127.0.0.1', '-p', String(port)];
  const proc = startProcess(bin, opts.dev ? ['dev', ...args] : args, { ...process.env, DAGSTER_HOME: home }, home);
  const url = `http://127.0.0.1:${port}/graphql`;
  const gql = async <T>(query: string, variables?: Record<string, unknown>): Promise<T> => {
    const post = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    // a kept-alive connection the webserver closed while idle fails before the request is sent: send it again once
    const res = await post().catch((err: Error & { cause?: { code?: string } }) => (err.cause?.code === 'UND_ERR_SOCKET' ? post() : Promise.reject(err)));
    const body = (await res.json()) as { data?: T; errors?: unknown };
    if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
    return body.data as T;
  };
  try {
    await waitFor('the Dagster webserver', async () => ((await fetch(`http://127.0.0.1:${port}/server_info`)).ok ? true : undefined), 90_000, 500);
  } catch (err) {
    await proc.stop();
    throw new Error(`${(err as Error).message}\n${proc.output()}`, { cause: err });
  }
  return {
    home,
    proc,
    gql,
    async stop() {
      await proc.stop();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

export const WORKSPACE_QUERY = `{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message } } } } } }`;

export const ASSETS_QUERY = `{ repositoryOrError(repositorySelector: {repositoryLocationName: "${LOCATION}", repositoryName: "__repository__"}) {
  __typename ... on Repository { assetNodes { assetKey { path } dependencyKeys { path } groupName jobNames description } } ... on PythonError { message } } }`;

export const LAUNCH = `mutation($selection: [AssetKeyInput!], $runConfigData: RunConfigData) {
  launchRun(executionParams: {selector: {repositoryLocationName: "${LOCATION}", repositoryName: "__repository__", jobName: "__ASSET_JOB", assetSelection: $selection},
    runConfigData: $runConfigData}) {
    __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message stack } ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message } } }`;

export interface RunView {
  status: string;
  assetMaterializations: Array<{ assetKey: { path: string[] }; partition: string | null; metadataEntries: Array<{ label: string; __typename: string; text?: string; intValue?: number; floatValue?: number }> }>;
}

export async function launch(ws: Webserver, selection: string[] | null, runConfigData: Record<string, unknown> = {}): Promise<string> {
  const data = await ws.gql<{ launchRun: { __typename: string; run?: { runId: string } } }>(LAUNCH, {
    selection: selection ? selection.map((k) => ({ path: [k] })) : null,
    runConfigData,
  });
  if (data.launchRun.__typename !== 'LaunchRunSuccess' || !data.launchRun.run) throw new Error(`launchRun failed: ${JSON.stringify(data.launchRun)}`);
  return data.launchRun.run.runId;
}

const RUN_QUERY = `query($runId: ID!) { runOrError(runId: $runId) { __typename ... on Run { status
  assetMaterializations { assetKey { path } partition metadataEntries { label __typename ... on TextMetadataEntry { text } ... on IntMetadataEntry { intValue }
    ... on FloatMetadataEntry { floatValue } } } } } }`;

const FINISHED = ['SUCCESS', 'FAILURE', 'CANCELED'];

export async function waitRun(ws: Webserver, runId: string, timeoutMs: number, until: (s: string) => boolean = (s) => FINISHED.includes(s)): Promise<RunView> {
  return waitFor(
    `run ${runId}`,
    async () => {
      const d = await ws.gql<{ runOrError: RunView }>(RUN_QUERY, { runId });
      return until(d.runOrError.status) ? d.runOrError : undefined;
    },
    timeoutMs,
    500,
  );
}

export interface LogEvent {
  __typename: string;
  message?: string;
  stepKey?: string | null;
  level?: string;
  error?: { message: string; cause?: { message: string } | null } | null;
}

export async function runLogs(ws: Webserver, runId: string): Promise<LogEvent[]> {
  const d = await ws.gql<{ logsForRun: { events: LogEvent[] } }>(
    `query($runId: ID!) { logsForRun(runId: $runId) { __typename ... on EventConnection { events { __typename
      ... on MessageEvent { message stepKey level }
      ... on ExecutionStepFailureEvent { error { message cause { message } } }
      ... on RunFailureEvent { error { message cause { message } } } } } } }`,
    { runId },
  );
  return d.logsForRun.events;
}

/** The code server's environment for the real pipeline on the OBD sample (no MinIO, MLflow, Dragonfly). */
export function pipelineEnv(dataDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, BANDIT_DATA_DIR: dataDir, BANDIT_OBD_PATH: OBD_PATH, BANDIT_LOG_LEVEL: 'info', ...extra };
  for (const k of Object.keys(env)) if (/^(MINIO_|MLFLOW_|DRAGONFLY_)|^BANDIT_(DATABASE_URL|REDIS_URL)$/.test(k)) delete env[k];
  return env;
}

export interface PostgresStack {
  db: TestDatabase;
  port: number;
  code: Proc;
  web: Webserver;
  stop(): Promise<void>;
}

/** A fresh Postgres database, the built `bandit code-server` and `dagster-webserver` on it. */
export async function startPostgresStack(dbName: string, env: NodeJS.ProcessEnv): Promise<PostgresStack> {
  const db = await createTestDatabase(dbName);
  const port = await freePort();
  const code = await startCodeServerCli(port, env);
  const web = await startWebserver(port, { postgresUrl: db.url });
  return {
    db,
    port,
    code,
    web,
    async stop() {
      await web.stop();
      await code.stop();
      await db.drop();
    },
  };
}

export interface DevStack {
  dataDir: string;
  code: Proc;
  web: Webserver;
  stop(): Promise<void>;
}

/** `dagster dev` (webserver + daemon, SQLite) of Dagster `line` on the built `bandit code-server`, with a data folder of its own. */
export async function startDevStack(prefix: string, extra: NodeJS.ProcessEnv = {}, line: DagsterLine = NEWEST_LINE): Promise<DevStack> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const port = await freePort();
  const code = await startCodeServerCli(port, pipelineEnv(dataDir, extra), line);
  const web = await startWebserver(port, 'sqlite', { dev: true, line }).catch(async (err: unknown) => {
    await code.stop();
    throw err;
  });
  return {
    dataDir,
    code,
    web,
    async stop() {
      await web.stop();
      await code.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface CheckView {
  name: string;
  description: string | null;
  executionForLatestMaterialization: { status: string; runId: string; evaluation: { success: boolean; metadataEntries: Array<{ label: string }> } | null } | null;
}

/** The asset checks the UI lists for `asset`, with the execution for its latest materialization. */
export async function assetChecks(ws: Webserver, asset: string): Promise<CheckView[]> {
  const d = await ws.gql<{ assetNodeOrError: { assetChecksOrError: { checks?: CheckView[]; message?: string } } }>(
    `query($k: AssetKeyInput!) { assetNodeOrError(assetKey: $k) { ... on AssetNode { assetChecksOrError { ... on AssetChecks { checks { name description
      executionForLatestMaterialization { status runId evaluation { success metadataEntries { label } } } } } ... on AssetCheckNeedsMigrationError { message } } } } }`,
    { k: { path: [asset] } },
  );
  const checks = d.assetNodeOrError.assetChecksOrError.checks;
  if (!checks) throw new Error(`asset checks of ${asset}: ${JSON.stringify(d.assetNodeOrError.assetChecksOrError)}`);
  return checks;
}

/**
 * What Dagster's own event log storage reads of `ingest_obp`'s partitions on the webserver's
 * instance (its DAGSTER_HOME), through the Python storage the webserver and the daemon use:
 * the latest indexed tags by partition (`asset_event_tags`: data version and dimension tags),
 * the materialized keys of the multi-partitions definition as the partition status computes
 * them from those tags, and the partitions whose data version changed since storage id 0.
 */
export interface PartitionReads {
  tagsByPartition: Record<string, Record<string, string>>;
  materializedFromTags: string[];
  updatedDataVersions: string[];
}

export function partitionReads(ws: Webserver): PartitionReads {
  const python = peerBin('dagster', 'python');
  if (!python) throw new Error('dagster peer venv missing: run test/peers/venv.sh dagster');
  const script = `
import json
from dagster import AssetKey, DagsterInstance, MultiPartitionsDefinition, StaticPartitionsDefinition
from dagster._core.events import DagsterEventType
from dagster._core.storage.partition_status_cache import get_materialized_multipartitions
key = AssetKey("ingest_obp")
pdef = MultiPartitionsDefinition({"campaign": StaticPartitionsDefinition(["all", "men", "women"]), "policy": StaticPartitionsDefinition(["random", "bts"])})
with DagsterInstance.get() as instance:
    storage = instance.event_log_storage
    tags = storage.get_latest_tags_by_partition(key, DagsterEventType.ASSET_MATERIALIZATION, ["dagster/data_version", "dagster/partition/campaign", "dagster/partition/policy"])
    mats = get_materialized_multipartitions(instance, key, pdef)
    updated = storage.get_updated_data_version_partitions(key, pdef.get_partition_keys(), 0)
    print(json.dumps({"tagsByPartition": tags, "materializedFromTags": sorted(str(k) for k in mats), "updatedDataVersions": sorted(updated)}))
`;
  const out = execFileSync(python, ['-c', script], { env: { ...process.env, DAGSTER_HOME: ws.home }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as PartitionReads;
}
