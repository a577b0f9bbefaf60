import { DEFAULT_STOPPING, evaluateStoppingRule, type ArmState } from './stopping-rule';
import { expectedLoss } from './expected-loss';
import { probabilityOfBest } from './probability-of-best';

const arm = (name: string, successes: number, pulls: number): ArmState => ({ name, alpha: 1 + successes, beta: 1 + pulls - successes, pulls });

describe('evaluateStoppingRule', () => {
  it('continues while an arm has fewer than the minimum samples, even with a clear leader', () => {
    const arms = [arm('a', 1, 50), arm('b', 40, 200)];
    const d = evaluateStoppingRule(arms, DEFAULT_STOPPING);
    expect(d.status).toBe('continue');
    expect(d.leaderName).toBe('b');
    expect(d.probBest[1]).toBeGreaterThan(0.99);
    expect(d.reasons[0]).toMatch(/minimum samples not met: a has 50 of 100/);
  });
  it('continues when P(best) passes but the expected loss is above the threshold', () => {
    // large gap in rate with moderate data: P(best) high, but loss threshold very tight
    const arms = [arm('control', 100, 1000), arm('variant', 140, 1000)];
    const config = { ...DEFAULT_STOPPING, expectedLoss: 1e-6 };
    const d = evaluateStoppingRule(arms, config);
    expect(d.probBest[1]).toBeGreaterThanOrEqual(0.95);
    expect(d.expectedLoss[1]).toBeGreaterThan(1e-6);
    expect(d.status).toBe('continue');
    expect(d.reasons.join('\n')).toMatch(/expected loss of leader variant is .* > 1\.00e-6/);
  });
  it('continues when the loss is small but P(best) is not high enough', () => {
    const arms = [arm('a', 500, 10000), arm('b', 505, 10000)];
    const d = evaluateStoppingRule(arms, DEFAULT_STOPPING);
    expect(d.expectedLoss[d.leader]).toBeLessThan(0.001);
    expect(d.probBest[d.leader]).toBeLessThan(0.95);
    expect(d.status).toBe('continue');
  });
  it('declares the winner when every check passes, carrying the numbers', () => {
    const arms = [arm('control', 100, 2000), arm('variant', 160, 2000), arm('other', 90, 2000)];
    const d = evaluateStoppingRule(arms, DEFAULT_STOPPING);
    expect(d.status).toBe('winner');
    expect(d.winner).toBe(1);
    expect(d.winnerName).toBe('variant');
    expect(d.probBest).toEqual(probabilityOfBest(arms));
    expect(d.expectedLoss).toEqual(expectedLoss(arms));
    expect(d.totalSamples).toBe(6000);
    expect(d.thresholds).toEqual(DEFAULT_STOPPING);
  });
  it('reports no winner with the leader once exhausted or at maxSamples', () => {
    const arms = [arm('a', 500, 10000), arm('b', 505, 10000)];
    const ex = evaluateStoppingRule(arms, DEFAULT_STOPPING, { exhausted: true });
    expect(ex.status).toBe('no_winner');
    expect(ex.winner).toBeUndefined();
    expect(ex.leaderName).toBe('b');
    expect(ex.reasons.at(-1)).toMatch(/maximum duration reached without a winner; best guess is b/);
    const capped = evaluateStoppingRule(arms, { ...DEFAULT_STOPPING, maxSamples: 20000 });
    expect(capped.status).toBe('no_winner');
    expect(capped.reasons.at(-1)).toMatch(/maximum of 20000 samples reached/);
  });
  it('validates the configuration and the pulls', () => {
    const arms = [arm('a', 1, 10), arm('b', 2, 10)];
    expect(() => evaluateStoppingRule(arms, { ...DEFAULT_STOPPING, probBest: 1.5 })).toThrow(/probBest must be a number in \(0, 1\]/);
    expect(() => evaluateStoppingRule(arms, { ...DEFAULT_STOPPING, minSamplesPerArm: -1 })).toThrow(/minSamplesPerArm must be an integer >= 0/);
    expect(() => evaluateStoppingRule([{ ...arms[0], pulls: 1.5 }, arms[1]], DEFAULT_STOPPING)).toThrow(/arms\[0\]\.pulls/);
  });
});
