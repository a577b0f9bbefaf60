/**
 * Allocation probabilities per experiment, refreshed at a bounded rate.
 *
 * Computing them exactly (P(best) by quadrature, then top-two, floors and caps) costs
 * about 1–3 ms for a handful of arms — far more than a select's round trip — and under
 * traffic nearly every reward changes α or β. So each experiment keeps the allocation of
 * one posterior state and serves from it until either the status changes (recomputed at
 * once) or the state changed and the allocation is older than `refreshMs` (recomputed
 * then). The served policy is "Thompson sampling on the posterior as of at most
 * `refreshMs` ago"; the arm is drawn from exactly those probabilities, so the logged
 * propensity is exactly the probability this arm was chosen with.
 */
export interface Allocation {
  /** The state (status, α, β) the probabilities were computed from. */
  key: string;
  probs: number[];
  computedAt: number;
}

export class AllocationCache {
  private readonly byExperiment = new Map<string, Allocation & { status: string }>();
  hits = 0;
  misses = 0;

  constructor(private readonly refreshMs: number) {}

  get(experimentId: string, status: string, alpha: readonly number[], beta: readonly number[], now: number, compute: () => number[]): number[] {
    const cur = this.byExperiment.get(experimentId);
    if (cur && cur.status === status && cur.probs.length === alpha.length) {
      if (now - cur.computedAt < this.refreshMs) {
        this.hits++;
        return cur.probs;
      }
      const key = stateKey(status, alpha, beta);
      if (key === cur.key) {
        cur.computedAt = now;
        this.hits++;
        return cur.probs;
      }
      return this.store(experimentId, status, key, now, compute);
    }
    return this.store(experimentId, status, stateKey(status, alpha, beta), now, compute);
  }

  /** Forgets an experiment (after a rebuild or a status change made elsewhere). */
  forget(experimentId: string): void {
    this.byExperiment.delete(experimentId);
  }

  private store(experimentId: string, status: string, key: string, now: number, compute: () => number[]): number[] {
    this.misses++;
    const probs = compute();
    this.byExperiment.set(experimentId, { key, status, probs, computedAt: now });
    return probs;
  }
}

function stateKey(status: string, alpha: readonly number[], beta: readonly number[]): string {
  return `${status}|${alpha.join(',')}|${beta.join(',')}`;
}
