import { baselinePrior, DEFAULT_STOPPING, evaluateStoppingRule, LEGACY_STOPPING, type ArmState } from './stopping-rule';
import { expectedLoss } from './expected-loss';
import { probabilityOfBest } from './probability-of-best';

const arm = (name: string, successes: number, observations: number): ArmState => ({ name, alpha: 1 + successes, beta: 1 + observations - successes, observations });

describe('evaluateStoppingRule', () => {
  it('continues while an arm has fewer than the minimum samples, even with a clear leader', () => {
    const arms = [arm('a', 1, 50), arm('b', 40, 200)];
    const d = evaluateStoppingRule(arms, LEGACY_STOPPING);
    expect(d.status).toBe('continue');
    expect(d.leaderName).toBe('b');
    expect(d.probBest[1]).toBeGreaterThan(0.99);
    expect(d.reasons[0]).toMatch(/minimum samples not met: a has 50 of 100/);
  });
  it('continues when P(best) passes but the expected loss is above the threshold', () => {
    // large gap in rate with moderate data: P(best) high, but loss threshold very tight
    const arms = [arm('control', 100, 1000), arm('variant', 140, 1000)];
    const config = { ...LEGACY_STOPPING, expectedLoss: 1e-6 };
    const d = evaluateStoppingRule(arms, config);
    expect(d.probBest[1]).toBeGreaterThanOrEqual(0.95);
    expect(d.expectedLoss[1]).toBeGreaterThan(1e-6);
    expect(d.status).toBe('continue');
    expect(d.reasons.join('\n')).toMatch(/expected loss of leader variant is .* > 1\.00e-6/);
  });
  it('continues when the loss is small but P(best) is not high enough', () => {
    const arms = [arm('a', 500, 10000), arm('b', 505, 10000)];
    const d = evaluateStoppingRule(arms, LEGACY_STOPPING);
    expect(d.expectedLoss[d.leader]).toBeLessThan(0.001);
    expect(d.probBest[d.leader]).toBeLessThan(0.95);
    expect(d.status).toBe('continue');
  });
  it('declares the winner when every check passes, carrying the numbers', () => {
    const arms = [arm('control', 100, 2000), arm('variant', 160, 2000), arm('other', 90, 2000)];
    const d = evaluateStoppingRule(arms, LEGACY_STOPPING);
    expect(d.status).toBe('winner');
    expect(d.winner).toBe(1);
    expect(d.winnerName).toBe('variant');
    expect(d.probBest).toEqual(probabilityOfBest(arms));
    expect(d.expectedLoss).toEqual(expectedLoss(arms));
    expect(d.totalSamples).toBe(6000);
    expect(d.thresholds).toEqual(LEGACY_STOPPING);
  });
  it('reports no winner with the leader once exhausted or at maxSamples', () => {
    const arms = [arm('a', 500, 10000), arm('b', 505, 10000)];
    const ex = evaluateStoppingRule(arms, LEGACY_STOPPING, { exhausted: true });
    expect(ex.status).toBe('no_winner');
    expect(ex.winner).toBeUndefined();
    expect(ex.leaderName).toBe('b');
    expect(ex.reasons.at(-1)).toMatch(/maximum duration reached without a winner; best guess is b/);
    const capped = evaluateStoppingRule(arms, { ...LEGACY_STOPPING, maxSamples: 20000 });
    expect(capped.status).toBe('no_winner');
    expect(capped.reasons.at(-1)).toMatch(/maximum of 20000 samples reached/);
  });
  it('validates the configuration and the observations', () => {
    const arms = [arm('a', 1, 10), arm('b', 2, 10)];
    expect(() => evaluateStoppingRule(arms, { ...LEGACY_STOPPING, probBest: 1.5 })).toThrow(/probBest must be a number in \(0, 1\]/);
    expect(() => evaluateStoppingRule(arms, { ...LEGACY_STOPPING, minSamplesPerArm: -1 })).toThrow(/minSamplesPerArm must be an integer >= 0/);
    expect(() => evaluateStoppingRule([{ ...arms[0], observations: 1.5 }, arms[1]], LEGACY_STOPPING)).toThrow(/arms\[0\]\.observations/);
  });
});

