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
 *   over the path, size and modification time of every `<behavior>/<campaign>/*.csv` under
 *   the OBD folder (BANDIT_OBD_PATH), so a new or rewritten log file gives one run request
 *   (run key = that fingerprint, so Dagster never starts two runs for the same files).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AssetKey } from '../pipeline/asset-graph';
import { BanditError, ErrorCode } from '../common/errors';
import { assetKeyObject, ASSET_JOB_NAME } from './snapshots';
import { enumValue, klass, optStr, str, type SerdesObject } from './serdes';

export interface AutomationSettings {
  /** Cron of the daily schedule (UTC). */
  scheduleCron: string;
  /** The OBD folder the sensor watches (none: the sensor skips, saying why). */
  obdPath?: string;
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

/** `SensorExecutionData` for `SensorExecutionArgs`: a run request when the OBD logs changed since the cursor. */
export function evaluateSensor(args: SerdesObject, settings: AutomationSettings): SerdesObject {
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
  let fp: { hash: string; files: number };
  try {
    fp = obdFingerprint(settings.obdPath);
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
