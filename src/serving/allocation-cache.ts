/**
 * Allocation probabilities per posterior state. Computing them (P(best) by quadrature,
 * top-two, floors/caps) costs far more than a select's round trip, while many selects see
 * the same α, β between two rewards — so they are cached by the exact state they were
 * computed from (experiment, status, every α and β). The entry for a state is exact for
 * that state; a new reward makes a new key. Bounded, oldest entries evicted first.
 */
export class AllocationCache {
  private readonly map = new Map<string, number[]>();
  hits = 0;
  misses = 0;

  constructor(private readonly capacity = 4096) {}

  get(key: string, compute: () => number[]): number[] {
    const hit = this.map.get(key);
    if (hit) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const value = compute();
    if (this.map.size >= this.capacity) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, value);
    return value;
  }

  static key(experimentId: string, status: string, alpha: readonly number[], beta: readonly number[]): string {
    return `${experimentId}|${status}|${alpha.join(',')}|${beta.join(',')}`;
  }
}
