/**
 * Dagster run events (`EventLogEntry` wrapping a `DagsterEvent`) in the serdes shapes Python
 * Dagster 1.13 writes to the event log, plus `SerializableErrorInfo` for failures. Shapes are
 * checked against events recorded from a Python run (test/fixtures/dagster/events-*.json).
 */
import type { MetadataValue } from '../pipeline/asset-graph';
import { assetKeyObject, assetKeyString, OUTPUT_NAME } from './snapshots';
import { enumValue, fromJson, klass, PyFloat, type SerdesObject } from './serdes';

/** Python logging levels used by Dagster. */
export const LEVEL = { debug: 10, info: 20, warning: 30, error: 40 } as const;

/** Event types that change a run's status (`EVENT_TYPE_TO_PIPELINE_RUN_STATUS`). */
export const RUN_STATUS_BY_EVENT: Readonly<Record<string, string>> = {
  PIPELINE_START: 'STARTED',
  PIPELINE_SUCCESS: 'SUCCESS',
  PIPELINE_FAILURE: 'FAILURE',
  PIPELINE_ENQUEUED: 'QUEUED',
  PIPELINE_STARTING: 'STARTING',
  PIPELINE_CANCELING: 'CANCELING',
  PIPELINE_CANCELED: 'CANCELED',
};

/** One event ready for storage: the serialized entry plus the indexed columns. */
export interface RunEvent {
  runId: string;
  entry: SerdesObject;
  /** `dagster_event_type` column; null for a plain log message. */
  type: string | null;
  /** Seconds since the epoch. */
  timestamp: number;
  stepKey: string | null;
  /** `AssetKey.to_string()` for asset events. */
  assetKey: string | null;
  /** `partition` column: the partition key of a partitioned asset's event. */
  partition?: string | null;
  /** For an asset check evaluation: the `asset_check_executions` row it completes. */
  check?: CheckExecution;
}

export interface CheckExecution {
  /** `AssetKey.to_string()`. */
  assetKey: string;
  name: string;
  passed: boolean;
  partition: string | null;
  /** Storage id of the materialization the check evaluated. */
  materializationStorageId: number | null;
}

export interface RunIdentity {
  runId: string;
  jobName: string;
  pid: number;
}

/** `SerializableErrorInfo` of a JS error (with its `cause` chain) or of a message. */
export function serializableError(err: unknown, clsName?: string, depth = 0): SerdesObject {
  if (!(err instanceof Error)) {
    const name = clsName ?? 'Error';
    return klass('SerializableErrorInfo', { cause: null, cls_name: name, context: null, message: `${name}: ${String(err)}\n`, stack: [] });
  }
  const name = clsName ?? err.name ?? 'Error';
  const stack = (err.stack ?? '')
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .map((l) => `  ${l.trim()}\n`);
  const cause = (err as Error & { cause?: unknown }).cause;
  return klass('SerializableErrorInfo', {
    cause: cause !== undefined && cause !== null && depth < 10 ? serializableError(cause, undefined, depth + 1) : null,
    cls_name: name,
    context: null,
    message: `${name}: ${err.message}\n`,
    stack,
  });
}

/**
 * Dagster metadata entry for one value (`EventMetadataEntry` + the typed entry data). A
 * non-finite int or float (NaN, ±Infinity) is never written as a number — Dagster's readers
 * of step stats and materialization history fail on it (`Param "value" is not a int. Got nan`)
 * — but as text saying what it was; NaN / ±Infinity inside JSON metadata become null.
 */
export function metadataEntry(label: string, v: MetadataValue): SerdesObject {
  const data = (): SerdesObject => {
    switch (v.type) {
      case 'int':
        if (!Number.isFinite(v.value)) return klass('TextMetadataEntryData', { text: `${v.value} (not a finite number)` });
        return klass('IntMetadataEntryData', { value: Math.trunc(v.value) });
      case 'float':
        if (!Number.isFinite(v.value)) return klass('TextMetadataEntryData', { text: `${v.value} (not a finite number)` });
        return klass('FloatMetadataEntryData', { value: new PyFloat(v.value) });
      case 'text':
        return klass('TextMetadataEntryData', { text: v.value });
      case 'md':
        return klass('MarkdownMetadataEntryData', { md_str: v.value });
      case 'json':
        return klass('JsonMetadataEntryData', { data: fromJson(v.value) });
      case 'path':
        return klass('PathMetadataEntryData', { path: v.value });
      case 'url':
        return klass('UrlMetadataEntryData', { url: v.value });
      case 'table_schema':
        return klass('TableSchemaMetadataEntryData', {
          schema: klass('TableSchema', {
            columns: v.value.map((c) =>
              klass('TableColumn', {
                constraints: klass('TableColumnConstraints', { nullable: true, other: [], unique: false }),
                description: c.description ?? null,
                name: c.name,
                type: c.type,
              }),
            ),
            constraints: klass('TableConstraints', { other: [] }),
          }),
        });
    }
  };
  return klass('EventMetadataEntry', { description: null, entry_data: data(), label });
}

