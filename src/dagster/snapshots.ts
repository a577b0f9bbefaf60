/**
 * Dagster snapshots of the pipeline, generated from the one asset definition
 * (src/pipeline/asset-graph.ts): the repository (`ExternalRepositoryData`), the asset job
 * (`ExternalPipelineData` / `PipelineSnapshot`), subsets of it and execution plans — in the
 * serdes shapes of the supported Dagster lines (src/dagster/protocol-version.ts). Storage names are Dagster's
 * (RepositorySnap → ExternalRepositoryData, JobSnap → PipelineSnapshot, AssetNodeSnap →
 * ExternalAssetNode, op definitions → SolidDefSnap…).
 *
 * Deliberate differences from what Python Dagster serializes for the same assets (golden
 * tests normalize exactly these): the job's config schema and mode carry no executor,
 * logger or IO-manager choices (runs execute in this server's worker, which has none), so
 * the root config has only `ops` — each asset's typed config, identical to Python's; the
 * type namespace holds only the types the ops use (`Any`, `Nothing`), without config loaders.
 *
 * Where the lines differ, the functions take the line to answer in (golden fixtures per line):
 *  - 1.13 writes `is_virtual` on each asset node and leaves `depended_by` empty (downstream is
 *    derived from `dependencies`); 1.12 has no `is_virtual` and lists the downstream assets in
 *    `depended_by` (`ExternalAssetDependedBy`);
 *  - 1.13's `FromSourceAsset` step-input source carries `ordering_step_keys`; 1.12's does not.
 * Job snapshots (and so their ids) are the same in both lines.
 */
import { createHash } from 'node:crypto';
import type { AutomationSettings } from './automation';
import { ASSET_GRAPH, type AssetDefinition, type AssetKey, type ConfigFieldDefinition, type ConfigFieldType } from '../pipeline/asset-graph';
import { jobPartitions, partitionSetSnap, partitionsSnap } from './partitions';
import { NEWEST_LINE, type DagsterLine } from './protocol-version';
import { codePointCompare, enumValue, fromJson, klass, PyFloat, pyJson, pySet, snapshotId, type SerdesObject, type SerdesValue } from './serdes';

export const REPOSITORY_NAME = '__repository__';
export const ASSET_JOB_NAME = '__ASSET_JOB';
export const OUTPUT_NAME = 'result';
export const MODE_NAME = 'default';

const sortedKeys = (keys: readonly AssetKey[]) => [...keys].sort(codePointCompare);

export const assetKeyObject = (key: string): SerdesObject => klass('AssetKey', { path: [key] });
/** `AssetKey.to_string()`: the JSON list of the path. */
export const assetKeyString = (key: string): string => pyJson([key]);
const solidHandle = (name: string): SerdesObject => klass('SolidHandle', { name, parent: null });
const stepOutputHandle = (stepKey: string): SerdesObject => klass('StepOutputHandle', { mapping_key: null, output_name: OUTPUT_NAME, step_key: stepKey });

/** Python sorts sets of AssetKey by `str(key)`, i.e. `AssetKey(['name'])`. */
export const assetKeySet = (keys: readonly string[], frozen = false): SerdesObject =>
  pySet(keys, (k) => `AssetKey(['${k}'])`, assetKeyObject, frozen);

/** `str(AssetCheckKey)` as Python writes it. */
const checkKeyString = (asset: string, name: string) => `AssetCheckKey(asset_key=AssetKey(['${asset}']), name='${name}')`;

/** Output name of a check inside its asset's op (`<asset>_<check>`), as Dagster names it. */
export const checkOutputName = (asset: string, check: string) => `${asset}_${check}`;

export const assetCheckKeyObject = (asset: string, name: string): SerdesObject => klass('AssetCheckKey', { asset_key: assetKeyObject(asset), name });

/** An asset check by asset and name (`AssetCheckKey`). */
export interface CheckKey {
  asset: AssetKey;
  name: string;
}

