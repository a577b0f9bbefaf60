/**
 * Properties of the numeric core (pure: no services needed; here because src/core may not
 * import fast-check) over the whole parameter range the service admits:
 * α, β from 1e-3 to 1e9, up to 100 arms. Every result is finite and in range —
 * P(best) in [0, 1] summing to 1, expected loss ≥ 0, credible intervals inside [0, 1] and
 * ordered around the mean, samplers in [0, 1], allocations a distribution — and NaN,
 * ±Infinity, zero and negative parameters are refused with a RangeError naming the
 * parameter.
 */
import * as fc from 'fast-check';
import { makeBetaSampler, sampleBeta } from '../../../src/core/beta-sampler';
import { betaCdf, betaCredibleInterval, betaMean, betaQuantile } from '../../../src/core/beta';
import { expectedLoss, probabilityOfBestAndExpectedLoss } from '../../../src/core/expected-loss';
import { probabilityOfBest } from '../../../src/core/probability-of-best';
import { createRng } from '../../../src/core/rng';
import { evaluateStoppingRule } from '../../../src/core/stopping-rule';
import { summarizeArms } from '../../../src/core/summary';
import { valueRemaining } from '../../../src/core/value-remaining';
import { allocationProbabilities, sampleCategorical, thompsonSample } from '../../../src/core/thompson';
import type { BetaPosterior } from '../../../src/core/types';

const RUNS = Number(process.env.BANDIT_PROPERTY_RUNS ?? 60);
// a fixed seed keeps the suite reproducible; BANDIT_PROPERTY_SEED=random explores new cases
const SEED = process.env.BANDIT_PROPERTY_SEED;
if (SEED !== 'random') fc.configureGlobal({ seed: Number(SEED ?? 20261129) });

/** Log-uniform over [1e-3, 1e9]: every order of magnitude equally often. */
const param = fc.double({ min: -3, max: 9, noNaN: true }).map((e) => 10 ** e);
const arm = fc.record({ alpha: param, beta: param });
const arms = (max: number) => fc.array(arm, { minLength: 1, maxLength: max });
/** Values a parameter must never accept. */
const bad = fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -1, -1e-9, -1e9);

const SUM_TOL = 1e-9;
/** Below this, a quantile is 0 as far as any caller can tell. */
const UNDERFLOW = 1e-300;

function expectDistribution(p: readonly number[], n: number): void {
  expect(p).toHaveLength(n);
  for (const x of p) {
    expect(Number.isFinite(x)).toBe(true);
    expect(x).toBeGreaterThanOrEqual(0);
    expect(x).toBeLessThanOrEqual(1);
  }
  expect(Math.abs(p.reduce((s, x) => s + x, 0) - 1)).toBeLessThan(SUM_TOL);
}

