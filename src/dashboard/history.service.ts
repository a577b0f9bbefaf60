/**
 * Builds an experiment's history for the dashboard from the event store: the bucket width
 * (chosen so the whole span fits in about TARGET_BUCKETS points unless asked for), events
 * and snapshots per bucket, and running totals of assignments, reward and estimated regret.
 *
 * Estimated regret: live traffic has no known true rates, so each pull of arm k is
 * charged max_j μ_j − μ_k with μ the current posterior means (the API's `mean`). It is
 * the regret the policy paid as judged by what is known now.
 */
import { invalidInput } from '../common/errors';
import type { ClockRepository } from '../clock/clock.repository';
import type { ExperimentView } from '../experiments/experiment.dto';
import { BUCKET_STEPS, MAX_BUCKETS, TARGET_BUCKETS, type ExperimentHistory, type HistoryQuery } from './history.dto';
import type { EventBucketRow, HistoryRepository, SnapshotBucketRow } from './history.repository';

/** The smallest step of BUCKET_STEPS that covers `spanSeconds` in at most TARGET_BUCKETS buckets. */
export function chooseBucketSeconds(spanSeconds: number): number {
  for (const step of BUCKET_STEPS) if (spanSeconds / step <= TARGET_BUCKETS) return step;
  return BUCKET_STEPS[BUCKET_STEPS.length - 1];
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Pure assembly of the history from bucketed rows (exported for tests). */
export function assembleHistory(
  view: Pick<ExperimentView, 'id' | 'arms'>,
  range: { fromMs: number; toMs: number; bucketSeconds: number },
  events: readonly EventBucketRow[],
  snapshots: readonly SnapshotBucketRow[],
): ExperimentHistory {
  const k = view.arms.length;
  const width = range.bucketSeconds * 1000;
  const zeros = () => new Array<number>(k).fill(0);

  const byBucket = new Map<number, { selects: number[]; rewards: number[] }>();
  for (const e of events) {
    if (e.arm < 0 || e.arm >= k) continue;
    let b = byBucket.get(e.bucket);
    if (!b) byBucket.set(e.bucket, (b = { selects: zeros(), rewards: zeros() }));
    if (e.type === 'select') b.selects[e.arm] += e.count;
    // holdout events (hselect / hreward) are not the bandit's traffic
    else if (e.type === 'reward') b.rewards[e.arm] += e.rewardSum;
  }
  const order = [...byBucket.keys()].sort((a, b) => a - b);

  const means = view.arms.map((a) => a.mean);
  const best = Math.max(...means);
  const gaps = means.map((m) => best - m);
  let assignments = 0;
  let reward = 0;
  let regret = 0;
  const buckets: ExperimentHistory['buckets'] = [];
  const cumulative: ExperimentHistory['cumulative'] = [];
  for (const n of order) {
    const b = byBucket.get(n) as { selects: number[]; rewards: number[] };
    buckets.push({ t: iso(n * width), selects: b.selects, rewards: b.rewards });
    for (let i = 0; i < k; i++) {
      assignments += b.selects[i];
      reward += b.rewards[i];
      regret += b.selects[i] * gaps[i];
    }
    cumulative.push({ t: iso(Math.min((n + 1) * width, range.toMs)), assignments, pulls: assignments, reward, regret });
  }

  const snapByBucket = new Map<number, { at: number; probBest: (number | null)[]; mean: (number | null)[]; ciLow: (number | null)[]; ciHigh: (number | null)[] }>();
  for (const s of snapshots) {
    if (s.arm < 0 || s.arm >= k) continue;
    let row = snapByBucket.get(s.bucket);
    if (!row) {
      const nulls = () => new Array<number | null>(k).fill(null);
      snapByBucket.set(s.bucket, (row = { at: s.at, probBest: nulls(), mean: nulls(), ciLow: nulls(), ciHigh: nulls() }));
    }
    row.at = Math.max(row.at, s.at);
    row.probBest[s.arm] = s.probBest;
    row.mean[s.arm] = s.mean;
    row.ciLow[s.arm] = s.ciLow;
    row.ciHigh[s.arm] = s.ciHigh;
  }
  const snapRows = [...snapByBucket.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, r]) => ({ t: iso(r.at), probBest: r.probBest, mean: r.mean, ciLow: r.ciLow, ciHigh: r.ciHigh }));

  return {
    experimentId: view.id,
    arms: view.arms.map((a) => a.name),
    from: iso(range.fromMs),
    to: iso(range.toMs),
    bucketSeconds: range.bucketSeconds,
    buckets,
    snapshots: snapRows,
    cumulative,
    regretBasis: 'posterior-mean',
  };
}

/** How long the default history of an experiment (no parameters: what every open page asks for) is reused. */
export const HISTORY_CACHE_MS = 2000;

export class HistoryService {
  private readonly cache = new Map<string, { at: number; history: Promise<ExperimentHistory> }>();

  constructor(
    private readonly repo: HistoryRepository,
    private readonly clock: ClockRepository,
  ) {}

  /**
   * The history for `query`. The default one (no bucket, from or to) is shared for
   * HISTORY_CACHE_MS between requests, so many open pages cost one set of queries.
   */
  async history(view: ExperimentView, query: HistoryQuery): Promise<ExperimentHistory> {
    if (query.bucket !== undefined || query.from !== undefined || query.to !== undefined) return this.compute(view, query);
    const now = this.clock.now();
    for (const [id, c] of this.cache) if (now - c.at > HISTORY_CACHE_MS) this.cache.delete(id);
    const hit = this.cache.get(view.id);
    if (hit) return hit.history;
    const history = this.compute(view, query);
    this.cache.set(view.id, { at: now, history });
    history.catch(() => this.cache.delete(view.id));
    return history;
  }

  private async compute(view: ExperimentView, query: HistoryQuery): Promise<ExperimentHistory> {
    const created = Date.parse(view.createdAt);
    // nothing happened before the experiment was created: a range reaching further back starts there
    const fromMs = query.from !== undefined ? Math.max(Date.parse(query.from), created) : created;
    const toMs = query.to !== undefined ? Date.parse(query.to) : this.clock.now();
    if (!(toMs > fromMs)) throw invalidInput(`'to' (${iso(toMs)}) must be later than 'from' (${iso(fromMs)})`);
    const spanSeconds = (toMs - fromMs) / 1000;
    const bucketSeconds = query.bucket ?? chooseBucketSeconds(spanSeconds);
    if (spanSeconds / bucketSeconds > MAX_BUCKETS) {
      throw invalidInput(`bucket of ${bucketSeconds} s gives ${Math.ceil(spanSeconds / bucketSeconds)} buckets over this range; at most ${MAX_BUCKETS} — pick a wider bucket or a shorter range`);
    }
    const [events, snapshots] = await Promise.all([
      this.repo.eventBuckets(view.id, bucketSeconds, fromMs, toMs),
      this.repo.snapshotBuckets(view.id, bucketSeconds, fromMs, toMs),
    ]);
    return assembleHistory(view, { fromMs, toMs, bucketSeconds }, events, snapshots);
  }
}