/** A frozenset of `AssetCheckKey`s, sorted by `str(key)` as Python sorts it. */
export const checkKeySet = (checks: readonly CheckKey[]): SerdesObject =>
  pySet(checks, (c) => checkKeyString(c.asset, c.name), (c) => assetCheckKeyObject(c.asset, c.name), true);

/**
 * An op that yields an asset and its checks is subsettable (Python's `@multi_asset(can_subset=True)`
 * with the asset output not required): its checks can run without the asset and the asset
 * without its checks, so no asset or check belongs to an execution set (Dagster's
 * `atomic_execution_unit_id` is null) and the UI offers "Execute" on each check; every output of
 * such an op is optional.
 */
const outputRequired = (def: AssetDefinition) => !def.checks || def.checks.length === 0;

/** `ExternalAssetCheck` (AssetCheckNodeSnap) of each check, by asset key then name. */
function assetChecks(): SerdesObject[] {
  return [...ASSET_GRAPH]
    .sort((a, b) => codePointCompare(a.key, b.key))
    .flatMap((def) =>
      (def.checks ?? []).map((c) =>
        klass('ExternalAssetCheck', {
          additional_asset_keys: [],
          asset_key: assetKeyObject(def.key),
          atomic_execution_unit_id: null,
          automation_condition: null,
          automation_condition_snapshot: null,
          blocking: false,
          description: c.description,
          job_names: [ASSET_JOB_NAME],
          name: c.name,
          // a check of a partitioned asset is partitioned like it (evaluated per partition)
          partitions_def_snapshot: def.partitions ? partitionsSnap(def.partitions) : null,
        }),
      ),
    );
}

/** Output names of an asset's op: its result and one per check, sorted as Dagster sorts them. */
function outputNames(def: AssetDefinition): string[] {
  return [OUTPUT_NAME, ...(def.checks ?? []).map((c) => checkOutputName(def.key, c.name))].sort(codePointCompare);
}

function textEntry(label: string, text: string): SerdesObject {
  return klass('EventMetadataEntry', { description: null, label, entry_data: klass('TextMetadataEntryData', { text }) });
}

/** The assets that depend on `key`, as 1.12's `depended_by` lists them. */
function dependedBy(key: AssetKey): SerdesObject[] {
  return sortedKeys(ASSET_GRAPH.filter((d) => d.deps.includes(key)).map((d) => d.key)).map((k) =>
    klass('ExternalAssetDependedBy', { downstream_asset_key: assetKeyObject(k), input_name: null, output_name: null }),
  );
}

function assetNode(def: AssetDefinition, line: DagsterLine): SerdesObject {
  return klass('ExternalAssetNode', {
    asset_key: assetKeyObject(def.key),
    atomic_execution_unit_id: null,
    auto_materialize_policy: null,
    auto_observe_interval_minutes: null,
    automation_condition_snapshot: null,
    backfill_policy: null,
    code_version: def.codeVersion,
    compute_kind: null,
    depended_by: line === '1.12' ? dependedBy(def.key) : [],
    dependencies: sortedKeys(def.deps).map((d) =>
      klass('ExternalAssetDependency', { input_name: null, output_name: null, partition_mapping: null, upstream_asset_key: assetKeyObject(d) }),
    ),
    execution_type: enumValue('AssetExecutionType.MATERIALIZATION'),
    freshness_policy: null,
    graph_name: null,
    group_name: def.group,
    is_observable: false,
    is_source: false,
    ...(line === '1.12' ? {} : { is_virtual: false }),
    job_names: [ASSET_JOB_NAME],
    metadata_entries: Object.entries(def.metadata).map(([k, v]) => textEntry(k, v)),
    new_freshness_policy: null,
    node_definition_name: def.key,
    op_description: def.description,
    op_name: def.key,
    op_names: [def.key],
    output_name: OUTPUT_NAME,
    owners: [...def.owners],
    partitions_def_data: def.partitions ? partitionsSnap(def.partitions) : null,
    pools: { __set__: [] },
    required_top_level_resources: [],
    tags: { ...Object.fromEntries(def.kinds.map((k) => [`dagster/kind/${k}`, ''])), ...def.tags },
  });
}

