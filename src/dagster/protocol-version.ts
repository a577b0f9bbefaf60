/**
 * Which Dagster the host runs, as far as its payloads tell: Dagster's host sends no version,
 * but every request is a serdes object whose field names change between minors. The fields
 * Dagster 1.13 writes for each request class are listed here (checked against Python
 * Dagster's own serializers by a golden test); a request with fields added or missing means
 * the webserver / daemon runs another version, and the code server says so in its log —
 * once per class — instead of silently misreading it.
 */
import type { SerdesObject } from './serdes';

export const PROTOCOL_DAGSTER_VERSION = '1.13.27';

/** Storage field names of the requests a Dagster 1.13 host sends (test/fixtures/dagster/request-fields.json). */
export const HOST_REQUEST_FIELDS: Readonly<Record<string, readonly string[]>> = {
  CanCancelExecutionRequest: ['run_id'],
  CancelExecutionRequest: ['run_id'],
  ExecuteExternalPipelineArgs: ['instance_ref', 'pipeline_origin', 'pipeline_run_id'],
  ExecutionPlanSnapshotArgs: ['asset_check_selection', 'asset_selection', 'instance_ref', 'known_state', 'mode', 'pipeline_origin', 'pipeline_snapshot_id', 'run_config', 'solid_selection', 'step_keys_to_execute'],
  ExternalPipelineOrigin: ['external_repository_origin', 'pipeline_name'],
  ExternalRepositoryOrigin: ['repository_location_origin', 'repository_name'],
  ExternalScheduleExecutionArgs: ['instance_ref', 'log_key', 'repository_origin', 'schedule_name', 'scheduled_execution_timestamp', 'scheduled_execution_timezone', 'timeout'],
  PartitionArgs: ['instance_ref', 'job_name', 'partition_name', 'partition_set_name', 'repository_origin'],
  PartitionNamesArgs: ['job_name', 'partition_set_name', 'repository_origin'],
  PartitionSetExecutionParamArgs: ['instance_ref', 'partition_names', 'partition_set_name', 'repository_origin'],
  PipelineSubsetSnapshotArgs: ['asset_check_selection', 'asset_selection', 'include_parent_snapshot', 'pipeline_origin', 'solid_selection'],
  SensorExecutionArgs: ['cursor', 'instance_ref', 'last_completion_time', 'last_run_key', 'last_sensor_start_time', 'last_tick_completion_time', 'log_key', 'repository_origin', 'sensor_name', 'timeout'],
};

/** What in `payload` differs from the 1.13 fields of its class (null when it matches or the class is not listed). */
export function protocolMismatch(payload: SerdesObject): { cls: string; added: string[]; missing: string[] } | null {
  const cls = payload.__class__;
  if (typeof cls !== 'string') return null;
  const known = HOST_REQUEST_FIELDS[cls];
  if (!known) return null;
  const present = Object.keys(payload).filter((k) => k !== '__class__');
  const added = present.filter((k) => !known.includes(k)).sort();
  const missing = known.filter((k) => !present.includes(k));
  return added.length === 0 && missing.length === 0 ? null : { cls, added, missing };
}

/** Logs each mismatching request class once, as one clear line. */
export class ProtocolWatch {
  private readonly reported = new Set<string>();

  constructor(private readonly log: (message: string) => void) {}

  check(payload: SerdesObject): void {
    const m = protocolMismatch(payload);
    if (!m || this.reported.has(m.cls)) return;
    this.reported.add(m.cls);
    const diff = [m.added.length > 0 ? `fields Dagster 1.13 does not have: ${m.added.join(', ')}` : '', m.missing.length > 0 ? `fields Dagster 1.13 always sends missing: ${m.missing.join(', ')}` : '']
      .filter(Boolean)
      .join('; ');
    this.log(
      `unsupported Dagster version: the webserver / daemon sent ${m.cls} with ${diff}. This code server speaks the protocol of Dagster ${PROTOCOL_DAGSTER_VERSION} (supported: 1.13.x); run the webserver and daemon on dagster 1.13.x, or requests may be misread.`,
    );
  }
}
