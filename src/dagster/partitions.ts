/**
 * Static partitions of the pipeline in Dagster's terms: the `partitions` of an asset
 * definition (src/pipeline/asset-graph.ts) are a `MultiPartitionsDefinition` of
 * `StaticPartitionsDefinition`s; the asset job holds one partition set
 * (`__ASSET_JOB_partition_set`) over them. Partition keys join one key per dimension with `|`,
 * dimensions in name order (`men|random`), listed as Dagster lists them (the cartesian product,
 * first dimension outermost, keys in declared order). The partition-set RPCs answer here:
 * names, config (none: a partition is chosen by its tags), tags and execution params.
 */
import { ASSET_GRAPH, type PartitionDimension } from '../pipeline/asset-graph';
import { serializableError } from './events';
import { expectClass, isObject, klass, malformed, optCollection, optStr, str, type SerdesObject, type SerdesValue } from './serdes';
// snapshots.ts imports this module too; its names are only read when a request is answered
import { ASSET_JOB_NAME, REPOSITORY_NAME } from './snapshots';

export const PARTITION_TAG = 'dagster/partition';
export const PARTITION_SET_TAG = 'dagster/partition_set';

/** The one partitions definition of the asset graph (all partitioned assets share it), or null. */
export function jobPartitions(): readonly PartitionDimension[] | null {
  return ASSET_GRAPH.find((a) => a.partitions)?.partitions ?? null;
}

export function partitionSetName(jobName: string): string {
  return `${jobName}_partition_set`;
}

const byName = (dims: readonly PartitionDimension[]) => [...dims].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/** Every partition key, in Dagster's order. */
export function partitionKeys(dims: readonly PartitionDimension[]): string[] {
  return byName(dims).reduce<string[]>((keys, d) => keys.flatMap((k) => d.keys.map((x) => (k === '' ? x : `${k}|${x}`))), ['']);
}

/** The key of one partition given by dimension (`{campaign: 'men', policy: 'random'}` → `men|random`). */
export function partitionKey(dims: Readonly<Record<string, string>>): string {
  return Object.keys(dims)
    .sort()
    .map((d) => dims[d])
    .join('|');
}

/** A partition key split into its dimensions (`{campaign: 'men', policy: 'random'}`), or null when it is not a key of `dims`. */
export function partitionDimensions(dims: readonly PartitionDimension[], key: string): Record<string, string> | null {
  const parts = key.split('|');
  const sorted = byName(dims);
  if (parts.length !== sorted.length) return null;
  const out: Record<string, string> = {};
  for (const [i, d] of sorted.entries()) {
    if (!d.keys.includes(parts[i])) return null;
    out[d.name] = parts[i];
  }
  return out;
}

/** `ExternalMultiPartitionsDefinitionData` (MultiPartitionsSnap) of static dimensions. */
export function partitionsSnap(dims: readonly PartitionDimension[]): SerdesObject {
  return klass('ExternalMultiPartitionsDefinitionData', {
    external_partition_dimension_definitions: byName(dims).map((d) =>
      klass('ExternalPartitionDimensionDefinition', {
        external_partitions_def_data: klass('ExternalStaticPartitionsDefinitionData', { partition_keys: [...d.keys] }),
        name: d.name,
      }),
    ),
  });
}

/** `ExternalPartitionSetData` of a partitioned job (one run per partition, as Dagster defaults). */
export function partitionSetSnap(jobName: string, dims: readonly PartitionDimension[]): SerdesObject {
  return klass('ExternalPartitionSetData', {
    backfill_policy: klass('BackfillPolicy', { max_partitions_per_run: 1 }),
    external_partitions_data: partitionsSnap(dims),
    mode: 'default',
    name: partitionSetName(jobName),
    pipeline_name: jobName,
    solid_selection: null,
  });
}

/**
 * `dagster/partition/<dimension>` per dimension of a multi-partition key (Python's
 * `get_tags_from_multi_partition_key`): on runs, and on each materialization of a partition,
 * where the event log storage indexes them in `asset_event_tags`. Empty for no partition.
 */
export function multiPartitionTags(dims: Readonly<Record<string, string>> | null): Record<string, string> {
  return Object.fromEntries(Object.entries(dims ?? {}).map(([name, v]) => [`${PARTITION_TAG}/${name}`, v]));
}

