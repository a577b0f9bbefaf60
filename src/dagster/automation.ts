/**
 * What runs the pipeline by itself, as Dagster's daemon sees it: one schedule and one sensor
 * in the repository snapshot (`ExternalScheduleData` / `ExternalSensorData`), evaluated when the
 * daemon calls `SyncExternalScheduleExecution` / `SyncExternalSensorExecution` (or their
 * streaming forms). Both target `__ASSET_JOB` with an asset selection, as a Python
 * `RunRequest(asset_selection=…)` does.
 *
 * - schedule `daily_ope_conclude`: `ope` + `conclude` every day (cron `0 3 * * *` UTC by
 *   default, `BANDIT_DAGSTER_SCHEDULE_CRON` to change it);
 * - sensor `obp_logs_sensor`: `ingest_obp` when the OBD logs change — the cursor is a SHA-256
 *   over every `<behavior>/<campaign>/*.csv` under BANDIT_OBD_PATH: for a folder their path,
 *   size and modification time; for a bucket prefix (`s3://<bucket>/raw/obp`) the objects'
 *   keys, ETags and sizes as the bucket lists them. So a new or rewritten log file gives one
 *   run request (run key = that fingerprint, so Dagster never starts two runs for the same
 *   files), and an unchanged folder or bucket none.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AssetKey } from '../pipeline/asset-graph';
import { obdObjects, obdSource } from '../pipeline/obd-source';
import type { ObjectStore } from '../object-store';
import { BanditError, ErrorCode } from '../common/errors';
import { assetKeyObject, ASSET_JOB_NAME } from './snapshots';
import { enumValue, klass, optStr, str, type SerdesObject } from './serdes';

export interface AutomationSettings {
  /** Cron of the daily schedule (UTC). */
  scheduleCron: string;
  /** The OBD folder or bucket prefix (`s3://…`) the sensor watches (none: the sensor skips, saying why). */
  obdPath?: string;
  /** The object store a bucket prefix is listed through (the code server's MinIO / S3 store). */
  store?: Pick<ObjectStore, 'location' | 'listObjects'>;
}

export const DEFAULT_SCHEDULE_CRON = '0 3 * * *';
export const DEFAULT_AUTOMATION: AutomationSettings = { scheduleCron: DEFAULT_SCHEDULE_CRON };

export const SCHEDULE = {
  name: 'daily_ope_conclude',
  assets: ['ope', 'conclude'] as AssetKey[],
  description: 'Every day: off-policy evaluation of the production policy and of our sampler on the ingested logs (ope), then the stopping rule (conclude).',
};

export const SENSOR = {
  name: 'obp_logs_sensor',
  assets: ['ingest_obp'] as AssetKey[],
  minIntervalSeconds: 30,
  description: 'Starts ingest_obp when Open Bandit Dataset logs are added or rewritten in the OBD folder (BANDIT_OBD_PATH).',
};

/** The schedules and sensors of the repository snapshot. */
export function automationSnapshots(settings: AutomationSettings): { schedules: SerdesObject[]; sensors: SerdesObject[] } {
  return { schedules: [scheduleSnapshot(settings)], sensors: [sensorSnapshot()] };
}

export function scheduleSnapshot(settings: AutomationSettings): SerdesObject {
  return klass('ExternalScheduleData', {
    asset_selection: null,
    cron_schedule: settings.scheduleCron,
    description: SCHEDULE.description,
    environment_vars: {},
    execution_timezone: 'UTC',
    metadata: {},
    mode: 'default',
    name: SCHEDULE.name,
    owners: null,
    partition_set_name: null,
    pipeline_name: ASSET_JOB_NAME,
    solid_selection: null,
    tags: {},
  });
}

export function sensorSnapshot(): SerdesObject {
  return klass('ExternalSensorData', {
    asset_selection: null,
    description: SENSOR.description,
    metadata: klass('ExternalSensorMetadata', { asset_keys: null, standard_metadata: {} }),
    min_interval: SENSOR.minIntervalSeconds,
    mode: null,
    name: SENSOR.name,
    owners: [],
    pipeline_name: ASSET_JOB_NAME,
    run_tags: {},
    sensor_type: enumValue('SensorType.STANDARD'),
    solid_selection: null,
    tags: {},
    target_dict: { [ASSET_JOB_NAME]: klass('ExternalTargetData', { mode: 'default', pipeline_name: ASSET_JOB_NAME, solid_selection: null }) },
  });
}

function runRequest(assets: readonly AssetKey[], runKey: string | null, tags: Record<string, string>): SerdesObject {
  return klass('RunRequest', {
    asset_check_keys: null,
    asset_graph_subset: null,
    asset_selection: assets.map(assetKeyObject),
    job_name: null,
    partition_key: null,
    run_config: {},
    run_key: runKey,
    stale_assets_only: false,
    tags,
  });
}

/** `ScheduleExecutionData` for `ExternalScheduleExecutionArgs`. */
export function evaluateSchedule(args: SerdesObject): SerdesObject {
  const name = str(args, 'schedule_name', 'ExternalScheduleExecutionArgs');
  if (name !== SCHEDULE.name) return notFound('schedule', name, SCHEDULE.name, 'ExternalScheduleExecutionErrorData');
  return klass('ScheduleExecutionData', {
    captured_log_key: null,
    run_requests: [runRequest(SCHEDULE.assets, null, { 'dagster/schedule_name': SCHEDULE.name })],
    skip_message: null,
  });
}