// ---- config schema ------------------------------------------------------------------------

interface FieldSnap {
  name: string;
  typeKey: string;
  /** Python `json.dumps` of the default, or null when none is provided. */
  defaultJson: string | null;
  isRequired: boolean;
  description: string | null;
}

function fieldSnap(f: FieldSnap): SerdesObject {
  return klass('ConfigFieldSnap', {
    default_provided: f.defaultJson !== null,
    default_value_as_json_str: f.defaultJson,
    description: f.description,
    is_required: f.isRequired,
    name: f.name,
    type_key: f.typeKey,
  });
}

/** Dagster's `compute_fields_hash`: the key of a Shape / Permissive is derived from its fields. */
export function configFieldsHash(fields: readonly FieldSnap[]): string {
  const h = createHash('sha1');
  for (const f of [...fields].sort((a, b) => codePointCompare(a.name, b.name))) {
    h.update(`:fieldname:${f.name}`, 'utf8');
    if (f.defaultJson !== null) h.update(`:default_value: ${f.defaultJson}`, 'utf8');
    h.update(`:is_required: ${f.isRequired ? 'True' : 'False'}`, 'utf8');
    h.update(`:type_key: ${f.typeKey}`, 'utf8');
    if (f.description) h.update(`:description: ${f.description}`, 'utf8');
  }
  return h.digest('hex');
}

/** The config types of one schema, keyed like Python's (`Int`, `Noneable.String`, `Shape.<sha1>`…). */
class ConfigTypes {
  readonly byKey = new Map<string, SerdesObject>();

  private add(key: string, fields: Omit<SerdesObject, 'key'>): string {
    if (!this.byKey.has(key)) {
      this.byKey.set(key, klass('ConfigTypeSnap', { description: null, enum_values: null, fields: null, given_name: null, scalar_kind: null, type_param_keys: null, ...fields, key }));
    }
    return key;
  }

  scalar(name: 'Int' | 'Float' | 'String'): string {
    return this.add(name, { description: '', given_name: name, kind: enumValue('ConfigTypeKind.SCALAR'), scalar_kind: enumValue(`ConfigScalarKind.${name.toUpperCase()}`) });
  }

  of(type: ConfigFieldType): string {
    if (type !== '[String]') return this.scalar(type);
    const inner = this.scalar('String');
    const key = `Array.${inner}`;
    return this.add(key, { description: `List of ${key}`, kind: enumValue('ConfigTypeKind.ARRAY'), type_param_keys: [inner] });
  }

  noneable(inner: string): string {
    return this.add(`Noneable.${inner}`, { kind: enumValue('ConfigTypeKind.NONEABLE'), type_param_keys: [inner] });
  }

  shape(fields: FieldSnap[], permissive = false): string {
    const key = `${permissive ? 'Permissive' : 'Shape'}.${configFieldsHash(fields)}`;
    const sorted = [...fields].sort((a, b) => codePointCompare(a.name, b.name));
    return this.add(key, { fields: sorted.map(fieldSnap), kind: enumValue(`ConfigTypeKind.${permissive ? 'PERMISSIVE_SHAPE' : 'STRICT_SHAPE'}`) });
  }
}

/** The defaults of an asset's config, as Dagster fills them in (`{"seed": 0, …}`). */
export function configDefaults(def: AssetDefinition): Record<string, number | string> {
  return Object.fromEntries(def.config.filter((f) => f.default !== undefined).map((f) => [f.name, f.default as number | string]));
}

/** A default written as Python does: a Float default stays a float (`0.05`, `1.0`). */
function defaultValue(f: ConfigFieldDefinition): SerdesValue {
  return f.type === 'Float' ? new PyFloat(f.default as number) : (f.default as SerdesValue);
}

function opConfigDefaultsJson(def: AssetDefinition): SerdesObject {
  return Object.fromEntries(def.config.filter((f) => f.default !== undefined).map((f) => [f.name, defaultValue(f)]));
}

