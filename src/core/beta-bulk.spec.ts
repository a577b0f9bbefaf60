import { sampleBetaInto } from './beta-bulk';
import { makeBetaSampler } from './beta-sampler';
import { createRng, type Rng } from './rng';

/** The bulk sampler must give exactly the per-draw sampler's variates, in order, and leave the generator in the same state. */
describe('sampleBetaInto is bit-identical to makeBetaSampler', () => {
  const shapes: [number, number][] = [
    [1, 1], // v ≤ 0 rejections of Marsaglia–Tsang are most frequent at shape 1
    [2, 3],
    [30, 970],
    [3000, 1e6],
    [1e9, 1e9],
    [0.5, 0.5], // Jöhnk
    [0.01, 0.02], // Jöhnk with both powers underflowing (log-space ratio)
    [0.3, 5], // fallback: one shape below 1
    [0.02, 0.9],
  ];
  it.each(shapes)('Beta(%p, %p), 3 seeds × 20,000 draws, then the next values', (a, b) => {
    for (const seed of [1, 'bulk', 987654321]) {
      const r1 = createRng(seed);
      const r2 = createRng(seed);
      const draw = makeBetaSampler(a, b);
      const expected = Float64Array.from({ length: 20_000 }, () => draw(r1));
      const got = sampleBetaInto(r2, a, b, new Float64Array(20_000));
      let mismatch = -1;
      for (let i = 0; i < expected.length && mismatch < 0; i++) if (!Object.is(expected[i], got[i])) mismatch = i;
      expect(mismatch).toBe(-1);
      // the generator continues where the per-draw one does (state written back)
      for (let i = 0; i < 5; i++) expect(r2.nextUint32()).toBe(r1.nextUint32());
    }
  });
  it('exercises the ziggurat slow path (wedge and tail) inside the bulk loop', () => {
    // 200k Beta(2, 3) draws take ~800k normals, ~1.2% of which leave the fast path
    const r1 = createRng('slow');
    const r2 = createRng('slow');
    const draw = makeBetaSampler(2, 3);
    const got = sampleBetaInto(r2, 2, 3, new Float64Array(200_000));
    expect(got.every((v) => v === draw(r1))).toBe(true);
    expect(r2.nextFloat()).toBe(r1.nextFloat());
  });
  it('works with any Rng (per-draw fallback) and validates its parameters', () => {
    let state = 7;
    const lcg = (): Rng => ({
      nextUint32: () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0),
      nextFloat: () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296,
    });
    const xs = sampleBetaInto(lcg(), 2, 3, new Float64Array(1000));
    expect(xs.every((v) => v > 0 && v < 1)).toBe(true);
    expect(() => sampleBetaInto(createRng(1), 0, 1, new Float64Array(1))).toThrow(/alpha must be a finite number > 0, got 0/);
    expect(() => sampleBetaInto(createRng(1), 1, 2e9, new Float64Array(1))).toThrow(/beta must be at most 1e9/);
  });
});