describe('core properties over α, β ∈ [1e-3, 1e9]', () => {
  it('P(best) is a distribution over the arms; expected loss is finite and ≥ 0', () => {
    fc.assert(
      fc.property(arms(12), (a) => {
        const pb = probabilityOfBest(a);
        expectDistribution(pb, a.length);
        const el = expectedLoss(a);
        expect(el).toHaveLength(a.length);
        for (const x of el) {
          expect(Number.isFinite(x)).toBe(true);
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThanOrEqual(1);
        }
        // the joint routine agrees with the separate ones
        const both = probabilityOfBestAndExpectedLoss(a);
        both.probBest.forEach((x, k) => expect(x).toBeCloseTo(pb[k], 12));
      }),
      { numRuns: RUNS },
    );
  });

  it('100 arms: P(best), expected loss, allocations and the summary stay finite and in range', () => {
    fc.assert(
      fc.property(fc.array(arm, { minLength: 100, maxLength: 100 }), (a) => {
        expectDistribution(probabilityOfBest(a), 100);
        for (const x of expectedLoss(a)) expect(x >= 0 && Number.isFinite(x)).toBe(true);
        expectDistribution(allocationProbabilities(a, { algorithm: 'thompson' }), 100);
        expectDistribution(allocationProbabilities(a, { algorithm: 'top_two', topTwoBeta: 0.5 }), 100);
      }),
      { numRuns: Math.max(5, Math.floor(RUNS / 6)) },
    );
  });

  it('identical arms: P(best) = 1/K and equal expected losses', () => {
    fc.assert(
      fc.property(arm, fc.integer({ min: 1, max: 100 }), (a, k) => {
        const pb = probabilityOfBest(Array.from({ length: k }, () => ({ ...a })));
        for (const x of pb) expect(x).toBeCloseTo(1 / k, 6);
      }),
      { numRuns: RUNS },
    );
  });

  it('credible intervals lie inside [0, 1], ordered around the mean, nested by level', () => {
    fc.assert(
      fc.property(param, param, fc.double({ min: 0.5, max: 0.999, noNaN: true }), (a, b, level) => {
        const [lo, hi] = betaCredibleInterval(a, b, level);
        const [lo99, hi99] = betaCredibleInterval(a, b, 0.999);
        const m = betaMean(a, b);
        for (const x of [lo, hi, m]) {
          expect(Number.isFinite(x)).toBe(true);
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThanOrEqual(1);
        }
        expect(lo).toBeLessThanOrEqual(hi);
        // nested up to underflow: with α = 1e-3 the lower ends are ~p^1000 and round to 0
        // or to the smallest subnormal (5e-324) depending on p
        expect(lo99).toBeLessThanOrEqual(lo + UNDERFLOW);
        expect(hi99).toBeGreaterThanOrEqual(hi - UNDERFLOW);
        // the mean sits inside the wide interval
        expect(lo99).toBeLessThanOrEqual(m + 1e-12);
        expect(hi99).toBeGreaterThanOrEqual(m - 1e-12);
      }),
      { numRuns: RUNS },
    );
  });

  it('quantile and CDF are monotone and stay in [0, 1]', () => {
    fc.assert(
      fc.property(param, param, fc.double({ min: 1e-6, max: 1 - 1e-6, noNaN: true }), fc.double({ min: 1e-6, max: 1 - 1e-6, noNaN: true }), (a, b, p, q) => {
        const [p1, p2] = p <= q ? [p, q] : [q, p];
        const x1 = betaQuantile(p1, a, b);
        const x2 = betaQuantile(p2, a, b);
        expect(x1).toBeGreaterThanOrEqual(0);
        expect(x2).toBeLessThanOrEqual(1);
        expect(x1).toBeLessThanOrEqual(x2 + UNDERFLOW);
        const c = betaCdf(x1, a, b);
        expect(Number.isFinite(c) && c >= 0 && c <= 1).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('samplers draw inside [0, 1]; Thompson and categorical draws are valid arm indexes', () => {
    fc.assert(
      fc.property(param, param, fc.integer({ min: 0, max: 2 ** 31 - 1 }), (a, b, seed) => {
        const rng = createRng(seed);
        const draw = makeBetaSampler(a, b);
        for (let i = 0; i < 50; i++) {
          const x = draw(rng);
          expect(x >= 0 && x <= 1).toBe(true);
          const y = sampleBeta(rng, a, b);
          expect(y >= 0 && y <= 1).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(arms(100), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (a, seed) => {
        const rng = createRng(seed);
        const k = thompsonSample(a, rng);
        expect(Number.isInteger(k) && k >= 0 && k < a.length).toBe(true);
        const probs = allocationProbabilities(a, { algorithm: 'thompson' });
        const j = sampleCategorical(probs, rng);
        expect(Number.isInteger(j) && j >= 0 && j < a.length).toBe(true);
        expect(probs[j]).toBeGreaterThan(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('the per-arm summary is finite and in range', () => {
    fc.assert(
      fc.property(arms(20), (a) => {
        const s = summarizeArms(a);
        expectDistribution(
          s.map((x) => x.probBest),
          a.length,
        );
        for (const x of s) {
          expect(x.mean >= 0 && x.mean <= 1).toBe(true);
          expect(x.ci95[0] >= 0 && x.ci95[0] <= x.ci95[1] && x.ci95[1] <= 1).toBe(true);
          expect(x.expectedLoss >= 0 && Number.isFinite(x.expectedLoss)).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('decisions over α, β ∈ [1e-3, 1e9]', () => {
  it('the stopping rule always returns a consistent decision', () => {
    const config = fc.record({ probBest: fc.double({ min: 0.51, max: 0.999, noNaN: true }), expectedLoss: fc.double({ min: 1e-6, max: 0.1, noNaN: true }), minSamplesPerArm: fc.integer({ min: 0, max: 1000 }) });
    const state = fc.array(fc.record({ alpha: param, beta: param, observations: fc.integer({ min: 0, max: 1e9 }) }), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(state, config, fc.boolean(), (s, c, exhausted) => {
        const d = evaluateStoppingRule(
          s.map((a, k) => ({ ...a, name: `arm-${k}` })),
          c,
          { exhausted },
        );
        expect(['winner', 'continue', 'no_winner']).toContain(d.status);
        expect(Number.isInteger(d.leader) && d.leader >= 0 && d.leader < s.length).toBe(true);
        expectDistribution(d.probBest, s.length);
        for (const x of d.expectedLoss) expect(x >= 0 && Number.isFinite(x)).toBe(true);
        if (d.status === 'winner') {
          expect(d.winner).toBe(d.leader);
          expect(d.probBest[d.leader]).toBeGreaterThanOrEqual(c.probBest);
          expect(d.expectedLoss[d.leader]).toBeLessThanOrEqual(c.expectedLoss);
        }
        // without exhaustion, an end without a winner can only be "no meaningful difference"
        if (!exhausted && d.status === 'no_winner') expect(d.verdict).toBe('no_meaningful_difference');
        expect(d.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('value remaining is finite and ≥ 0 and names a valid champion', () => {
    fc.assert(
      fc.property(arms(10), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (a, seed) => {
        const v = valueRemaining(a, createRng(seed), 200);
        // a relative lift over the champion: unbounded above, never negative or infinite
        expect(Number.isFinite(v.value) && v.value >= 0).toBe(true);
        expect(Number.isInteger(v.champion) && v.champion >= 0 && v.champion < a.length).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('core refuses NaN, ±Infinity, zero and negative parameters with a clear error', () => {
  const withBad = fc.tuple(arms(5), fc.nat(), fc.boolean(), bad).map(([a, i, onAlpha, v]): BetaPosterior[] => {
    const out = a.map((x) => ({ ...x }));
    const k = i % out.length;
    if (onAlpha) out[k].alpha = v;
    else out[k].beta = v;
    return out;
  });

  it.each([
    ['probabilityOfBest', (a: BetaPosterior[]) => probabilityOfBest(a)],
    ['expectedLoss', (a: BetaPosterior[]) => expectedLoss(a)],
    ['allocationProbabilities', (a: BetaPosterior[]) => allocationProbabilities(a, { algorithm: 'thompson' })],
    ['summarizeArms', (a: BetaPosterior[]) => summarizeArms(a)],
    ['thompsonSample', (a: BetaPosterior[]) => thompsonSample(a, createRng(1))],
  ])('%s names the arm and the parameter', (_name, fn) => {
    fc.assert(
      fc.property(withBad, (a) => {
        expect(() => fn(a)).toThrow(RangeError);
        expect(() => fn(a)).toThrow(/arms\[\d+\]\.(alpha|beta) must be a finite number > 0, got/);
      }),
      { numRuns: RUNS },
    );
  });

  it('an empty arm list is refused', () => {
    expect(() => probabilityOfBest([])).toThrow(/arms must be a non-empty array/);
  });

  it.each([
    ['makeBetaSampler', (a: number, b: number) => makeBetaSampler(a, b)],
    ['sampleBeta', (a: number, b: number) => sampleBeta(createRng(1), a, b)],
    ['betaCredibleInterval', (a: number, b: number) => betaCredibleInterval(a, b)],
    ['betaMean', (a: number, b: number) => betaMean(a, b)],
  ])('%s refuses a bad α or β naming it', (_name, fn) => {
    fc.assert(
      fc.property(param, bad, fc.boolean(), (good, v, onAlpha) => {
        const call = () => (onAlpha ? fn(v, good) : fn(good, v));
        expect(call).toThrow(RangeError);
        expect(call).toThrow(onAlpha ? /alpha/ : /beta/);
      }),
      { numRuns: 20 },
    );
  });

  it('quantile probabilities outside [0, 1] or NaN are refused', () => {
    for (const p of [Number.NaN, -0.1, 1.1, Number.POSITIVE_INFINITY]) expect(() => betaQuantile(p, 2, 3)).toThrow(RangeError);
  });
});
