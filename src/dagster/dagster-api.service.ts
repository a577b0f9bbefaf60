/**
 * The `api.DagsterApi` service of a Dagster code location, answered from TypeScript: the
 * repository / job / execution-plan snapshots of the pipeline and run execution.
 *
 * Like grpc-node's health-check service: this class holds the state and `addToServer(server)`
 * registers it; the caller owns binding and shutdown. Every handler answers with a gRPC status
 * on bad input (INVALID_ARGUMENT for a malformed serdes payload), never a thrown crash; the
 * streaming handlers stop writing when the call is cancelled.
 */
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { BanditError, ErrorCode } from '../common/errors';
import { ASSET_GRAPH, assetDefinition, isAssetKey, type AssetKey } from '../pipeline/asset-graph';
import { automationSnapshots, DEFAULT_AUTOMATION, evaluateSchedule, evaluateSensorAsync, type AutomationSettings } from './automation';
import { serializableError } from './events';
import { toGrpcError } from './grpc-status';
import { partitionConfigResult, partitionExecutionParamsResult, partitionNamesResult, partitionTagsResult } from './partitions';
import { dagsterLine, ProtocolWatch, type DagsterLine } from './protocol-version';
import { loadProtos, type DagsterApiRpc } from './proto';
import type { RunLauncher } from './run-launcher';
import { expectClass, klass, malformed, optCollection, pyJson, readObject, str, type SerdesObject, type SerdesValue } from './serdes';
import {
  ASSET_JOB_NAME,
  executionPlanSnapshot,
  jobData,
  listRepositoriesResponse,
  REPOSITORY_NAME,
  repositorySnapshot,
  subsetResult,
  type CheckKey,
  type CodeLocationInfo,
} from './snapshots';

/** Python's server splits streamed payloads every 4,000,000 characters. */
export const STREAMING_CHUNK_SIZE = 4_000_000;

type Req = Record<string, unknown>;
type Unary = grpc.handleUnaryCall<Req, Req>;
type Streaming = grpc.handleServerStreamingCall<Req, Req>;
type Handlers = Record<DagsterApiRpc, Unary | Streaming>;

export interface DagsterApiOptions {
  info: CodeLocationInfo;
  runs: RunLauncher;
  /** Called once when the host asks the server to shut down (after runs finish). */
  onShutdown?: () => void;
  /** Stable id for this process; a new one makes the host reload the location. */
  serverId?: string;
  /** Where a request from an unsupported Dagster version is reported (default: stderr). */
  log?: (message: string) => void;
}

export class DagsterApiService {
  readonly serverId: string;
  private shuttingDown = false;

  private readonly protocol: ProtocolWatch;
  /** The Dagster line every answer is shaped for (from `info.dagsterVersion`: the host sends none). */
  readonly line: DagsterLine;

  constructor(private readonly options: DagsterApiOptions) {
    this.serverId = options.serverId ?? randomUUID();
    this.line = dagsterLine(options.info.dagsterVersion);
    this.protocol = new ProtocolWatch(options.log ?? ((m) => process.stderr.write(`${new Date().toISOString()} code-server ERROR ${m}\n`)), this.line);
  }

  /** Reads a request payload, reporting one from another Dagster version. */
  private request(text: string, classes: readonly string[], what: string): SerdesObject {
    const obj = readObject(text, classes, what);
    this.protocol.check(obj);
    return obj;
  }

  private get automation(): AutomationSettings {
    return this.options.info.automation ?? DEFAULT_AUTOMATION;
  }

  private scheduleResult(text: string): string {
    return pyJson(evaluateSchedule(this.request(text, ['ExternalScheduleExecutionArgs'], 'ExternalScheduleExecutionArgs')));
  }

  private async sensorResult(text: string): Promise<string> {
    return pyJson(await evaluateSensorAsync(this.request(text, ['SensorExecutionArgs'], 'SensorExecutionArgs'), this.automation));
  }

  /** Calls received per RPC since start (what the host actually used). */
  readonly calls = new Map<DagsterApiRpc, number>();