/** The typed `config` field of an op: a strict shape of the asset's config fields, defaults filled in. */
function opConfigField(types: ConfigTypes, def: AssetDefinition): FieldSnap {
  const fields = def.config.map((f): FieldSnap => {
    const t = types.of(f.type);
    return f.default === undefined
      ? { name: f.name, typeKey: types.noneable(t), defaultJson: null, isRequired: false, description: f.description }
      : { name: f.name, typeKey: t, defaultJson: pyJson(defaultValue(f)), isRequired: false, description: f.description };
  });
  return { name: 'config', typeKey: types.shape(fields), defaultJson: pyJson(opConfigDefaultsJson(def)), isRequired: false, description: null };
}

/**
 * Config types of a job over `ops`: `ops.<asset>.config` is the asset's typed shape (unknown
 * keys and wrong types are refused by Dagster before launch; `{}` is valid, every field has a
 * default or may be left out). Keys and bytes are Python Dagster's for the same definitions.
 */
function configSchema(ops: readonly AssetDefinition[]): { snapshot: SerdesObject; rootKey: string; opFields: Map<AssetKey, SerdesObject> } {
  const types = new ConfigTypes();
  const opFields = new Map<AssetKey, SerdesObject>();
  const perOp = [...ops].sort((a, b) => codePointCompare(a.key, b.key)).map((def): FieldSnap => {
    const config = opConfigField(types, def);
    opFields.set(def.key, fieldSnap(config));
    return { name: def.key, typeKey: types.shape([config]), defaultJson: pyJson({ config: opConfigDefaultsJson(def) }), isRequired: false, description: null };
  });
  const opsDefault = pyJson(Object.fromEntries(ops.map((d) => [d.key, { config: opConfigDefaultsJson(d) }])));
  const opsKey = types.shape(perOp, true);
  const rootKey = types.shape([{ name: 'ops', typeKey: opsKey, defaultJson: opsDefault, isRequired: false, description: 'Configure runtime parameters for ops or assets.' }]);
  return {
    snapshot: klass('ConfigSchemaSnapshot', { all_config_snaps_by_key: Object.fromEntries(types.byKey) }),
    rootKey,
    opFields,
  };
}

function dagsterType(key: 'Any' | 'Nothing'): SerdesObject {
  return klass('DagsterTypeSnap', {
    description: null,
    display_name: key,
    is_builtin: true,
    key,
    kind: enumValue(`DagsterTypeKind.${key === 'Any' ? 'ANY' : 'NOTHING'}`),
    loader_schema_key: null,
    materializer_schema_key: null,
    name: key,
    type_param_keys: [],
  });
}

// ---- job ------------------------------------------------------------------------------------

/**
 * `SolidDefSnap` of an asset's op. `materializes` false (the op kept for its checks only): its
 * asset output carries the asset's description and definition metadata, as Python's subset of
 * a subsettable op writes it.
 */
function opDefinition(def: AssetDefinition, configField: SerdesObject, materializes: boolean): SerdesObject {
  const output = (name: string) =>
    name === OUTPUT_NAME && !materializes
      ? klass('OutputDefSnap', {
          dagster_type_key: 'Any',
          description: def.description,
          is_dynamic: false,
          is_required: outputRequired(def),
          metadata_entries: Object.entries(def.metadata).map(([k, v]) => textEntry(k, v)),
          name,
        })
      : klass('OutputDefSnap', { dagster_type_key: 'Any', description: null, is_dynamic: false, is_required: outputRequired(def), name });
  return klass('SolidDefSnap', {
    config_field_snap: configField,
    description: def.description,
    input_def_snaps: sortedKeys(def.deps).map((d) => klass('InputDefSnap', { dagster_type_key: 'Nothing', description: null, name: d })),
    name: def.key,
    output_def_snaps: outputNames(def).map(output),
    required_resource_keys: [],
    tags: {},
  });
}