describe('stopping rule verdicts (ROPE, relative loss, plain words)', () => {
  const obs = (name: string, successes: number, n: number): ArmState => ({ name, alpha: 1 + successes, beta: 1 + n - successes, observations: n });
  it('keeps going during burn-in and says why in words', () => {
    const d = evaluateStoppingRule([obs('a', 10, 200), obs('b', 30, 1000)], DEFAULT_STOPPING);
    expect(d.verdict).toBe('continue');
    expect(d.status).toBe('continue');
    expect(d.reason).toBe('Keep going: every arm needs 1000 observations before a verdict, and a has 200.');
  });
  it('names a winner with its probability and cost', () => {
    const d = evaluateStoppingRule([obs('control', 1000, 20000), obs('variant', 1300, 20000)], DEFAULT_STOPPING);
    expect(d.verdict).toBe('winner');
    expect(d.status).toBe('winner');
    expect(d.winnerName).toBe('variant');
    expect(d.reason).toMatch(/^variant is the winner: it is the best arm with probability over 99\.99%, and the rate expected to be lost by choosing it is under 0\.01% of the 5\.0% baseline\.$/);
  });
  it('concludes "no meaningful difference" when every arm is within ±2% of the leader with probability ≥ 0.95', () => {
    // 5% rates, 500k observations per arm: sd of the difference ≈ 4.4e-4 < δ/1.96 = 5.1e-4
    const arms = [obs('a', 25000, 500_000), obs('b', 25050, 500_000)];
    const d = evaluateStoppingRule(arms, DEFAULT_STOPPING);
    expect(d.verdict).toBe('no_meaningful_difference');
    expect(d.status).toBe('no_winner');
    expect(d.winner).toBeUndefined();
    expect(d.probEquivalent[d.leader]).toBe(1);
    expect(d.probEquivalent[1 - d.leader]).toBeGreaterThanOrEqual(0.95);
    expect(d.reason).toMatch(/^No meaningful difference: with probability 9\d\.\d% or more every arm's rate is within ±2% of the 5\.0% baseline rate of b's, so none is worth preferring\.$/);
    // with the region turned off, the same state keeps going
    expect(evaluateStoppingRule(arms, { ...DEFAULT_STOPPING, rope: 0 }).verdict).toBe('continue');
  });
  it('is not "no meaningful difference" when the arms plausibly differ by more than the region', () => {
    const d = evaluateStoppingRule([obs('a', 500, 10000), obs('b', 505, 10000)], DEFAULT_STOPPING);
    expect(d.verdict).toBe('continue');
    expect(d.probEquivalent[1 - d.leader]).toBeLessThan(0.5);
    expect(d.reason).toMatch(/^Keep going: b leads but is the best arm with probability/);
  });
  it('takes the expected-loss threshold relative to the baseline rate', () => {
    // P(best) clears 0.95; loss ≈ 3.9e-5 absolute: below 0.001 but above 0.01 × 0.003 = 3e-5
    const arms = [obs('a', 10, 2000), obs('b', 20, 2000)];
    const rel = evaluateStoppingRule(arms, { ...DEFAULT_STOPPING, probBest: 0.9, baselineRate: 0.003 });
    expect(rel.probBest[1]).toBeGreaterThan(0.9);
    expect(rel.expectedLoss[1]).toBeLessThan(0.001);
    expect(rel.expectedLoss[1]).toBeGreaterThan(3e-5);
    expect(rel.verdict).toBe('continue');
    expect(rel.reason).toMatch(/expected to be lost by choosing it, 3\.91e-5, is above the 3\.00e-5 allowed\.$/);
    expect(evaluateStoppingRule(arms, { ...DEFAULT_STOPPING, probBest: 0.9, baselineRate: 0.003, expectedLossRelative: 1 }).verdict).toBe('winner');
  });
  it('ends with no winner at the maximum, in words', () => {
    const d = evaluateStoppingRule([obs('a', 500, 10000), obs('b', 505, 10000)], { ...DEFAULT_STOPPING, maxSamples: 20000 });
    expect(d.verdict).toBe('no_winner');
    expect(d.reason).toMatch(/^No winner: the maximum of 20000 samples was reached before the evidence was clear; b leads/);
  });
  it('validates the new fields', () => {
    const arms = [obs('a', 1, 10), obs('b', 2, 10)];
    expect(() => evaluateStoppingRule(arms, { ...DEFAULT_STOPPING, rope: -1 })).toThrow(/rope must be/);
    expect(() => evaluateStoppingRule(arms, { ...DEFAULT_STOPPING, probEquivalent: 0 })).toThrow(/probEquivalent must be a number in \(0, 1\]/);
    expect(() => evaluateStoppingRule(arms, { ...DEFAULT_STOPPING, baselineRate: 1 })).toThrow(/baselineRate must be a number in \(0, 1\)/);
  });
  it('baselinePrior centres a weak prior on the stated rate with both parameters >= 1', () => {
    expect(baselinePrior(0.05)).toEqual({ alpha: 5, beta: 95 });
    const tiny = baselinePrior(0.001);
    expect(tiny.alpha).toBeCloseTo(1, 12);
    expect(tiny.alpha / (tiny.alpha + tiny.beta)).toBeCloseTo(0.001, 12);
    expect(() => baselinePrior(0)).toThrow(/baselineRate/);
  });
});

describe('no winner before the minimum sample', () => {
  it('says the maximum duration was reached, in the reason and the technical lines', () => {
    const arms: ArmState[] = [
      { name: 'a', alpha: 3, beta: 9, observations: 10 },
      { name: 'b', alpha: 5, beta: 7, observations: 10 },
    ];
    const d = evaluateStoppingRule(arms, DEFAULT_STOPPING, { exhausted: true });
    expect(d.verdict).toBe('no_winner');
    expect(d.reason).toBe('No winner: the maximum duration was reached before every arm had 1000 observations (a has 10); b leads.');
    expect(d.reasons.at(-1)).toBe('maximum duration reached without a winner; best guess is b');
  });
});

describe('a single arm', () => {
  it('is never "no meaningful difference" (nothing to compare) and is its own winner', () => {
    const d = evaluateStoppingRule([{ name: 'only', alpha: 1, beta: 1, observations: 0 }], { probBest: 0.51, expectedLoss: 1e-6, minSamplesPerArm: 0 });
    expect(d.verdict).toBe('winner');
    expect(d.probEquivalent).toEqual([]);
  });
});
