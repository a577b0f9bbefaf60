import { AllocationCache } from './allocation-cache';

describe('AllocationCache', () => {
  it('computes once per state, recomputes when α or β or the status change', () => {
    const cache = new AllocationCache(100);
    let computed = 0;
    const compute = () => {
      computed++;
      return [0.25, 0.75];
    };
    cache.resolve('e', 'running', [1, 2], [1, 1], 0, compute);
    cache.resolve('e', 'running', [1, 2], [1, 1], 50, compute);
    expect(computed).toBe(1);
    cache.resolve('e', 'running', [1, 3], [1, 1], 60, compute);
    expect(computed).toBe(2);
    cache.resolve('e', 'concluded:1', [1, 3], [1, 1], 70, compute);
    expect(computed).toBe(3);
    expect(cache.peek('e')?.status).toBe('concluded:1');
  });

  it('reports an allocation stale after refreshMs and forgets on demand', () => {
    const cache = new AllocationCache(100);
    const a = cache.resolve('e', 'running', [1], [1], 1000, () => [1]);
    expect(cache.isStale(a, 1099)).toBe(false);
    expect(cache.isStale(a, 1100)).toBe(true);
    cache.forget('e');
    expect(cache.peek('e')).toBeUndefined();
  });
});