function opInvocation(def: AssetDefinition, included: ReadonlySet<AssetKey>): SerdesObject {
  return klass('SolidInvocationSnap', {
    input_dep_snaps: sortedKeys(def.deps).map((d) =>
      klass('InputDependencySnap', {
        input_name: d,
        is_dynamic_collect: false,
        upstream_output_snaps: included.has(d) ? [klass('OutputHandleSnap', { output_name: OUTPUT_NAME, solid_name: d })] : [],
      }),
    ),
    is_dynamic_mapped: false,
    solid_def_name: def.key,
    solid_name: def.key,
    tags: {},
  });
}

/**
 * The ops of a selection, in definition order: the selected assets (all when `selection` is
 * null) and the assets of the selected checks (a check runs in its asset's op).
 */
export function selectedAssets(selection: readonly string[] | null, checks: readonly CheckKey[] | null = null): AssetDefinition[] {
  if (selection === null) return [...ASSET_GRAPH];
  return ASSET_GRAPH.filter((a) => selection.includes(a.key) || (checks ?? []).some((c) => c.asset === a.key));
}

/** How a subset was chosen: by assets (asset selection) or by ops (launchpad op selection). */
export type SelectionKind = 'assets' | 'ops';

/**
 * `PipelineSnapshot` of the asset job, or of the subset `selection` (with its lineage); `checks`
 * (a check selection) adds the ops of the selected checks — `selection` [] with checks is a
 * check-only job.
 */
export function jobSnapshot(selection: readonly AssetKey[] | null = null, kind: SelectionKind = 'assets', checks: readonly CheckKey[] | null = null): SerdesObject {
  const defs = selectedAssets(selection, checks);
  const included = new Set(defs.map((d) => d.key));
  const byName = [...defs].sort((a, b) => codePointCompare(a.key, b.key));
  const { snapshot, rootKey, opFields } = configSchema(defs);
  return klass('PipelineSnapshot', {
    config_schema_snapshot: snapshot,
    dagster_type_namespace_snapshot: klass('DagsterTypeNamespaceSnapshot', {
      all_dagster_type_snaps_by_key: { Any: dagsterType('Any'), Nothing: dagsterType('Nothing') },
    }),
    dep_structure_snapshot: klass('DependencyStructureSnapshot', { solid_invocation_snaps: byName.map((d) => opInvocation(d, included)) }),
    description: null,
    graph_def_name: ASSET_JOB_NAME,
    lineage_snapshot:
      selection === null
        ? null
        : klass('PipelineSnapshotLineage', {
            asset_check_selection: checks === null ? null : checkKeySet(checks),
            asset_selection: kind === 'assets' ? assetKeySet(defs.filter((d) => selection.includes(d.key)).map((d) => d.key)) : null,
            parent_snapshot_id: snapshotId(jobSnapshot(null)),
            solid_selection: kind === 'ops' ? defs.map((d) => d.key) : null,
            solids_to_execute: kind === 'ops' ? pySet(defs.map((d) => d.key), (k) => k, (k) => k, true) : null,
          }),
    mode_def_snaps: [klass('ModeDefSnap', { description: null, logger_def_snaps: [], name: MODE_NAME, resource_def_snaps: [], root_config_key: rootKey })],
    name: ASSET_JOB_NAME,
    solid_definitions_snapshot: klass('SolidDefinitionsSnapshot', { composite_solid_def_snaps: [], solid_def_snaps: byName.map((d) => opDefinition(d, opFields.get(d.key) as SerdesObject, selection === null || selection.includes(d.key))) }),
    tags: {},
  });
}

/** `ExternalPipelineData` (JobDataSnap): the job snapshot, plus the full job as parent for a subset. */
export function jobData(selection: readonly AssetKey[] | null = null, kind: SelectionKind = 'assets', checks: readonly CheckKey[] | null = null): SerdesObject {
  return klass('ExternalPipelineData', {
    active_presets: [],
    is_job: true,
    name: ASSET_JOB_NAME,
    parent_pipeline_snapshot: selection === null ? null : jobSnapshot(null),
    pipeline_snapshot: jobSnapshot(selection, kind, checks),
  });
}