/** The run tags of one partition: the key, each dimension, and the partition set. */
export function partitionTags(jobName: string, key: string, dims: Record<string, string>): Record<string, string> {
  return { [PARTITION_TAG]: key, ...multiPartitionTags(dims), [PARTITION_SET_TAG]: partitionSetName(jobName) };
}

// ---- partition-set RPCs ---------------------------------------------------------------------

/** What a partition-set request names: its job (`job_name`, else the set's name without `_partition_set`). */
function requestedJob(args: SerdesObject, what: string): string {
  const job = optStr(args, 'job_name', what);
  if (job) return job;
  const set = str(args, 'partition_set_name', what);
  return set.endsWith('_partition_set') ? set.slice(0, -'_partition_set'.length) : set;
}

const errorData = (message: string): SerdesObject =>
  klass('ExternalPartitionExecutionErrorData', { error: serializableError(message, 'PartitionExecutionError') });

/** The partitions of the requested job, or the error data naming why there are none. */
function partitionsOf(args: SerdesObject, what: string): { job: string; dims: readonly PartitionDimension[] } | SerdesObject {
  const origin = expectClass(args.repository_origin, ['ExternalRepositoryOrigin'], `${what}.repository_origin`);
  const repo = str(origin, 'repository_name', `${what}.repository_origin`);
  const job = requestedJob(args, what);
  const dims = jobPartitions();
  if (repo !== REPOSITORY_NAME || job !== ASSET_JOB_NAME) return errorData(`no job ${job} in repository ${repo} (this location serves ${ASSET_JOB_NAME} in ${REPOSITORY_NAME})`);
  if (!dims) return errorData(`job ${job} is not partitioned`);
  return { job, dims };
}

/** One partition's tags, or an error naming the unknown key and the valid ones. */
function tagsOf(job: string, dims: readonly PartitionDimension[], key: string): Record<string, string> | SerdesObject {
  const split = partitionDimensions(dims, key);
  if (!split) return errorData(`unknown partition ${JSON.stringify(key)} of ${job}: expected one of ${partitionKeys(dims).join(', ')}`);
  return partitionTags(job, key, split);
}

const isErrorData = (v: unknown): v is SerdesObject => isObject(v as SerdesValue) && (v as SerdesObject).__class__ === 'ExternalPartitionExecutionErrorData';

/** ExternalPartitionNames: `ExternalPartitionNamesData` of every key. */
export function partitionNamesResult(args: SerdesObject): SerdesObject {
  const p = partitionsOf(args, 'PartitionNamesArgs');
  if (isErrorData(p)) return p;
  return klass('ExternalPartitionNamesData', { partition_names: partitionKeys(p.dims) });
}

/** ExternalPartitionConfig: a partition adds no run config (the worker reads its tags). */
export function partitionConfigResult(args: SerdesObject): SerdesObject {
  const p = partitionsOf(args, 'PartitionArgs');
  if (isErrorData(p)) return p;
  const key = str(args, 'partition_name', 'PartitionArgs');
  const tags = tagsOf(p.job, p.dims, key);
  return isErrorData(tags) ? tags : klass('ExternalPartitionConfigData', { name: key, run_config: {} });
}

/** ExternalPartitionTags: `dagster/partition`, one tag per dimension, the partition set. */
export function partitionTagsResult(args: SerdesObject): SerdesObject {
  const p = partitionsOf(args, 'PartitionArgs');
  if (isErrorData(p)) return p;
  const key = str(args, 'partition_name', 'PartitionArgs');
  const tags = tagsOf(p.job, p.dims, key);
  return isErrorData(tags) ? tags : klass('ExternalPartitionTagsData', { name: key, tags });
}

/** ExternalPartitionSetExecutionParams: tags and (empty) run config of each requested partition. */
export function partitionExecutionParamsResult(args: SerdesObject): SerdesObject {
  const p = partitionsOf(args, 'PartitionSetExecutionParamArgs');
  if (isErrorData(p)) return p;
  const names = optCollection(args, 'partition_names', 'PartitionSetExecutionParamArgs') ?? [];
  const data: SerdesObject[] = [];
  for (const name of names) {
    if (typeof name !== 'string') throw malformed('PartitionSetExecutionParamArgs.partition_names: expected strings');
    const tags = tagsOf(p.job, p.dims, name);
    if (isErrorData(tags)) return tags;
    data.push(klass('ExternalPartitionExecutionParamData', { name, run_config: {}, tags }));
  }
  return klass('ExternalPartitionSetExecutionParamData', { partition_data: data });
}
