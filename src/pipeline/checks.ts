/**
 * The pipeline's asset checks (declared as `checks` in asset-graph.ts): what each measures on
 * the asset it follows, and whether it passed. Dagster shows them as asset check evaluations;
 * `bandit materialize` returns them with the asset's result.
 */
import type { Estimate } from '../core/ope/types';
import type { ObjectStore } from '../object-store';
import type { MetadataValue } from './asset-graph';
import { Duck, sqlString } from './duckdb';
import type { IngestResult } from './ingest-obp';
import { keys } from './layout';

export interface CheckResult {
  name: string;
  passed: boolean;
  description: string;
  metadata: Record<string, MetadataValue>;
}

/**
 * `propensities_valid`: every propensity of the silver logs written or kept by this ingest is in
 * (0, 1], and under the uniformly random logging policy each equals 1 / items (the policy
 * shows every item with the same probability).
 */
export async function propensityCheck(store: ObjectStore, datasets: ReadonlyArray<Pick<IngestResult['datasets'][number], 'behavior' | 'campaign' | 'items'>>): Promise<CheckResult> {
  const metadata: Record<string, MetadataValue> = {};
  const problems: string[] = [];
  const duck = await Duck.open();
  try {
    for (const d of datasets) {
      const file = sqlString(await store.localPath(keys.logs(d.behavior, d.campaign)));
      const s = await duck.one<{ lo: number; hi: number; outside: number; off: number }>(
        `SELECT min(propensity_score) AS lo, max(propensity_score) AS hi,
                sum(CASE WHEN propensity_score <= 0 OR propensity_score > 1 THEN 1 ELSE 0 END)::INTEGER AS outside,
                sum(CASE WHEN abs(propensity_score * ${d.items} - 1) > 1e-6 THEN 1 ELSE 0 END)::INTEGER AS off
         FROM read_parquet(${file})`,
      );
      const name = `${d.behavior}/${d.campaign}`;
      metadata[`${name}.propensity_min`] = { type: 'float', value: s.lo };
      metadata[`${name}.propensity_max`] = { type: 'float', value: s.hi };
      if (s.outside > 0) problems.push(`${name}: ${s.outside} propensities outside (0, 1]`);
      if (d.behavior === 'random') {
        metadata[`${name}.not_one_over_items`] = { type: 'int', value: s.off };
        if (s.off > 0) problems.push(`${name}: ${s.off} propensities differ from 1/${d.items} under the uniform policy`);
      }
    }
  } finally {
    duck.close();
  }
  return {
    name: 'propensities_valid',
    passed: problems.length === 0,
    description: problems.length === 0 ? `${datasets.length} dataset(s): every propensity in (0, 1]; the random policy's are 1/items` : problems.join('; '),
    metadata,
  };
}

/**
 * One check over several parts evaluated apart (`propensities_valid` per dataset): passed when
 * every part passed, the metadata of all parts, the failing parts' descriptions (else the count
 * of parts with the first part's wording).
 */
export function mergeChecks(parts: readonly CheckResult[]): CheckResult {
  if (parts.length === 0) throw new Error('mergeChecks: no check results to merge');
  const failed = parts.filter((p) => !p.passed);
  return {
    name: parts[0].name,
    passed: failed.length === 0,
    description: failed.length > 0 ? failed.map((p) => p.description).join('; ') : parts[0].description.replace(/^1 dataset\(s\)/, `${parts.length} dataset(s)`),
    metadata: Object.assign({}, ...parts.map((p) => p.metadata)) as Record<string, MetadataValue>,
  };
}

/** `matched_rows`: the replay matched at least one logged row in every campaign. */
export function matchedRowsCheck(campaigns: ReadonlyArray<{ campaign: string; matched: number; rows: number }>): CheckResult {
  const empty = campaigns.filter((c) => !(c.matched > 0));
  return {
    name: 'matched_rows',
    passed: campaigns.length > 0 && empty.length === 0,
    description:
      campaigns.length === 0
        ? 'no campaign was replayed'
        : empty.length === 0
          ? `every campaign matched rows (fewest: ${Math.min(...campaigns.map((c) => c.matched))})`
          : `no matched rows for ${empty.map((c) => c.campaign).join(', ')}`,
    metadata: Object.fromEntries(campaigns.map((c) => [`${c.campaign}.matched_rows`, { type: 'int', value: c.matched } as MetadataValue])),
  };
}

/**
 * `estimators_agree`: for each campaign and evaluated policy, the estimators' bootstrap
 * intervals have a value in common (largest lower bound ≤ smallest upper bound); estimators
 * without an interval are left out.
 */
export function estimatorsAgreeCheck(campaigns: ReadonlyArray<{ campaign: string; evaluations: ReadonlyArray<{ policy: string; estimates: readonly Estimate[] }> }>): CheckResult {
  const metadata: Record<string, MetadataValue> = {};
  const disagree: string[] = [];
  let compared = 0;
  for (const c of campaigns) {
    for (const ev of c.evaluations) {
      const withCi = ev.estimates.filter((e) => e.ci && Number.isFinite(e.ci.lower) && Number.isFinite(e.ci.upper));
      if (withCi.length < 2) continue;
      compared++;
      const lo = withCi.reduce((m, e) => (e.ci!.lower > m.ci!.lower ? e : m));
      const hi = withCi.reduce((m, e) => (e.ci!.upper < m.ci!.upper ? e : m));
      const gap = lo.ci!.lower - hi.ci!.upper;
      metadata[`${c.campaign}.${ev.policy}.interval_gap`] = { type: 'float', value: gap };
      if (gap > 0) disagree.push(`${c.campaign}/${ev.policy}: ${lo.estimator}'s interval starts at ${lo.ci!.lower.toPrecision(4)}, above ${hi.estimator}'s end ${hi.ci!.upper.toPrecision(4)}`);
    }
  }
  return {
    name: 'estimators_agree',
    passed: compared > 0 && disagree.length === 0,
    description: compared === 0 ? 'no policy had two estimators with intervals (bootstrap 0?)' : disagree.length === 0 ? `the intervals overlap for all ${compared} campaign × policy pair(s)` : disagree.join('; '),
    metadata,
  };
}