  addToServer(server: grpc.Server): void {
    const handlers = this.handlers();
    const counted = Object.fromEntries(
      (Object.keys(handlers) as DagsterApiRpc[]).map((rpc) => [
        rpc,
        (call: never, cb: never) => {
          this.calls.set(rpc, (this.calls.get(rpc) ?? 0) + 1);
          return (handlers[rpc] as (a: never, b: never) => void)(call, cb);
        },
      ]),
    );
    server.addService(loadProtos().dagster, counted as unknown as grpc.UntypedServiceImplementation);
  }

  private handlers(): Handlers {
    const unimplemented = (name: string): Unary => (_call, cb) =>
      cb({ code: grpc.status.UNIMPLEMENTED, details: `${name} is not implemented by bandit-pipeline (no notebooks or component state)` });
    return {
      Ping: unary((r) => ({ echo: r.echo ?? '', serialized_server_utilization_metrics: '' })),
      Heartbeat: unary((r) => ({ echo: r.echo ?? '' })),
      StreamingPing: streaming((r) => {
        const n = Number(r.sequence_length ?? 0);
        if (!Number.isInteger(n) || n < 0 || n > 100_000) throw new BanditError(ErrorCode.InvalidInput, 'sequence_length must be 0..100000');
        return Array.from({ length: n }, (_, i) => ({ sequence_number: i, echo: r.echo ?? '' }));
      }),
      GetServerId: unary(() => ({ server_id: this.serverId })),
      ListRepositories: unary(() => ({ serialized_list_repositories_response_or_error: pyJson(listRepositoriesResponse(this.options.info)) })),
      ExternalRepository: unary((r) => ({ serialized_external_repository_data: this.repositoryData(r) })),
      StreamingExternalRepository: streaming((r) =>
        chunks(this.repositoryData(r)).map((c, i) => ({ sequence_number: i, serialized_external_repository_chunk: c })),
      ),
      ExternalJob: unary((r) => {
        readRepositoryOrigin(String(r.serialized_repository_origin ?? ''));
        if (r.job_name !== ASSET_JOB_NAME) {
          return { serialized_job_data: '', serialized_error: pyJson(serializableError(`no job named ${JSON.stringify(r.job_name)} in ${REPOSITORY_NAME}`, 'DagsterInvariantViolationError')) };
        }
        return { serialized_job_data: pyJson(jobData(null)), serialized_error: '' };
      }),
      ExternalPipelineSubsetSnapshot: unary((r) => ({ serialized_external_pipeline_subset_result: pyJson(this.subset(String(r.serialized_pipeline_subset_snapshot_args ?? ''))) })),
      ExecutionPlanSnapshot: unary((r) => ({ serialized_execution_plan_snapshot: pyJson(this.executionPlan(String(r.serialized_execution_plan_snapshot_args ?? ''))) })),
      StartRun: unary(async (r) => ({ serialized_start_run_result: pyJson(await this.startRun(String(r.serialized_execute_run_args ?? ''))) })),
      CancelExecution: unary((r) => {
        const req = this.request(String(r.serialized_cancel_execution_request ?? ''), ['CancelExecutionRequest'], 'CancelExecutionRequest');
        const ok = this.options.runs.cancel(str(req, 'run_id', 'CancelExecutionRequest'));
        return { serialized_cancel_execution_result: pyJson(klass('CancelExecutionResult', { message: ok ? null : 'run is not executing on this server', serializable_error_info: null, success: ok })) };
      }),
      CanCancelExecution: unary((r) => {
        const req = readObject(String(r.serialized_can_cancel_execution_request ?? ''), ['CanCancelExecutionRequest'], 'CanCancelExecutionRequest');
        return { serialized_can_cancel_execution_result: pyJson(klass('CanCancelExecutionResult', { can_cancel: this.options.runs.canCancel(str(req, 'run_id', 'CanCancelExecutionRequest')) })) };
      }),
      GetCurrentImage: unary(() => ({ serialized_current_image: pyJson(klass('GetCurrentImageResult', { current_image: this.options.info.containerImage, serializable_error_info: null })) })),
      GetCurrentRuns: unary(() => ({ serialized_current_runs: pyJson(klass('GetCurrentRunsResult', { current_runs: this.options.runs.currentRuns(), serializable_error_info: null })) })),
      ShutdownServer: unary(() => {
        if (!this.shuttingDown) {
          this.shuttingDown = true;
          void this.options.runs.drain().then(() => this.options.onShutdown?.());
        }
        return { serialized_shutdown_server_result: pyJson(klass('ShutdownServerResult', { serializable_error_info: null, success: true })) };
      }),
      // The definitions are compiled in: there is nothing to reload; answer like `dagster api grpc` does.
      ReloadCode: unary(() => ({ serialized_error: '' })),
      ExternalPartitionNames: unary((r) => ({
        serialized_external_partition_names_or_external_partition_execution_error: pyJson(partitionNamesResult(this.request(String(r.serialized_partition_names_args ?? ''), ['PartitionNamesArgs'], 'PartitionNamesArgs'))),
      })),
      ExternalNotebookData: unimplemented('ExternalNotebookData'),
      ExternalPartitionConfig: unary((r) => ({
        serialized_external_partition_config_or_external_partition_execution_error: pyJson(partitionConfigResult(this.request(String(r.serialized_partition_args ?? ''), ['PartitionArgs'], 'PartitionArgs'))),
      })),
      ExternalPartitionTags: unary((r) => ({
        serialized_external_partition_tags_or_external_partition_execution_error: pyJson(partitionTagsResult(this.request(String(r.serialized_partition_args ?? ''), ['PartitionArgs'], 'PartitionArgs'))),
      })),
      ExternalPartitionSetExecutionParams: streaming((r) => {
        const args = this.request(String(r.serialized_partition_set_execution_param_args ?? ''), ['PartitionSetExecutionParamArgs'], 'PartitionSetExecutionParamArgs');
        return chunks(pyJson(partitionExecutionParamsResult(args))).map((c, i) => ({ sequence_number: i, serialized_chunk: c }));
      }),
      ExternalScheduleExecution: streaming((r) =>
        chunks(this.scheduleResult(String(r.serialized_external_schedule_execution_args ?? ''))).map((c, i) => ({ sequence_number: i, serialized_chunk: c })),
      ),
      SyncExternalScheduleExecution: unary((r) => ({ serialized_schedule_result: this.scheduleResult(String(r.serialized_external_schedule_execution_args ?? '')) })),
      ExternalSensorExecution: streaming(async (r) =>
        chunks(await this.sensorResult(String(r.serialized_external_sensor_execution_args ?? ''))).map((c, i) => ({ sequence_number: i, serialized_chunk: c })),
      ),
      SyncExternalSensorExecution: unary(async (r) => ({ serialized_sensor_result: await this.sensorResult(String(r.serialized_external_sensor_execution_args ?? '')) })),
      RefreshComponentState: unimplemented('RefreshComponentState'),
      ReloadCodeWithState: unimplemented('ReloadCodeWithState'),
    };
  }

