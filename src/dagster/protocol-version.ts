/**
 * Which Dagster lines the code server speaks, and how it notices a host of another one.
 *
 * Dagster's host sends no version: not in the gRPC metadata, not in any request. What changes
 * between minors are the serdes shapes — of what the code server answers (snapshots) and of
 * what the host sends (request fields). So the line the code server answers in is set by
 * configuration (`BANDIT_DAGSTER_VERSION`, the newest line by default), and every request is
 * compared with the fields the configured line's Python Dagster writes for its class (checked
 * against Python Dagster's own serializers by a golden test per line). A request with fields
 * added or missing means the webserver / daemon runs another version: the code server says so
 * in its log — once per class — instead of silently misreading it, naming the supported line
 * whose fields the request has when there is one.
 */
import type { SerdesObject } from './serdes';

/** The supported Dagster minor lines: the release the protocol and golden fixtures come from (test/peers/*). */
export const DAGSTER_LINES = {
  '1.12': { version: '1.12.22', libraries: '0.28.22', peer: 'dagster-1.12' },
  '1.13': { version: '1.13.27', libraries: '0.29.27', peer: 'dagster' },
} as const;

export type DagsterLine = keyof typeof DAGSTER_LINES;

/** Oldest first. */
export const SUPPORTED_LINES = Object.keys(DAGSTER_LINES).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1])) as DagsterLine[];

/** What the code server speaks unless configured otherwise. */
export const NEWEST_LINE: DagsterLine = SUPPORTED_LINES[SUPPORTED_LINES.length - 1];

const supportedText = () => SUPPORTED_LINES.map((l) => `${l}.x`).join(', ');

/** The line of a Dagster version (`1.12`, `1.12.x`, `1.12.22`); an unsupported one is an error naming the supported. */
export function dagsterLine(version: string): DagsterLine {
  const m = /^(\d+)\.(\d+)(?:\.(?:\d+|x))?$/.exec(version.trim());
  const line = m ? `${Number(m[1])}.${Number(m[2])}` : null;
  if (line === null || !(line in DAGSTER_LINES)) {
    throw new Error(`unsupported Dagster version ${JSON.stringify(version)}: this code server speaks Dagster ${supportedText()} (set BANDIT_DAGSTER_VERSION to the webserver's line)`);
  }
  return line as DagsterLine;
}

/** Storage field names of the requests a Dagster 1.13 host sends (test/fixtures/dagster/1.13/request-fields.json). */
const FIELDS_1_13: Readonly<Record<string, readonly string[]>> = {
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

/**
 * Storage field names of the requests each line's host sends (test/fixtures/dagster/<line>/request-fields.json).
 * 1.12 and 1.13 send the same fields: the requests cannot tell these two lines apart.
 */
export const HOST_REQUEST_FIELDS: Readonly<Record<DagsterLine, Readonly<Record<string, readonly string[]>>>> = {
  '1.12': FIELDS_1_13,
  '1.13': FIELDS_1_13,
};

export interface ProtocolMismatch {
  cls: string;
  added: string[];
  missing: string[];
  /** Supported lines whose fields the request has exactly (another line than the configured one). */
  matches: DagsterLine[];
}

function diffFields(payload: SerdesObject, known: readonly string[]): { added: string[]; missing: string[] } {
  const present = Object.keys(payload).filter((k) => k !== '__class__');
  return { added: present.filter((k) => !known.includes(k)).sort(), missing: known.filter((k) => !present.includes(k)) };
}

/**
 * What in `payload` differs from the fields `line` sends for its class (null when it matches or
 * the class is not listed); `fields` replaces the table (tests: a line whose fields differ).
 */
export function protocolMismatch(
  payload: SerdesObject,
  line: DagsterLine = NEWEST_LINE,
  fields: Readonly<Record<DagsterLine, Readonly<Record<string, readonly string[]>>>> = HOST_REQUEST_FIELDS,
): ProtocolMismatch | null {
  const cls = payload.__class__;
  if (typeof cls !== 'string') return null;
  const known = fields[line][cls];
  if (!known) return null;
  const { added, missing } = diffFields(payload, known);
  if (added.length === 0 && missing.length === 0) return null;
  const matches = SUPPORTED_LINES.filter((l) => {
    const other = fields[l][cls];
    if (l === line || !other) return false;
    const d = diffFields(payload, other);
    return d.added.length === 0 && d.missing.length === 0;
  });
  return { cls, added, missing, matches };
}

/** The one log line for a mismatching request. */
export function mismatchMessage(m: ProtocolMismatch, line: DagsterLine): string {
  const speaks = `This code server speaks the protocol of Dagster ${DAGSTER_LINES[line].version} (BANDIT_DAGSTER_VERSION=${line}; supported: ${supportedText()})`;
  if (m.matches.length > 0) {
    return `Dagster version mismatch: the webserver / daemon sent ${m.cls} as Dagster ${m.matches.join(' / ')} writes it, not as ${line} does. ${speaks}; set BANDIT_DAGSTER_VERSION=${m.matches[m.matches.length - 1]}, or requests may be misread.`;
  }
  const diff = [m.added.length > 0 ? `fields Dagster ${line} does not have: ${m.added.join(', ')}` : '', m.missing.length > 0 ? `fields Dagster ${line} always sends missing: ${m.missing.join(', ')}` : '']
    .filter(Boolean)
    .join('; ');
  return `unsupported Dagster version: the webserver / daemon sent ${m.cls} with ${diff}. ${speaks}; run the webserver and daemon on one of those lines, or requests may be misread.`;
}

/** Logs each mismatching request class once, as one clear line. */
export class ProtocolWatch {
  private readonly reported = new Set<string>();

  constructor(
    private readonly log: (message: string) => void,
    private readonly line: DagsterLine = NEWEST_LINE,
    private readonly fields = HOST_REQUEST_FIELDS,
  ) {}

  check(payload: SerdesObject): void {
    const m = protocolMismatch(payload, this.line, this.fields);
    if (!m || this.reported.has(m.cls)) return;
    this.reported.add(m.cls);
    this.log(mismatchMessage(m, this.line));
  }
}
