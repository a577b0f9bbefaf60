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
}

export const ASSET_GRAPH: readonly AssetDefinition[] = [
  {
    key: 'ingest_obp',
    deps: [],
    group: ASSET_GROUP,
    description:
      'Validates the Open Bandit Dataset logs and writes them to the object store: bronze (files as received) under raw/obp/<behavior>/<campaign>/, silver (typed Parquet and a manifest) under silver/obp/<behavior>/<campaign>/.',
    metadata: { layer: 'bronze+silver', source: 'Open Bandit Dataset (ZOZO Research, Apache-2.0)' },
  },
  {
    key: 'replay',
    deps: ['ingest_obp'],
    group: ASSET_GROUP,
    description: 'Replays the Bernoulli Thompson sampler on the uniformly random logs (Li et al., 2011): matched-row click rate, cumulative reward and regret curves, final posteriors.',
    metadata: { method: 'replay (rejection sampling on random logs)' },
  },
  {
    key: 'ope',
    deps: ['ingest_obp', 'replay'],
    group: ASSET_GROUP,
    description: 'Off-policy evaluation of the production BTS policy and of our sampler on the random logs: RM, IPW, SNIPW, DM, DR, SNDR, Switch-DR with bootstrap 95% intervals.',
    metadata: { estimators: 'rm,ipw,snipw,dm,dr,sndr,switch-dr' },
  },
  {
    key: 'conclude',
    deps: ['replay', 'ope'],
    group: ASSET_GROUP,
    description: 'Applies the stopping rule (P(best) and expected loss) to the replay posteriors and to live experiments; writes the decision to Postgres and MLflow.',
    metadata: { rule: 'P(best) >= threshold and expected loss < threshold, after a minimum sample per arm' },
  },
];

export function assetDefinition(key: AssetKey): AssetDefinition {
  const def = ASSET_GRAPH.find((a) => a.key === key);
  if (!def) throw new Error(`unknown asset ${String(key)}`);
  return def;
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
  | { type: 'url'; value: string };

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
}
