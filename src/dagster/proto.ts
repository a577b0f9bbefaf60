/**
 * Loads the project's Dagster API and health protos (proto/) with @grpc/proto-loader. Field
 * names stay snake_case as on the wire; missing strings decode as ''.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as path from 'node:path';
import { projectRoot } from '../common/paths';

const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

export const DAGSTER_API_PROTO = () => path.join(projectRoot(), 'proto', 'dagster_api.proto');
export const HEALTH_PROTO = () => path.join(projectRoot(), 'proto', 'health.proto');

let cached: { dagster: grpc.ServiceDefinition; health: grpc.ServiceDefinition; clients: grpc.GrpcObject } | undefined;

export function loadProtos() {
  if (cached) return cached;
  const def = protoLoader.loadSync([DAGSTER_API_PROTO(), HEALTH_PROTO()], LOADER_OPTIONS);
  const pkg = grpc.loadPackageDefinition(def);
  const api = pkg.api as grpc.GrpcObject;
  const health = ((pkg.grpc as grpc.GrpcObject).health as grpc.GrpcObject).v1 as grpc.GrpcObject;
  const dagsterCtor = api.DagsterApi as grpc.ServiceClientConstructor;
  const healthCtor = health.Health as grpc.ServiceClientConstructor;
  cached = { dagster: dagsterCtor.service, health: healthCtor.service, clients: pkg };
  return cached;
}

/** Client constructors (tests and `bandit code-server --check`). */
export function dagsterApiClient(address: string, options: grpc.ChannelOptions = {}): grpc.Client {
  const Ctor = (loadProtos().clients.api as grpc.GrpcObject).DagsterApi as grpc.ServiceClientConstructor;
  return new Ctor(address, grpc.credentials.createInsecure(), options);
}

export function healthClient(address: string): grpc.Client {
  const pkg = loadProtos().clients;
  const Ctor = (((pkg.grpc as grpc.GrpcObject).health as grpc.GrpcObject).v1 as grpc.GrpcObject).Health as grpc.ServiceClientConstructor;
  return new Ctor(address, grpc.credentials.createInsecure());
}

/** Every RPC of `api.DagsterApi` in the pinned proto; the server must map each one. */
export const DAGSTER_API_RPCS = [
  'Ping',
  'Heartbeat',
  'StreamingPing',
  'GetServerId',
  'ExecutionPlanSnapshot',
  'ListRepositories',
  'ExternalPartitionNames',
  'ExternalNotebookData',
  'ExternalPartitionConfig',
  'ExternalPartitionTags',
  'ExternalPartitionSetExecutionParams',
  'ExternalPipelineSubsetSnapshot',
  'ExternalRepository',
  'ExternalJob',
  'StreamingExternalRepository',
  'ExternalScheduleExecution',
  'SyncExternalScheduleExecution',
  'ExternalSensorExecution',
  'SyncExternalSensorExecution',
  'ShutdownServer',
  'CancelExecution',
  'CanCancelExecution',
  'StartRun',
  'GetCurrentImage',
  'GetCurrentRuns',
  'ReloadCode',
  'RefreshComponentState',
  'ReloadCodeWithState',
] as const;
export type DagsterApiRpc = (typeof DAGSTER_API_RPCS)[number];