  private repositoryData(r: Req): string {
    const name = readRepositoryOrigin(String(r.serialized_repository_python_origin ?? ''));
    if (name !== REPOSITORY_NAME) {
      return pyJson(klass('ExternalRepositoryErrorData', { error: serializableError(`no repository named ${JSON.stringify(name)} (this location serves ${REPOSITORY_NAME})`, 'DagsterInvariantViolationError') }));
    }
    return pyJson(repositorySnapshot(Boolean(r.defer_snapshots), automationSnapshots(this.automation), this.line));
  }

  private subset(text: string): SerdesObject {
    const args = this.request(text, ['PipelineSubsetSnapshotArgs'], 'PipelineSubsetSnapshotArgs');
    readJobOrigin(args.pipeline_origin, 'PipelineSubsetSnapshotArgs.pipeline_origin');
    try {
      const selection = selectionOf(args, 'PipelineSubsetSnapshotArgs');
      const checks = checkSelectionOf(args, 'PipelineSubsetSnapshotArgs');
      const byAssets = optCollection(args, 'asset_selection', 'PipelineSubsetSnapshotArgs') !== null;
      return selection === null
        ? klass('ExternalPipelineSubsetResult', { error: null, external_pipeline_data: jobData(null), repository_python_origin: null, success: true })
        : subsetResult(selection, this.options.info, byAssets ? 'assets' : 'ops', checks);
    } catch (err) {
      if (!(err instanceof BanditError) || err.code !== ErrorCode.NotFound) throw err;
      return klass('ExternalPipelineSubsetResult', { error: serializableError(err.message, 'DagsterInvalidSubsetError'), external_pipeline_data: null, repository_python_origin: null, success: false });
    }
  }

