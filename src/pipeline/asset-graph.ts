import { BEHAVIORS, CAMPAIGNS as OBD_CAMPAIGNS } from './layout';

/**
 * The one definition of the pipeline's assets. `bandit materialize` runs them in order;
 * the Dagster code location (src/dagster) serializes its snapshots from this same list.
 */
export const ASSET_KEYS = ['ingest_obp', 'replay', 'ope', 'conclude'] as const;
export type AssetKey = (typeof ASSET_KEYS)[number];

export const ASSET_GROUP = 'bandit';

export interface AssetDefinition {
  key: AssetKey;
  /** Upstream assets, in declaration order. */
  deps: readonly AssetKey[];
  group: typeof ASSET_GROUP;
  description: string;
  /** Static definition metadata (shown in the Dagster UI), string values only. */
  metadata: Readonly<Record<string, string>>;
  /**
   * The asset's run config (`ops.<asset>.config` in Dagster, the CLI flags of `bandit
   * materialize`): every key the asset reads, typed, with its default and a description.
   * Unknown keys are refused.
   */
  config: readonly ConfigFieldDefinition[];
  /**
   * Dagster code version: bump it when the asset's logic changes, so Dagster marks what was
   * materialized with an older one as stale.
   */
  codeVersion: string;
  /** Dagster owners (`team:…` or e-mail addresses). */
  owners: readonly string[];
  /** Dagster kinds (icons in the asset graph), written as `dagster/kind/<kind>` tags. */
  kinds: readonly string[];
  /** Dagster definition tags. */
  tags: Readonly<Record<string, string>>;
  /**
   * Static partitions: one dimension per entry, each a fixed list of keys (Dagster's
   * `MultiPartitionsDefinition` of `StaticPartitionsDefinition`s). A partition key names one
   * key per dimension, joined by `|` in dimension-name order (e.g. `men|random`).
   */
  partitions?: readonly PartitionDimension[];
  /** Dagster asset checks evaluated with each materialization (their results: `AssetOutcome.checks`). */
  checks?: readonly AssetCheckDefinition[];
}

export interface AssetCheckDefinition {
  name: string;
  description: string;
}

export interface PartitionDimension {
  name: string;
  keys: readonly string[];
}

/** OBD's campaigns × behavior (logging) policies: one `ingest_obp` partition per pair. */
export const OBD_PARTITIONS: readonly PartitionDimension[] = [
  { name: 'campaign', keys: OBD_CAMPAIGNS },
  { name: 'policy', keys: BEHAVIORS },
];

/** Config types, named as Dagster names them (`[String]` is a list of strings). */
export type ConfigFieldType = 'Int' | 'Float' | 'String' | '[String]';

/**
 * One run-config key: snake_case `name` (the pipeline option is its camelCase form,
 * `n_sim` → `nSim`); with a `default` it is a plain typed field, without one it is optional
 * and may be null (Dagster's `Noneable`), the asset then deciding (e.g. BANDIT_OBD_PATH).
 */
export interface ConfigFieldDefinition {
  name: string;
  type: ConfigFieldType;
  default?: number | string;
  description: string;
}

const OWNERS = ['team:bandit'];
const OBD_PATH: ConfigFieldDefinition = { name: 'obd_path', type: 'String', description: 'Open Bandit Dataset folder (default: BANDIT_OBD_PATH, or the folder of the last ingest).' };
const CAMPAIGNS: ConfigFieldDefinition = { name: 'campaigns', type: '[String]', description: 'Campaigns to process, e.g. [men, women] (default: every present / ingested one).' };
const SEED: ConfigFieldDefinition = { name: 'seed', type: 'Int', default: 0, description: 'Seed of every random stream (sampler, policy simulations, bootstrap).' };

