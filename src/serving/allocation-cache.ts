/**
 * Allocation probabilities per experiment, refreshed at a bounded rate.
 *
 * Computing them exactly (P(best) by quadrature, then top-two, floors and caps) costs
 * about 1–3 ms for a handful of arms — far more than a select's round trip — and under
 * traffic nearly every reward changes α or β. So each experiment keeps the allocation of
 * one posterior state, with the status it was computed under, and /select serves from it:
 * the arm is drawn from exactly these probabilities and the decision is recorded only if
 * the stored status is still the one they were computed under (checked inside the select
 * script). Once the allocation is older than `refreshMs`, one background read refreshes
 * it (recomputed only when α or β changed). The served policy is therefore "Thompson
 * sampling on the posterior as of about `refreshMs` ago", and the logged propensity is
 * exactly the probability this arm was chosen with.
 */
export interface Allocation {
  /** Encoded status (see encodeStatus) the probabilities were computed under. */
  status: string;
  /** The state (status, α, β) the probabilities were computed from. */
  key: string;
  probs: number[];
  computedAt: number;
  /** Generation of the experiment's definition the probabilities were computed for. */
  generation?: number;
}

export class AllocationCache {
  private readonly byExperiment = new Map<string, Allocation>();
  hits = 0;
  misses = 0;

  constructor(readonly refreshMs: number) {}

  /** The current allocation of an experiment, if any (fresh or not). */
  peek(experimentId: string): Allocation | undefined {
    return this.byExperiment.get(experimentId);
  }

  isStale(a: Allocation, now: number): boolean {
    return now - a.computedAt >= this.refreshMs;
  }

  /** The allocation of exactly this state: reused when the state is unchanged, else computed. */
  resolve(experimentId: string, status: string, alpha: readonly number[], beta: readonly number[], now: number, compute: () => number[], generation?: number): Allocation {
    const key = `${generation ?? ''}|${status}|${alpha.join(',')}|${beta.join(',')}`;
    const cur = this.byExperiment.get(experimentId);
    if (cur && cur.key === key) {
      this.hits++;
      cur.computedAt = now;
      return cur;
    }
    this.misses++;
    const next: Allocation = { status, key, probs: compute(), computedAt: now, generation };
    this.byExperiment.set(experimentId, next);
    return next;
  }

  /** Forgets an experiment (its status changed). */
  forget(experimentId: string): void {
    this.byExperiment.delete(experimentId);
  }
}