/**
 * `ExternalRepositoryData`: with `deferSnapshots` the job is a reference the host fetches with
 * ExternalJob; `automation` holds the schedule and sensor snapshots (src/dagster/automation.ts);
 * `line` is the Dagster line to answer in.
 */
export function repositorySnapshot(
  deferSnapshots: boolean,
  automation: { schedules: SerdesObject[]; sensors: SerdesObject[] } = { schedules: [], sensors: [] },
  line: DagsterLine = NEWEST_LINE,
): SerdesObject {
  const partitions = jobPartitions();
  return klass('ExternalRepositoryData', {
    external_asset_checks: assetChecks(),
    external_asset_graph_data: [...ASSET_GRAPH].sort((a, b) => codePointCompare(a.key, b.key)).map((d) => assetNode(d, line)),
    external_job_refs: deferSnapshots
      ? [
          klass('ExternalJobRef', {
            active_presets: [],
            is_legacy_pipeline: false,
            name: ASSET_JOB_NAME,
            owners: null,
            parent_snapshot_id: null,
            preview_tags: {},
            snapshot_id: snapshotId(jobSnapshot(null)),
          }),
        ]
      : null,
    external_partition_set_datas: partitions ? [partitionSetSnap(ASSET_JOB_NAME, partitions)] : [],
    external_pipeline_datas: deferSnapshots ? null : [jobData(null)],
    external_resource_data: [],
    external_schedule_datas: automation.schedules,
    external_sensor_datas: automation.sensors,
    metadata: {},
    name: REPOSITORY_NAME,
    utilized_env_vars: {},
  });
}

// ---- execution plan ---------------------------------------------------------------------------

function stepInput(dep: AssetKey, inPlan: ReadonlySet<AssetKey>, line: DagsterLine): SerdesObject {
  const source = inPlan.has(dep)
    ? klass('FromStepOutput', { fan_in: false, input_name: '', solid_handle: solidHandle(''), step_output_handle: stepOutputHandle(dep) })
    : klass('FromSourceAsset', { input_name: '', ...(line === '1.12' ? {} : { ordering_step_keys: { __frozenset__: [] } }), solid_handle: solidHandle('') });
  return klass('ExecutionStepInputSnap', {
    dagster_type_key: 'Nothing',
    name: dep,
    source,
    upstream_output_handles: inPlan.has(dep) ? [stepOutputHandle(dep)] : [],
  });
}

/**
 * One step of a plan. `materializes` false: the op runs for its checks only (a check-only
 * selection) — its asset output is then planned as Python plans an unselected asset of a
 * subsettable op (no asset key, `UNEXECUTABLE`).
 */
function executionStep(def: AssetDefinition, inPlan: ReadonlySet<AssetKey>, line: DagsterLine, materializes: boolean): SerdesObject {
  return klass('ExecutionStepSnap', {
    inputs: sortedKeys(def.deps).map((d) => stepInput(d, inPlan, line)),
    key: def.key,
    kind: enumValue('StepKind.COMPUTE'),
    metadata_items: [],
    outputs: outputNames(def).map((name) => {
      const check = name === OUTPUT_NAME ? null : (def.checks ?? []).find((c) => checkOutputName(def.key, c.name) === name);
      return klass('ExecutionStepOutputSnap', {
        dagster_type_key: 'Any',
        name,
        properties: klass('StepOutputProperties', {
          asset_check_key: check ? assetCheckKeyObject(def.key, check.name) : null,
          asset_execution_type: check ? null : enumValue(materializes ? 'AssetExecutionType.MATERIALIZATION' : 'AssetExecutionType.UNEXECUTABLE'),
          asset_key: check || !materializes ? null : assetKeyObject(def.key),
          is_asset: !check,
          is_asset_partitioned: !check && def.partitions !== undefined,
          is_dynamic: false,
          is_required: outputRequired(def),
          should_materialize: false,
        }),
        solid_handle: solidHandle(def.key),
      });
    }),
    solid_handle_id: def.key,
    step_handle: klass('StepHandle', { key: def.key, solid_handle: solidHandle(def.key) }),
    tags: {},
  });
}

