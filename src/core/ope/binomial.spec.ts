import { createRng } from '../rng';
import { logGamma } from '../special';
import { sampleBinomial } from './binomial';
import { sampleMultinomial } from './multinomial';

/** Exact Binomial pmf via log-gamma (independent of the sampler's code paths). */
const pmf = (n: number, p: number, k: number) => Math.exp(logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log(1 - p));

/** Pearson chi-square of `draws` samples against the exact pmf, pooling cells with expected < 5. */
function chiSquare(n: number, p: number, draws: number, seed: number): { stat: number; df: number } {
  const rng = createRng(seed);
  const counts = new Map<number, number>();
  for (let i = 0; i < draws; i++) {
    const k = sampleBinomial(n, p, rng);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  let stat = 0;
  let df = -1;
  let poolObs = 0;
  let poolExp = 0;
  for (let k = 0; k <= n; k++) {
    poolObs += counts.get(k) ?? 0;
    poolExp += draws * pmf(n, p, k);
    if (poolExp >= 5) {
      stat += (poolObs - poolExp) ** 2 / poolExp;
      df++;
      poolObs = 0;
      poolExp = 0;
    }
  }
  if (poolExp > 0) stat += (poolObs - poolExp) ** 2 / Math.max(poolExp, 1e-12);
  return { stat, df };
}

describe('sampleBinomial', () => {
  // chi-square critical values at alpha = 0.001 are below df + 4.5·sqrt(2·df) for these df
  it.each([
    [20, 0.3, 'inversion'],
    [1000, 0.004, 'inversion'],
    [200, 0.4, 'BTRS'],
    [5000, 0.02, 'BTRS'],
    [60, 0.85, 'symmetry'],
  ])('matches the exact pmf for n=%d p=%d (%s) by a chi-square test', (n, p) => {
    const { stat, df } = chiSquare(n, p, 40_000, n * 7 + Math.round(p * 1000));
    expect(df).toBeGreaterThan(2);
    expect(stat).toBeLessThan(df + 4.5 * Math.sqrt(2 * df));
  });

  it('has the right mean and variance at OBD scale (n = 26.7M)', () => {
    const rng = createRng(3);
    const n = 26_700_000;
    const p = 0.004;
    const m = 4000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < m; i++) {
      const x = sampleBinomial(n, p, rng);
      s += x;
      s2 += x * x;
    }
    const mean = s / m;
    const variance = s2 / m - mean * mean;
    const sd = Math.sqrt(n * p * (1 - p));
    expect(Math.abs(mean - n * p)).toBeLessThan((5 * sd) / Math.sqrt(m));
    expect(variance / (sd * sd)).toBeGreaterThan(0.9);
    expect(variance / (sd * sd)).toBeLessThan(1.1);
  });

  it('handles the edges', () => {
    const rng = createRng(1);
    expect(sampleBinomial(0, 0.5, rng)).toBe(0);
    expect(sampleBinomial(10, 0, rng)).toBe(0);
    expect(sampleBinomial(10, 1, rng)).toBe(10);
  });
});

describe('sampleMultinomial', () => {
  it('always sums to n and has the right marginal means', () => {
    const rng = createRng(9);
    const p = [0.5, 0.3, 0.15, 0.05];
    const out = new Float64Array(4);
    const sums = [0, 0, 0, 0];
    const m = 5000;
    for (let i = 0; i < m; i++) {
      sampleMultinomial(1000, p, rng, out);
      expect(out.reduce((a, b) => a + b, 0)).toBe(1000);
      out.forEach((x, j) => (sums[j] += x));
    }
    p.forEach((pj, j) => {
      const sd = Math.sqrt((1000 * pj * (1 - pj)) / m);
      expect(Math.abs(sums[j] / m - 1000 * pj)).toBeLessThan(5 * sd);
    });
  });
});
