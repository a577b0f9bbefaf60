/**
 * The asset checks evaluated on what an asset last wrote to the object store, without
 * materializing it (a Dagster run that selects only checks): the same measures as with the
 * materialization (src/pipeline/checks.ts), read back from the silver layer.
 */
import { notFound } from '../common/errors';
import { getJson, type ObjectStore } from '../object-store';
import type { AssetKey } from './asset-graph';
import { estimatorsAgreeCheck, matchedRowsCheck, propensityCheck, type CheckResult } from './checks';
import { requireIngested } from './ingest-obp';
import { keys } from './layout';
import { requireOpe } from './ope.asset';
import type { ReplaySummary } from './replay.asset';

/** One evaluation: of a partition (`campaign` × `policy`) of a partitioned asset, else of the whole asset. */
export interface StoredCheck {
  dimensions: { campaign: string; policy: string } | null;
  result: CheckResult;
}

/**
 * Evaluates the checks of `key` on its stored data. `ingest_obp`'s check is evaluated per
 * ingested slice (partition), only the slice `partition` when given; a slice the last ingest
 * does not hold is refused naming the slices it holds.
 */
export async function storedChecks(store: ObjectStore, key: AssetKey, partition: { campaign: string; policy: string } | null = null): Promise<StoredCheck[]> {
  switch (key) {
    case 'ingest_obp': {
      const ingest = await requireIngested(store);
      const held = ingest.datasets.map((d) => `${d.campaign}|${d.behavior}`);
      const slices = ingest.datasets.filter((d) => partition === null || (d.campaign === partition.campaign && d.behavior === partition.policy));
      if (slices.length === 0) {
        throw notFound(`partition ${partition?.campaign}|${partition?.policy} of ingest_obp was never materialized (the last ingest holds ${held.join(', ') || 'nothing'})`);
      }
      const out: StoredCheck[] = [];
      for (const d of slices) out.push({ dimensions: { campaign: d.campaign, policy: d.behavior }, result: await propensityCheck(store, [d]) });
      return out;
    }
    case 'replay': {
      if (!(await store.exists(keys.replayManifest()))) throw notFound(`replay was never materialized (no ${store.uri(keys.replayManifest())})`);
      const summary = await getJson<ReplaySummary>(store, keys.replayManifest());
      return [{ dimensions: null, result: matchedRowsCheck(summary.campaigns) }];
    }
    case 'ope':
      return [{ dimensions: null, result: estimatorsAgreeCheck(await requireOpe(store)) }];
    default:
      return [];
  }
}