/**
 * `ExecutionPlanSnapshot` for the steps of `selection` (null: the whole job) and of the checks
 * `checks` (a check selection; `selection` [] with checks: a check-only plan, one step per
 * checked asset's op), restricted to `stepKeys` when given. `jobSnapshotId` is echoed back: the
 * host checks it equals the id it sent.
 */
export function executionPlanSnapshot(
  selection: readonly AssetKey[] | null,
  jobSnapshotId: string,
  stepKeys: readonly string[] | null = null,
  line: DagsterLine = NEWEST_LINE,
  checks: readonly CheckKey[] | null = null,
): SerdesObject {
  const defs = selectedAssets(selection, checks);
  const inPlan = new Set(defs.map((d) => d.key));
  const byName = [...defs].sort((a, b) => codePointCompare(a.key, b.key));
  const toExecute = defs.map((d) => d.key).filter((k) => stepKeys === null || stepKeys.includes(k));
  return klass('ExecutionPlanSnapshot', {
    artifacts_persisted: true,
    executor_name: 'in_process',
    initial_known_state: klass('KnownExecutionState', {
      dynamic_mappings: {},
      parent_state: null,
      previous_retry_attempts: {},
      ready_outputs: { __frozenset__: [] },
      step_output_versions: [],
    }),
    pipeline_snapshot_id: jobSnapshotId,
    snapshot_version: 1,
    step_keys_to_execute: toExecute,
    steps: byName.map((d) => executionStep(d, inPlan, line, selection === null || selection.includes(d.key))),
  });
}

// ---- code location --------------------------------------------------------------------------

export interface CodeLocationInfo {
  /** What the K8sRunLauncher runs in the image: `entryPoint + ["api", "execute_run", <args>]`. */
  entryPoint: string[];
  containerImage: string;
  /** Settings for run pods (e.g. `{"k8s": {...}}` for the K8sRunLauncher); `{}` when none. */
  containerContext?: Record<string, unknown>;
  /**
   * The Dagster release whose protocol the server speaks (reported to the host): a release of a
   * supported line (src/dagster/protocol-version.ts), whose shapes every answer takes.
   */
  dagsterVersion: string;
  /** Schedule cron and the OBD folder the sensor watches (default: daily at 03:00 UTC, no folder). */
  automation?: AutomationSettings;
}

/** The code pointer the host copies into run origins (no Python file exists; it names the entry). */
export function codePointer(): SerdesObject {
  return klass('ModuleCodePointer', { fn_name: REPOSITORY_NAME, module: 'bandit_pipeline', working_directory: null });
}

export function listRepositoriesResponse(info: CodeLocationInfo): SerdesObject {
  return klass('ListRepositoriesResponse', {
    container_context: fromJson(info.containerContext ?? {}),
    container_image: info.containerImage,
    dagster_library_versions: { dagster: info.dagsterVersion },
    defs_state_info: null,
    entry_point: info.entryPoint,
    executable_path: null,
    repository_code_pointer_dict: { [REPOSITORY_NAME]: codePointer() },
    repository_symbols: [klass('LoadableRepositorySymbol', { attribute: REPOSITORY_NAME, repository_name: REPOSITORY_NAME })],
  });
}

export function repositoryPythonOrigin(info: CodeLocationInfo): SerdesObject {
  return klass('RepositoryPythonOrigin', {
    code_pointer: codePointer(),
    container_context: fromJson(info.containerContext ?? {}),
    container_image: info.containerImage,
    entry_point: info.entryPoint,
    executable_path: '',
  });
}

export function subsetResult(selection: readonly AssetKey[], info: CodeLocationInfo, kind: SelectionKind = 'assets', checks: readonly CheckKey[] | null = null): SerdesObject {
  return klass('ExternalPipelineSubsetResult', {
    error: null,
    external_pipeline_data: jobData(selection, kind, checks),
    repository_python_origin: repositoryPythonOrigin(info),
    success: true,
  });
}