  private executionPlan(text: string): SerdesObject {
    const args = this.request(text, ['ExecutionPlanSnapshotArgs'], 'ExecutionPlanSnapshotArgs');
    readJobOrigin(args.pipeline_origin, 'ExecutionPlanSnapshotArgs.pipeline_origin');
    const snapshotIdSent = str(args, 'pipeline_snapshot_id', 'ExecutionPlanSnapshotArgs');
    try {
      const selection = selectionOf(args, 'ExecutionPlanSnapshotArgs');
      const stepKeys = optCollection(args, 'step_keys_to_execute', 'ExecutionPlanSnapshotArgs');
      if (stepKeys && stepKeys.some((k) => typeof k !== 'string')) throw malformed('ExecutionPlanSnapshotArgs.step_keys_to_execute: expected strings');
      return executionPlanSnapshot(selection, snapshotIdSent, stepKeys as string[] | null, this.line, checkSelectionOf(args, 'ExecutionPlanSnapshotArgs'));
    } catch (err) {
      if (!(err instanceof BanditError) || err.code !== ErrorCode.NotFound) throw err;
      return klass('ExecutionPlanSnapshotErrorData', { error: serializableError(err.message, 'DagsterInvalidSubsetError') });
    }
  }

  private async startRun(text: string): Promise<SerdesObject> {
    if (this.shuttingDown) {
      return klass('StartRunResult', { message: 'Tried to start a run on a server after telling it to shut down', serializable_error_info: null, success: false });
    }
    const args = this.request(text, ['ExecuteExternalPipelineArgs'], 'ExecuteExternalPipelineArgs');
    readJobOrigin(args.pipeline_origin, 'ExecuteExternalPipelineArgs.pipeline_origin');
    try {
      await this.options.runs.start(args);
      return klass('StartRunResult', { message: null, serializable_error_info: null, success: true });
    } catch (err) {
      if (err instanceof BanditError && err.code === ErrorCode.InvalidInput) throw err;
      return klass('StartRunResult', { message: err instanceof Error ? err.message : String(err), serializable_error_info: serializableError(err), success: false });
    }
  }
}

// ---- request parsing ------------------------------------------------------------------------

/** `ExternalRepositoryOrigin` → its repository name. */
function readRepositoryOrigin(text: string): string {
  const origin = readObject(text, ['ExternalRepositoryOrigin'], 'ExternalRepositoryOrigin');
  return str(origin, 'repository_name', 'ExternalRepositoryOrigin');
}

/** `ExternalPipelineOrigin` inside another payload: checks repository and job names. */
export function readJobOrigin(v: SerdesValue | undefined, what: string): void {
  const origin = expectClass(v, ['ExternalPipelineOrigin'], what);
  const repo = expectClass(origin.external_repository_origin, ['ExternalRepositoryOrigin'], `${what}.external_repository_origin`);
  const repoName = str(repo, 'repository_name', what);
  const job = str(origin, 'pipeline_name', what);
  if (repoName !== REPOSITORY_NAME || job !== ASSET_JOB_NAME) {
    throw new BanditError(ErrorCode.NotFound, `no job ${job} in repository ${repoName} (this location serves ${ASSET_JOB_NAME} in ${REPOSITORY_NAME})`);
  }
}

