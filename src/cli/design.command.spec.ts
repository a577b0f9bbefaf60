import { designPlan, simulateRuns, summarizeRuns, designReport } from '../core';
import { runDesign } from '../design/runner';
import { designPlot, formatDesign, planFromOptions } from './design.command';

const base = { baseline: '0.05', lift: '0.1', arms: '2', runs: '200', maxVisitors: '50000', batch: '100', checkEvery: '100', algorithm: 'thompson', topTwoBeta: '0.5', seed: 'x', targetFalse: '0.05', targetWrong: '0.01' };

describe('bandit design', () => {
  it('builds the plan from the options, with the rule defaults and burn-in', () => {
    const p = planFromOptions({ ...base, probBest: '0.99', minSamples: '500', rope: '0.05' });
    expect(p.stopping).toMatchObject({ probBest: 0.99, minSamplesPerArm: 500, rope: 0.05, expectedLossRelative: 0.01 });
    expect(p.policy).toEqual({ algorithm: 'thompson', topTwoBeta: undefined, burnIn: 500 });
    expect(p.prior).toEqual({ alpha: 5, beta: 95 });
  });
  it('names the bad option in one line', () => {
    expect(() => planFromOptions({ ...base, baseline: '1.5' })).toThrow(/^--baseline must be a rate in \(0, 1\), got "1.5"$/);
    expect(() => planFromOptions({ ...base, lift: '0' })).toThrow(/^--lift must be/);
    // a lift so small that both rates are the same number: refused, not a crash
    expect(() => planFromOptions({ ...base, lift: '5e-324' })).toThrow(/^--lift must be/);
    expect(() => planFromOptions({ ...base, arms: '1' })).toThrow(/^--arms must be an integer in \[2, 100\]/);
    expect(() => planFromOptions({ ...base, algorithm: 'ucb' })).toThrow(/^--algorithm must be thompson or top_two/);
    expect(() => planFromOptions({ ...base, probBest: '2' })).toThrow(/^--prob-best must be a number in \(0, 1\]/);
  });
  it('gives the same results however the runs are sliced, and formats them', async () => {
    const plan = designPlan({ baselineRate: 0.05, minLift: 0.6, maxVisitors: 4000, stopping: { probBest: 0.99, expectedLoss: 0.01, minSamplesPerArm: 200 } });
    const [a] = await runDesign({ plans: [plan], seed: 's', runs: 12, slice: 5 });
    const direct = designReport(plan, summarizeRuns(plan, 'aa', simulateRuns(plan, 'aa', 's', 0, 12)), summarizeRuns(plan, 'lift', simulateRuns(plan, 'lift', 's', 0, 12)));
    expect(a).toEqual(direct);
    expect(a.lift.runs).toBe(12);
    const text = formatDesign(plan, a);
    expect(text).toMatch(/fixed-horizon test \(two-sided 0\.05, power 0\.8\): 1059 per arm, 2118 in total/);
    expect(text).toMatch(/^lift 0\.05 -> 0\.08 +12 /m);
    const svg = designPlot(plan, a);
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('correct winner, +60% lift');
    expect(svg).toContain('fixed-horizon n');
  });
});