const solidHandle = (name: string) => klass('SolidHandle', { name, parent: null });

export interface EventSpec {
  type: string | null;
  message: string;
  level?: number;
  stepKey?: string | null;
  specific?: SerdesObject | null;
  assetKey?: string | null;
  partition?: string | null;
  check?: CheckExecution;
}

/** Builds the `EventLogEntry` Python Dagster would store for one event. */
export function runEvent(run: RunIdentity, spec: EventSpec, now: number): RunEvent {
  const stepKey = spec.stepKey ?? null;
  const level = spec.level ?? (spec.type === null ? LEVEL.info : LEVEL.debug);
  const dagsterEvent =
    spec.type === null
      ? null
      : klass('DagsterEvent', {
          event_specific_data: spec.specific ?? null,
          event_type_value: spec.type,
          logging_tags: stepKey
            ? { job_name: run.jobName, op_name: stepKey, resource_fn_name: 'None', resource_name: 'None', run_id: run.runId, step_key: stepKey }
            : {},
          message: spec.message,
          pid: run.pid,
          pipeline_name: run.jobName,
          solid_handle: stepKey ? solidHandle(stepKey) : null,
          step_handle: stepKey ? klass('StepHandle', { key: stepKey, solid_handle: solidHandle(stepKey) }) : null,
          step_key: stepKey,
          step_kind_value: stepKey ? 'COMPUTE' : null,
        });
  const entry = klass('EventLogEntry', {
    dagster_event: dagsterEvent,
    error_info: null,
    level,
    message: '',
    pipeline_name: run.jobName,
    run_id: run.runId,
    step_key: stepKey,
    timestamp: new PyFloat(now),
    user_message: spec.message,
  });
  return { runId: run.runId, entry, type: spec.type, timestamp: now, stepKey, assetKey: spec.assetKey ?? null, partition: spec.partition ?? null, ...(spec.check ? { check: spec.check } : {}) };
}

// ---- the events a run writes ------------------------------------------------------------------