/** Asset keys out of a serialized `AssetKey` collection. */
export function assetKeysOf(items: SerdesValue[], what: string): AssetKey[] {
  return items.map((item) => {
    const key = expectClass(item, ['AssetKey'], what);
    const path = key.path;
    if (!Array.isArray(path) || path.length !== 1 || typeof path[0] !== 'string') throw malformed(`${what}: AssetKey.path must be one string`);
    const name = path[0];
    if (!isAssetKey(name)) throw new BanditError(ErrorCode.NotFound, `no asset ${JSON.stringify(path)} in ${REPOSITORY_NAME}`);
    return name;
  });
}

/**
 * A check selection (`asset_check_selection`: `AssetCheckKey`s) out of a request or a run;
 * null when none was made (every check of the selected assets). An unknown check is refused
 * naming the checks there are.
 */
export function checkSelectionOf(args: SerdesObject, what: string): CheckKey[] | null {
  const items = optCollection(args, 'asset_check_selection', what);
  if (items === null) return null;
  return items.map((item) => {
    const key = expectClass(item, ['AssetCheckKey'], `${what}.asset_check_selection`);
    const [asset] = assetKeysOf([key.asset_key as SerdesValue], `${what}.asset_check_selection.asset_key`);
    const name = str(key, 'name', `${what}.asset_check_selection`);
    if (!(assetDefinition(asset).checks ?? []).some((c) => c.name === name)) {
      const all = ASSET_GRAPH.flatMap((a) => (a.checks ?? []).map((c) => `${a.key}.${c.name}`));
      throw new BanditError(ErrorCode.NotFound, `no asset check ${asset}.${name} in ${REPOSITORY_NAME} (checks: ${all.join(', ')})`);
    }
    return { asset, name };
  });
}

/**
 * The selected ops/assets of subset or plan args; null for the whole job. A check selection
 * without an asset selection (what the webserver sends for "Execute" on a check: its GraphQL
 * layer turns an empty asset selection into none) selects no asset: a check-only subset.
 */
function selectionOf(args: SerdesObject, what: string): AssetKey[] | null {
  const assets = optCollection(args, 'asset_selection', what);
  if (assets !== null) return assetKeysOf(assets, `${what}.asset_selection`);
  if (optCollection(args, 'asset_check_selection', what) !== null) return [];
  const ops = optCollection(args, 'solid_selection', what);
  if (ops !== null && ops.length > 0) {
    return ops.map((o) => {
      if (typeof o !== 'string') throw malformed(`${what}.solid_selection: expected strings`);
      if (!isAssetKey(o)) throw new BanditError(ErrorCode.NotFound, `no op ${JSON.stringify(o)} in ${ASSET_JOB_NAME}`);
      return o;
    });
  }
  return null;
}

function chunks(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += STREAMING_CHUNK_SIZE) out.push(text.slice(i, i + STREAMING_CHUNK_SIZE));
  return out;
}

function unary(fn: (req: Req) => Req | Promise<Req>): Unary {
  return (call, callback) => {
    Promise.resolve()
      .then(() => fn(call.request ?? {}))
      .then(
        (reply) => callback(null, reply),
        (err: unknown) => callback(toGrpcError(err)),
      );
  };
}

function streaming(fn: (req: Req) => Req[] | Promise<Req[]>): Streaming {
  return async (call) => {
    let cancelled = false;
    call.on('cancelled', () => {
      cancelled = true;
    });
    let items: Req[];
    try {
      items = await fn(call.request ?? {});
    } catch (err) {
      call.emit('error', toGrpcError(err));
      return;
    }
    let i = 0;
    const pump = () => {
      while (!cancelled && i < items.length) {
        if (!call.write(items[i++])) {
          call.once('drain', pump);
          return;
        }
      }
      if (!cancelled) call.end();
    };
    pump();
  };
}