export const ASSET_GRAPH: readonly AssetDefinition[] = [
  {
    key: 'ingest_obp',
    deps: [],
    group: ASSET_GROUP,
    description:
      'Validates the Open Bandit Dataset logs and writes them to the object store: bronze (files as received) under raw/obp/<behavior>/<campaign>/, silver (typed Parquet and a manifest) under silver/obp/<behavior>/<campaign>/.',
    metadata: { layer: 'bronze+silver', source: 'Open Bandit Dataset (ZOZO Research, Apache-2.0)' },
    config: [OBD_PATH, CAMPAIGNS],
    codeVersion: '1', owners: OWNERS, kinds: ['duckdb', 'parquet'], tags: { layer: 'silver', source: 'obd' },
    partitions: OBD_PARTITIONS,
    checks: [
      {
        name: 'propensities_valid',
        description: "Every logged propensity score is in (0, 1], and the uniformly random policy's are 1 / items (what the logging policy says).",
      },
    ],
  },
  {
    key: 'replay',
    deps: ['ingest_obp'],
    group: ASSET_GROUP,
    description: 'Replays the Bernoulli Thompson sampler on the uniformly random logs (Li et al., 2011): matched-row click rate, cumulative reward and regret curves, final posteriors.',
    metadata: { method: 'replay (rejection sampling on random logs)' },
    config: [SEED, { name: 'prior_path', type: 'String', description: 'Beta prior file (zozotown_prior_bts.json shape) of the replayed sampler (default: uniform Beta(1, 1)).' }, CAMPAIGNS],
    codeVersion: '1', owners: OWNERS, kinds: ['typescript'], tags: { layer: 'gold', method: 'replay' },
    checks: [{ name: 'matched_rows', description: 'The replay matched at least one logged row in every campaign (else its curves say nothing).' }],
  },
  {
    key: 'ope',
    deps: ['ingest_obp', 'replay'],
    group: ASSET_GROUP,
    description: 'Off-policy evaluation of the production BTS policy and of our sampler on the random logs: RM, IPW, SNIPW, DM, DR, SNDR, Switch-DR with bootstrap 95% intervals.',
    metadata: { estimators: 'rm,ipw,snipw,dm,dr,sndr,switch-dr' },
    config: [
      SEED,
      { name: 'bootstrap', type: 'Int', default: 1000, description: 'Bootstrap replicates B of the intervals.' },
      { name: 'n_sim', type: 'Int', default: 100000, description: "Simulations of a Thompson policy's action distribution (obp's n_sim)." },
      { name: 'folds', type: 'Int', default: 5, description: 'Cross-fitting folds of the reward model.' },
      { name: 'alpha', type: 'Float', default: 0.05, description: 'Significance level of the intervals (0.05: 95% intervals).' },
      { name: 'lambda', type: 'Float', description: 'Clipping / switching threshold of IPW, DR and Switch-DR (default: none, i.e. infinity).' },
      { name: 'bts_prior_path', type: 'String', description: 'Prior file of the production BTS policy (default: zozotown_prior_bts.json beside the OBD data).' },
      OBD_PATH,
      CAMPAIGNS,
    ],
    codeVersion: '1', owners: OWNERS, kinds: ['duckdb', 'typescript'], tags: { layer: 'gold', method: 'ope' },
    checks: [
      {
        name: 'estimators_agree',
        description: "For each campaign and policy, the estimators' bootstrap intervals share a common value (no estimator contradicts another).",
      },
    ],
  },
  {
    key: 'conclude',
    deps: ['replay', 'ope'],
    group: ASSET_GROUP,
    description: 'Applies the stopping rule (P(best) and expected loss) to the replay posteriors and to live experiments; writes the decision to Postgres and MLflow.',
    metadata: { rule: 'P(best) >= threshold and expected loss < threshold, after a minimum sample per arm' },
    config: [{ name: 'experiments', type: '[String]', description: 'Live experiment ids to decide (default: every running experiment of the event store).' }],
    codeVersion: '1', owners: OWNERS, kinds: ['postgres', 'mlflow'], tags: { layer: 'decision' },
  },
];

export function assetDefinition(key: AssetKey): AssetDefinition {
  const def = ASSET_GRAPH.find((a) => a.key === key);
  if (!def) throw new Error(`unknown asset ${String(key)}`);
  return def;
}

/**
 * The options that restrict a partitioned asset to one partition (its key by dimension):
 * `ingest_obp`'s `men|random` reads and writes random/men only.
 */
export function partitionOptions(key: AssetKey, dimensions: Readonly<Record<string, string>>): Record<string, unknown> {
  if (key !== 'ingest_obp') return {};
  return { campaigns: [dimensions.campaign], behaviors: [dimensions.policy] };
}

export function isAssetKey(s: string): s is AssetKey {
  return (ASSET_KEYS as readonly string[]).includes(s);
}

/** The selection plus everything upstream of it, in a valid execution (topological) order. */
export function withUpstream(selection: readonly AssetKey[]): AssetKey[] {
  const need = new Set<AssetKey>();
  const visit = (k: AssetKey) => {
    if (need.has(k)) return;
    need.add(k);
    for (const d of assetDefinition(k).deps) visit(d);
  };
  selection.forEach(visit);
  return ASSET_GRAPH.map((a) => a.key).filter((k) => need.has(k));
}

/** A value of asset materialization metadata, typed the way Dagster shows it. */
export type MetadataValue =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'text'; value: string }
  | { type: 'md'; value: string }
  | { type: 'json'; value: unknown }
  | { type: 'path'; value: string }
  | { type: 'url'; value: string }
  /** A table's columns (Dagster's `dagster/column_schema`). */
  | { type: 'table_schema'; value: ReadonlyArray<{ name: string; type: string; description?: string }> };

export interface AssetLogger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** What every asset function receives. */
export interface AssetContext {
  log: AssetLogger;
  /** Progress of the current asset (drawn as a bar on the CLI, logged in Dagster). */
  progress(done: number, total: number, label?: string): void;
  /** Aborted when the run is canceled. */
  signal: AbortSignal;
}

export interface AssetOutcome<T = unknown> {
  /** The asset's result (what `bandit materialize --json` prints under its key). */
  value: T;
  /** Materialization metadata (rows ingested, estimates with intervals, P(best), the winner…). */
  metadata: Record<string, MetadataValue>;
  /** Dagster data version of what was written (e.g. a hash over the silver manifests' input hashes). */
  dataVersion?: string;
  /** Results of the asset's checks (`AssetDefinition.checks`), each with what it measured. */
  checks?: ReadonlyArray<{ name: string; passed: boolean; description?: string; metadata: Record<string, MetadataValue> }>;
  /**
   * For a partitioned asset: what each partition written holds (its key by dimension, e.g.
   * `{campaign: 'men', policy: 'random'}`, its own metadata and data version), so Dagster
   * records one materialization per partition; `checks` are the partition's own check results
   * (a check of a partitioned asset is evaluated per partition).
   */
  partitions?: ReadonlyArray<{ dimensions: Readonly<Record<string, string>>; metadata: Record<string, MetadataValue>; dataVersion?: string; checks?: AssetOutcome['checks'] }>;
}
