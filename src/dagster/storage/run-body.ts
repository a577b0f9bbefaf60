/**
 * The run-row side of storing an event, shared by the Postgres and SQLite storages: the new
 * status / run body / times a run status event causes (as `SqlRunStorage.handle_run_event`
 * computes them), the `asset_keys.last_materialization` record, and SQLite's datetime text.
 */
import { expectClass, isObject, klass, parsePyJson, pyJson, type SerdesObject } from '../serdes';
import { RUN_STATUS_BY_EVENT, type RunEvent } from '../events';

export const FAILURE_REASON_TAG = 'dagster/failure_reason';

export function readRunBody(text: string): SerdesObject {
  return expectClass(parsePyJson(text), ['PipelineRun'], 'runs.run_body');
}

/** The run-row change a status event causes (`SqlRunStorage.handle_run_event`), or null. */
export interface RunStatusChange {
  status: string;
  runBody: string;
  failureReason: string | null;
  startTime: number | null;
  endTime: number | null;
}

export function runStatusChange(event: RunEvent, currentBody: string): RunStatusChange | null {
  if (event.type === null) return null;
  const status = RUN_STATUS_BY_EVENT[event.type];
  if (!status) return null;
  const body = readRunBody(currentBody);
  body.status = { __enum__: `PipelineRunStatus.${status}` };
  let failureReason: string | null = null;
  const specific = (event.entry.dagster_event as SerdesObject).event_specific_data;
  if (event.type === 'PIPELINE_FAILURE' && isObject(specific) && isObject(specific.failure_reason)) {
    const reason = String(specific.failure_reason.__enum__).split('.')[1];
    if (reason && reason !== 'UNKNOWN') {
      failureReason = reason;
      body.tags = { ...(isObject(body.tags) ? body.tags : {}), [FAILURE_REASON_TAG]: reason };
    }
  }
  return {
    status,
    runBody: pyJson(body),
    failureReason,
    startTime: event.type === 'PIPELINE_START' ? event.timestamp : null,
    endTime: ['PIPELINE_SUCCESS', 'PIPELINE_FAILURE', 'PIPELINE_CANCELED'].includes(event.type) ? event.timestamp : null,
  };
}

/** What staleness needs of an asset's latest materialization: its storage id and data version tag. */
export interface LatestMaterialization {
  storageId: number;
  dataVersion: string | null;
}

/** A stored materialization event: what a check evaluation targets. */
export interface MaterializationRef {
  storageId: number;
  timestamp: number;
  runId: string;
}

/** The latest materialization event of an asset (of one partition when `partition` is given), over `event_logs`. */
export function materializationSql(partition: string | null, param: (n: number) => string): string {
  return `SELECT id, run_id, event FROM event_logs WHERE asset_key = ${param(1)} AND dagster_event_type = 'ASSET_MATERIALIZATION'${
    partition === null ? '' : ` AND partition = ${param(2)}`
  } ORDER BY id DESC LIMIT 1`;
}

/** A row of `materializationSql` as a reference (the timestamp from the stored event). */
export function materializationRef(row: { id: number | string; run_id: string; event: string } | undefined): MaterializationRef | null {
  if (!row) return null;
  const entry = JSON.parse(row.event) as { timestamp?: unknown };
  return { storageId: Number(row.id), runId: row.run_id, timestamp: typeof entry.timestamp === 'number' ? entry.timestamp : 0 };
}

/** Reads `asset_keys.last_materialization` (an `EventLogRecord`); null when absent or unreadable. */
export function readLastMaterialization(text: string | null | undefined): LatestMaterialization | null {
  if (!text) return null;
  try {
    const rec = JSON.parse(text) as { storage_id?: unknown; event_log_entry?: { dagster_event?: { event_specific_data?: { materialization?: { tags?: Record<string, unknown> } } } } };
    if (typeof rec.storage_id !== 'number') return null;
    const tag = rec.event_log_entry?.dagster_event?.event_specific_data?.materialization?.tags?.['dagster/data_version'];
    return { storageId: rec.storage_id, dataVersion: typeof tag === 'string' ? tag : null };
  } catch {
    return null;
  }
}

/** `asset_keys.last_materialization`: the serialized `EventLogRecord` of the event. */
export function lastMaterialization(event: RunEvent, storageId: number): string {
  return pyJson(klass('EventLogRecord', { event_log_entry: event.entry, storage_id: storageId }));
}

/** Naive UTC datetime text as SQLAlchemy stores it in SQLite (`YYYY-MM-DD HH:MM:SS.ffffff`). */
export function sqliteDateTime(seconds: number): string {
  const d = new Date(Math.floor(seconds) * 1000);
  const micros = Math.round((seconds - Math.floor(seconds)) * 1e6) % 1e6;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(micros, 6)}`;
}

/** `asset_check_executions` values of a check evaluation stored with id `storageId` (Dagster's `_update_asset_check_evaluation`). */
export function checkExecutionValues(event: RunEvent, storageId: number) {
  const c = event.check;
  if (!c) return null;
  return {
    status: c.passed ? 'SUCCEEDED' : 'FAILED',
    evaluationEvent: pyJson(event.entry),
    storageId,
    materializationStorageId: c.materializationStorageId,
    partition: c.partition,
    assetKey: c.assetKey,
    checkName: c.name,
  };
}

/**
 * The `asset_event_tags` rows of an asset event (`SqlEventLogStorage._store_asset_event_tags`):
 * the materialization's tags that Dagster indexes (`get_asset_tags_to_index`) — the data version
 * and the `dagster/partition/<dimension>` tags of a multi-partition key — which its partition
 * status and data-version-by-partition reads join on.
 */
export function assetEventTags(event: RunEvent): Array<{ key: string; value: string }> {
  if (!isAssetEvent(event)) return [];
  const specific = (event.entry.dagster_event as SerdesObject).event_specific_data;
  const materialization = isObject(specific) ? specific.materialization : null;
  const tags = isObject(materialization) && isObject(materialization.tags) ? materialization.tags : {};
  return Object.entries(tags)
    .filter(([key, value]) => typeof value === 'string' && (key === DATA_VERSION_TAG || key.startsWith(MULTIDIMENSIONAL_PARTITION_PREFIX)))
    .map(([key, value]) => ({ key, value: value as string }));
}

const DATA_VERSION_TAG = 'dagster/data_version';
const MULTIDIMENSIONAL_PARTITION_PREFIX = 'dagster/partition/';

export const isAssetEvent = (e: RunEvent) => e.type === 'ASSET_MATERIALIZATION' && e.assetKey !== null;

/** Step events of a run, in order, as stored. */
export const STEP_EVENTS_SQL = "SELECT step_key, dagster_event_type FROM event_logs WHERE run_id = $1 AND dagster_event_type IN ('STEP_START', 'STEP_SUCCESS', 'STEP_FAILURE') ORDER BY id";

/** The steps started and not ended, from the step events in order. */
export function openSteps(rows: ReadonlyArray<{ step_key: string | null; dagster_event_type: string }>): string[] {
  const open = new Set<string>();
  for (const r of rows) {
    if (!r.step_key) continue;
    if (r.dagster_event_type === 'STEP_START') open.add(r.step_key);
    else open.delete(r.step_key);
  }
  return [...open];
}
