/**
 * The one stopping evaluator: the minimum sample counts observations (rewarded selects),
 * never selects; the checks it shows agree with the core rule's verdict on any input (a
 * criterion added to src/core/stopping-rule.ts without its check here fails this); an
 * evaluation read back from its stored rows is the evaluation that was stored.
 */
import fc from 'fast-check';
import { evaluateStopping, checksOf, numbersOf, observationsOf, type StoppingDefinition } from './stopping-evaluator';
import { countersFromEvents, verdictRowOf, recordedNumbers, snapshotRowsOf } from './stopping-records';

const def = (arms: string[], stopping: Partial<StoppingDefinition['stopping']> = {}, prior = arms.map(() => ({ alpha: 1, beta: 1 }))): StoppingDefinition => ({
  arms,
  prior,
  stopping: { probBest: 0.95, expectedLoss: 0.001, minSamplesPerArm: 100, maxDurationHours: null, ...stopping },
});

describe('the issue’s case: about 300 selects but 60 observations per arm', () => {
  const d = def(['a', 'b', 'c']);
  // from the event log: c converts every time, a and b never
  const { counters, selects, rewards } = countersFromEvents(d.prior, [
    { armIndex: 0, selects: 301, rewardEvents: 60, rewardSum: 0 },
    { armIndex: 1, selects: 297, rewardEvents: 60, rewardSum: 0 },
    { armIndex: 2, selects: 302, rewardEvents: 60, rewardSum: 60 },
    { armIndex: 7, selects: 5, rewardEvents: 5, rewardSum: 5 }, // an arm the definition does not have
  ]);

  it('counters: α, β from the rewards, assignments = selects, totals of unknown arms ignored', () => {
    expect(counters).toEqual({ alpha: [1, 1, 61], beta: [61, 61, 1], assignments: [301, 297, 302], rewards: [0, 0, 60] });
    expect([selects, rewards]).toEqual([900, 180]);
    expect(observationsOf(d.prior, counters)).toEqual([60, 60, 60]);
  });

  it('continue: the minimum sample of 100 observations is not met, whatever the selects', () => {
    const ev = evaluateStopping(d, counters, { at: new Date(1_000), createdAt: new Date(0) });
    expect(ev.verdict.status).toBe('continue');
    expect(ev.verdict.reasons[0]).toBe('minimum samples not met: a has 60, b has 60, c has 60 of 100 observations required per arm');
    expect(ev.verdict.totalSamples).toBe(180);
    const checks = checksOf(numbersOf(ev));
    expect(checks.map((c) => [c.key, c.value, c.threshold, c.met])).toEqual([
      ['minSamples', 60, 100, false],
      ['probBest', ev.verdict.probBest[2], 0.95, true],
      // the loss threshold in force: min(absolute 0.001, 1% of the baseline rate)
      ['expectedLoss', ev.verdict.expectedLoss[2], Math.min(0.001, 0.01 * ev.verdict.baselineRate), true],
    ]);
  });
});

describe('observations', () => {
  it('are α + β − α₀ − β₀ per arm, with fractional rewards and any prior', () => {
    const prior = [
      { alpha: 2, beta: 3 },
      { alpha: 0.5, beta: 0.5 },
    ];
    expect(observationsOf(prior, { alpha: [2 + 1.25, 0.5 + 7], beta: [3 + 3.75, 0.5 + 3] })).toEqual([5, 10]);
  });
});

describe('checks agree with the core rule’s verdict', () => {
  const arb = fc.record({
    k: fc.integer({ min: 2, max: 4 }),
    obs: fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 4, maxLength: 4 }),
    rate: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
    probBest: fc.double({ min: 0.5, max: 0.99, noNaN: true }),
    expectedLoss: fc.double({ min: 1e-4, max: 0.05, noNaN: true }),
    minSamplesPerArm: fc.integer({ min: 0, max: 200 }),
    maxDurationHours: fc.option(fc.integer({ min: 1, max: 48 })),
    ageHours: fc.double({ min: 0, max: 60, noNaN: true }),
  });

  it('winner exactly when the three criteria are met; no winner exactly when time ran out first', () => {
    fc.assert(
      fc.property(arb, (x) => {
        const arms = ['a', 'b', 'c', 'd'].slice(0, x.k);
        const d = def(arms, { probBest: x.probBest, expectedLoss: x.expectedLoss, minSamplesPerArm: x.minSamplesPerArm, maxDurationHours: x.maxDurationHours });
        const wins = arms.map((_, i) => Math.round(x.obs[i] * x.rate[i]));
        const p = { alpha: arms.map((_, i) => 1 + wins[i]), beta: arms.map((_, i) => 1 + x.obs[i] - wins[i]) };
        const ev = evaluateStopping(d, p, { at: new Date(x.ageHours * 3600_000), createdAt: new Date(0) });
        const checks = checksOf(numbersOf(ev));
        const met = (key: string) => checks.find((c) => c.key === key)?.met;
        const equivalent = met('minSamples') === true && met('equivalence') === true;
        const all = !equivalent && met('minSamples') === true && met('probBest') === true && met('expectedLoss') === true;
        expect(ev.verdict.verdict === 'no_meaningful_difference').toBe(equivalent);
        expect(ev.verdict.status === 'winner').toBe(all);
        expect(ev.verdict.status === 'no_winner').toBe(equivalent || (!all && met('maxDuration') === true));
        expect(checks.some((c) => c.key === 'maxDuration')).toBe(x.maxDurationHours !== null);
        expect(checks.find((c) => c.key === 'probBest')?.value).toBe(ev.verdict.probBest[ev.verdict.leader]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('an evaluation read back from its rows', () => {
  it('is the evaluation that was stored', () => {
    const d = def(['x', 'y'], { minSamplesPerArm: 10, probBest: 0.9, expectedLoss: 0.05, maxDurationHours: 24 }, [
      { alpha: 1, beta: 1 },
      { alpha: 2, beta: 5 },
    ]);
    const counters = { alpha: [1 + 3, 2 + 30], beta: [1 + 37, 5 + 10], assignments: [55, 52], rewards: [3, 30] };
    const createdAt = new Date('2026-01-01T00:00:00Z');
    const ev = evaluateStopping(d, counters, { at: new Date('2026-01-01T06:00:00Z'), createdAt });
    expect(ev.verdict.status).toBe('winner');
    const row = { ...verdictRowOf('exp', ev, 'auto'), id: 7 };
    const snaps = snapshotRowsOf('exp', d, counters, 'verdict', ev.at, ev).map((s) => ({ ...s, verdictId: 7 }));
    expect(snaps.map((s) => s.assignments)).toEqual([55, 52]);
    expect(snaps.map((s) => s.observations)).toEqual([40, 40]);
    expect(recordedNumbers(d, row, snaps, createdAt)).toEqual(numbersOf(ev));
    expect(numbersOf(ev).ageSeconds).toBe(6 * 3600);
  });
});