/** Fingerprint of the OBD logs: path, size and mtime of every `<behavior>/<campaign>/*.csv`. */
export function obdFingerprint(obdPath: string): { hash: string; files: number } {
  if (!fs.existsSync(obdPath)) throw new BanditError(ErrorCode.NotFound, `the OBD folder ${obdPath} does not exist`);
  const entries: string[] = [];
  for (const behavior of fs.readdirSync(obdPath).sort()) {
    const bdir = path.join(obdPath, behavior);
    if (!fs.statSync(bdir).isDirectory()) continue;
    for (const campaign of fs.readdirSync(bdir).sort()) {
      const cdir = path.join(bdir, campaign);
      if (!fs.statSync(cdir).isDirectory()) continue;
      for (const file of fs.readdirSync(cdir).sort()) {
        if (!file.endsWith('.csv')) continue;
        const st = fs.statSync(path.join(cdir, file));
        entries.push(`${behavior}/${campaign}/${file}\t${st.size}\t${st.mtimeMs}`);
      }
    }
  }
  return { hash: createHash('sha256').update(entries.join('\n')).digest('hex'), files: entries.length };
}

/** Fingerprint of the OBD log objects under a bucket prefix: key, ETag and size of every `<behavior>/<campaign>/*.csv`. */
export async function bucketFingerprint(store: Pick<ObjectStore, 'listObjects'>, prefix: string): Promise<{ hash: string; files: number }> {
  const entries = obdObjects(await store.listObjects(`${prefix}/`), prefix).map((o) => `${o.key}\t${o.etag}\t${o.size}`);
  return { hash: createHash('sha256').update(entries.join('\n')).digest('hex'), files: entries.length };
}

type Fingerprint = { hash: string; files: number };

/** The fingerprint of the OBD logs under a bucket prefix (`s3://…`), or why it cannot be taken. */
async function bucketLogs(settings: AutomationSettings, obdPath: string): Promise<Fingerprint | Error> {
  try {
    if (!settings.store) throw new BanditError(ErrorCode.InvalidInput, `cannot watch ${obdPath}: the code server has no MinIO / S3 object store (set MINIO_ENDPOINT)`);
    const source = obdSource(obdPath, settings.store);
    if (source.kind !== 'bucket') throw new BanditError(ErrorCode.InvalidInput, `${obdPath} is not a bucket prefix`);
    return await bucketFingerprint(settings.store, source.prefix);
  } catch (err) {
    return err as Error;
  }
}

/** `evaluateSensor` for any BANDIT_OBD_PATH: a bucket prefix is listed first (asynchronously). */
export async function evaluateSensorAsync(args: SerdesObject, settings: AutomationSettings): Promise<SerdesObject> {
  const bucket = settings.obdPath?.startsWith('s3://') ? await bucketLogs(settings, settings.obdPath) : undefined;
  return evaluateSensor(args, settings, bucket);
}

/**
 * `SensorExecutionData` for `SensorExecutionArgs`: a run request when the OBD logs changed since
 * the cursor. A folder is fingerprinted here; a bucket prefix's fingerprint (or the error
 * listing it) is passed in `bucket` (`evaluateSensorAsync`).
 */
export function evaluateSensor(args: SerdesObject, settings: AutomationSettings, bucket?: Fingerprint | Error): SerdesObject {
  const name = str(args, 'sensor_name', 'SensorExecutionArgs');
  if (name !== SENSOR.name) return notFound('sensor', name, SENSOR.name, 'ExternalSensorExecutionErrorData');
  const cursor = optStr(args, 'cursor', 'SensorExecutionArgs');
  const data = (runRequests: SerdesObject[], skip: string | null, next: string | null) =>
    klass('SensorExecutionData', {
      asset_events: [],
      automation_condition_evaluations: [],
      captured_log_key: null,
      cursor: next,
      dynamic_partitions_requests: [],
      pipeline_run_reactions: [],
      run_requests: runRequests,
      skip_message: skip,
    });
  if (!settings.obdPath) return data([], 'no OBD folder to watch: set BANDIT_OBD_PATH in the code server', cursor);
  let fp: Fingerprint;
  try {
    if (bucket instanceof Error) throw bucket;
    fp = bucket ?? obdFingerprint(settings.obdPath);
  } catch (err) {
    return data([], (err as Error).message, cursor);
  }
  if (fp.files === 0) return data([], `no <behavior>/<campaign>/*.csv logs in ${settings.obdPath}`, cursor);
  if (fp.hash === cursor) return data([], `no new logs in ${settings.obdPath} (${fp.files} files unchanged)`, cursor);
  return data([runRequest(SENSOR.assets, fp.hash.slice(0, 32), { 'dagster/sensor_name': SENSOR.name })], null, fp.hash);
}

function notFound(kind: string, name: string, known: string, cls: string): SerdesObject {
  const message = `Could not find ${kind} '${name}'. Found: ${known}.`;
  return klass(cls, {
    error: klass('SerializableErrorInfo', { cause: null, cls_name: 'DagsterInvariantViolationError', context: null, message: `DagsterInvariantViolationError: ${message}\n`, stack: [] }),
  });
}