export const events = {
  runStart: (run: RunIdentity, now: number) => runEvent(run, { type: 'PIPELINE_START', message: `Started execution of run for "${run.jobName}".` }, now),
  runSuccess: (run: RunIdentity, now: number) => runEvent(run, { type: 'PIPELINE_SUCCESS', message: `Finished execution of run for "${run.jobName}".` }, now),
  runFailure: (run: RunIdentity, now: number, message: string, error: SerdesObject | null, reason: 'STEP_FAILURE' | 'JOB_INITIALIZATION_FAILURE' | 'UNEXPECTED_ERROR', firstStepFailure: SerdesObject | null) =>
    runEvent(
      run,
      {
        type: 'PIPELINE_FAILURE',
        level: LEVEL.error,
        message,
        specific: klass('PipelineFailureData', { error, failure_reason: enumValue(`RunFailureReason.${reason}`), first_step_failure_event: firstStepFailure }),
      },
      now,
    ),
  runCanceled: (run: RunIdentity, now: number, message: string) =>
    runEvent(run, { type: 'PIPELINE_CANCELED', level: LEVEL.error, message, specific: klass('PipelineCanceledData', { error: null }) }, now),
  engine: (run: RunIdentity, now: number, message: string, metadata: Record<string, string> = {}, stepKey: string | null = null) =>
    runEvent(
      run,
      {
        type: 'ENGINE_EVENT',
        message,
        stepKey,
        specific: klass('EngineEventData', {
          error: null,
          marker_end: null,
          marker_start: null,
          metadata_entries: Object.entries(metadata).map(([k, v]) => metadataEntry(k, { type: 'text', value: v })),
        }),
      },
      now,
    ),
  /** Dagster's LOGS_CAPTURED: stdout / stderr of `stepKeys` are in compute-log file `fileKey`. */
  logsCaptured: (run: RunIdentity, now: number, fileKey: string, stepKeys: string[]) =>
    runEvent(
      run,
      {
        type: 'LOGS_CAPTURED',
        message: `Capturing logs for process (pid: ${run.pid}).`,
        specific: klass('ComputeLogsCaptureData', { external_stderr_url: null, external_stdout_url: null, external_url: null, log_key: fileKey, shell_cmd: null, step_keys: stepKeys }),
      },
      now,
    ),
  stepStart: (run: RunIdentity, now: number, step: string) => runEvent(run, { type: 'STEP_START', message: `Started execution of step "${step}".`, stepKey: step }, now),
  stepOutput: (run: RunIdentity, now: number, step: string, output = OUTPUT_NAME) =>
    runEvent(
      run,
      {
        type: 'STEP_OUTPUT',
        message: `Yielded output "${output}" of type "Any". (Type check passed).`,
        stepKey: step,
        specific: klass('StepOutputData', {
          metadata_entries: [],
          step_output_handle: klass('StepOutputHandle', { mapping_key: null, output_name: output, step_key: step }),
          type_check_data: klass('TypeCheckData', { description: null, label: output, metadata_entries: [], success: true }),
          version: null,
        }),
      },
      now,
    ),
  materialization: (
    run: RunIdentity,
    now: number,
    step: string,
    metadata: Record<string, MetadataValue>,
    description: string | null,
    tags: Record<string, string> = {},
    partition: string | null = null,
  ) =>
    runEvent(
      run,
      {
        type: 'ASSET_MATERIALIZATION',
        message: `Materialized value ${step}.`,
        stepKey: step,
        assetKey: assetKeyString(step),
        partition,
        specific: klass('StepMaterializationData', {
          asset_lineage: [],
          materialization: klass('AssetMaterialization', {
            asset_key: assetKeyObject(step),
            description,
            metadata_entries: Object.entries(metadata).map(([k, v]) => metadataEntry(k, v)),
            partition,
            // what Dagster's staleness reads: code version, inputs' versions and events, data version (data-version.ts)
            tags,
          }),
        }),
      },
      now,
    ),
  /**
   * ASSET_CHECK_EVALUATION of check `name` on asset `step` (the host wrote the PLANNED row when it
   * created the run); `target` is the materialization it evaluated (of another run for a
   * check-only run), `partition` the partition of a partitioned check.
   */
  checkEvaluation: (
    run: RunIdentity,
    now: number,
    step: string,
    check: { name: string; passed: boolean; description?: string; metadata: Record<string, MetadataValue> },
    target: { storageId: number; timestamp: number; runId?: string } | null,
    partition: string | null = null,
  ) =>
    runEvent(
      run,
      {
        type: 'ASSET_CHECK_EVALUATION',
        message: `Asset check '${check.name}' on '${step}' ${check.passed ? 'passed.' : 'did not pass.'}${check.description === undefined ? '' : ` Description: '${check.description}'`}`,
        stepKey: step,
        specific: klass('AssetCheckEvaluation', {
          asset_key: assetKeyObject(step),
          blocking: false,
          check_name: check.name,
          description: check.description ?? null,
          metadata: Object.fromEntries(Object.entries(check.metadata).map(([k, v]) => [k, metadataEntry(k, v).entry_data as SerdesObject])),
          partition,
          severity: enumValue('AssetCheckSeverity.WARN'),
          success: check.passed,
          target_materialization_data: target
            ? klass('AssetCheckEvaluationTargetMaterializationData', { run_id: target.runId ?? run.runId, storage_id: target.storageId, timestamp: new PyFloat(target.timestamp) })
            : null,
        }),
        check: { assetKey: assetKeyString(step), name: check.name, passed: check.passed, partition, materializationStorageId: target?.storageId ?? null },
      },
      now,
    ),
  stepSuccess: (run: RunIdentity, now: number, step: string, durationMs: number) =>
    runEvent(
      run,
      {
        type: 'STEP_SUCCESS',
        message: `Finished execution of step "${step}" in ${Math.round(durationMs)}ms.`,
        stepKey: step,
        specific: klass('StepSuccessData', { duration_ms: new PyFloat(durationMs) }),
      },
      now,
    ),
  stepFailure: (run: RunIdentity, now: number, step: string, error: SerdesObject) =>
    runEvent(
      run,
      {
        type: 'STEP_FAILURE',
        level: LEVEL.error,
        message: `Execution of step "${step}" failed.`,
        stepKey: step,
        specific: klass('StepFailureData', { error, error_source: enumValue('ErrorSource.USER_CODE_ERROR'), user_failure_data: null }),
      },
      now,
    ),
  stepSkipped: (run: RunIdentity, now: number, step: string) =>
    runEvent(run, { type: 'STEP_SKIPPED', message: `Skipped execution of step "${step}".`, stepKey: step }, now),
  log: (run: RunIdentity, now: number, level: number, message: string, step: string | null) => runEvent(run, { type: null, level, message, stepKey: step }, now),
};
