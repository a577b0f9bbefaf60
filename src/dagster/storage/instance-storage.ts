/**
 * Where a run's events go: the storage the host's `InstanceRef` names. Postgres
 * (dagster-postgres) and Dagster's default SQLite storage live side by side behind this one
 * interface; `openInstanceStorage` picks one from the InstanceRef.
 *
 * Each implementation replicates, for the pinned Dagster 1.13, what `DagsterInstance.handle_new_event`
 * does for the events a run writes: insert into `event_logs`; for asset materializations update
 * `asset_keys` (last materialization record, last run id, timestamp); for run status events update
 * `runs` (status, run_body, update/start/end times) and the failure-reason run tag.
 */
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BanditError, ErrorCode } from '../../common/errors';
import type { RunEvent } from '../events';
import type { LatestMaterialization, MaterializationRef } from './run-body';
import { PostgresInstanceStorage } from './postgres-instance.storage';
import { SqliteInstanceStorage } from './sqlite-instance.storage';
import { expectClass, isObject, malformed, str, type SerdesObject } from '../serdes';

export interface StoredRun {
  /** The run as the host serialized it (`PipelineRun`), status column applied. */
  body: SerdesObject;
  status: string;
}

export interface DagsterInstanceStorage {
  /** Human-readable description (logs). */
  readonly description: string;
  getRun(runId: string): Promise<StoredRun | null>;
  /**
   * Stores one event with the side writes Dagster makes for it; resolves to the storage id
   * Dagster's asset records refer to (for materializations and check evaluations), else null.
   */
  storeEvent(event: RunEvent): Promise<number | null>;
  /** The latest materialization of an asset (`AssetKey.to_string()`), as `asset_keys` records it; null when never materialized. */
  latestMaterialization(assetKey: string): Promise<LatestMaterialization | null>;
  /**
   * The latest materialization of an asset, of `partition` when given (what a check-only run
   * evaluates): its storage id, timestamp and run; null when there is none.
   */
  materializationOf(assetKey: string, partition: string | null): Promise<MaterializationRef | null>;
  /** Steps of the run that started and have not succeeded or failed (what a killed worker left). */
  stepsInProgress(runId: string): Promise<string[]>;
  close(): Promise<void>;
}

export type StorageTarget =
  | { kind: 'postgres'; connectionString: string }
  | { kind: 'sqlite'; runsDb: string; eventsDir: string };

type EnvLookup = (name: string) => string | undefined;

/** A dagster.yaml value: a literal, or `{env: NAME}` read from the environment (an error naming it when unset). */
export function resolveValue(v: unknown, env: EnvLookup, what: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object' && v !== null && 'env' in v) {
    const name = String((v as { env: unknown }).env);
    const value = env(name);
    if (value === undefined) throw new BanditError(ErrorCode.InvalidInput, `${what}: environment variable ${name} is not set in the code server`);
    return value;
  }
  return String(v);
}

function configOf(data: SerdesObject, what: string): Record<string, unknown> {
  const yaml = str(data, 'config_yaml', what);
  const parsed: unknown = parseYaml(yaml);
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
}

/** Postgres connection string from dagster-postgres config (`postgres_url` or `postgres_db`). */
export function postgresUrlFromConfig(config: Record<string, unknown>, env: EnvLookup): string {
  const url = resolveValue(config.postgres_url, env, 'postgres_url');
  if (url) return url.replace(/^postgresql\+\w+:/, 'postgresql:');
  const db = config.postgres_db as Record<string, unknown> | undefined;
  if (!db) throw new BanditError(ErrorCode.InvalidInput, 'dagster-postgres config has neither postgres_url nor postgres_db');
  const user = resolveValue(db.username, env, 'postgres_db.username') ?? 'postgres';
  const password = resolveValue(db.password, env, 'postgres_db.password') ?? '';
  const host = resolveValue(db.hostname, env, 'postgres_db.hostname') ?? 'localhost';
  const name = resolveValue(db.db_name, env, 'postgres_db.db_name') ?? 'postgres';
  const port = resolveValue(db.port, env, 'postgres_db.port') ?? '5432';
  const auth = password ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}` : encodeURIComponent(user);
  const params = db.params && typeof db.params === 'object' ? `?${new URLSearchParams(db.params as Record<string, string>).toString()}` : '';
  return `postgresql://${auth}@${host}:${port}/${encodeURIComponent(name)}${params}`;
}

/** Reads the event/run storage named by a serialized `InstanceRef`. */
export function storageTargetFromInstanceRef(ref: SerdesObject, env: EnvLookup): StorageTarget {
  expectClass(ref, ['InstanceRef'], 'InstanceRef');
  const event = expectClass(ref.event_storage_data, ['ConfigurableClassData'], 'InstanceRef.event_storage_data');
  const run = expectClass(ref.run_storage_data, ['ConfigurableClassData'], 'InstanceRef.run_storage_data');
  const cls = str(event, 'class_name', 'event_storage_data');
  if (cls === 'PostgresEventLogStorage') return { kind: 'postgres', connectionString: postgresUrlFromConfig(configOf(event, 'event_storage_data'), env) };
  if (cls === 'SqliteEventLogStorage' && str(run, 'class_name', 'run_storage_data') === 'SqliteRunStorage') {
    const eventsDir = configOf(event, 'event_storage_data').base_dir;
    const runsDir = configOf(run, 'run_storage_data').base_dir;
    if (typeof eventsDir !== 'string' || typeof runsDir !== 'string') throw malformed('SQLite storage config without base_dir');
    return { kind: 'sqlite', runsDb: path.join(runsDir, 'runs.db'), eventsDir };
  }
  const module = isObject(event) ? String(event.module_name) : '?';
  throw new BanditError(ErrorCode.Unavailable, `unsupported Dagster event log storage ${module}.${cls} (supported: dagster_postgres, the default SQLite storage)`);
}

export async function openInstanceStorage(target: StorageTarget): Promise<DagsterInstanceStorage> {
  if (target.kind === 'postgres') {
    return PostgresInstanceStorage.open(target.connectionString);
  }
  return SqliteInstanceStorage.open(target.runsDb, target.eventsDir);
}
