/**
 * Operating characteristics of the stopping rule with its defaults, measured by
 * simulating the rule as the service runs it (src/core/design): 200 seeded runs per
 * scenario, 50k visitors at most, the rule checked every 100 visitors (continuous
 * monitoring), Thompson allocation refreshed every 100 visitors, burn-in.
 *
 * Targets (docs/core.md, "Operating characteristics"): A/A false winners ≤ 5%; wrong
 * winners ≤ 1% at a 10% relative lift on a 5% baseline; median visitors to a correct
 * winner ≤ the fixed-horizon test's 62,468; no stall (a clear difference always ends in
 * a verdict). The rule as it was before (P(best) ≥ 0.95, 100 pulls, no burn-in, Beta(1,1))
 * is simulated on the same visitors to show the failure these defaults fix.
 */
import { DEFAULT_STOPPING, designPlan, fixedHorizonSampleSize, LEGACY_STOPPING } from '../../../src/core';
import { runDesign, type DesignJob } from '../../../src/design/runner';
import { tsWorkerBootstrap } from '../../support/ts-worker';

const RUNS = 200;
const SEED = 'operating-characteristics';
// the simulations run in two worker threads, outside jest's (slower) sandbox
const WORKERS: Pick<DesignJob, 'threads' | 'workerBootstrap'> = { threads: 2, workerBootstrap: tsWorkerBootstrap('src/design/worker.ts') };
// a few CPU-seconds per test alone; minutes on a shared, busy machine
const TIMEOUT = 600_000;

describe('stopping rule: operating characteristics with the defaults (200 runs per scenario)', () => {
  it('the rule as it was names a winner between identical arms far more often than 5%', async () => {
    const legacy = designPlan({ stopping: LEGACY_STOPPING, prior: { alpha: 1, beta: 1 }, policy: { algorithm: 'thompson', burnIn: 0 }, statedBaseline: false });
    const [r] = await runDesign({ plans: [legacy], seed: SEED, runs: RUNS, ...WORKERS });
    expect(r.aa.runs).toBe(RUNS);

    expect(r.aa.falseWinnerRate).toBeGreaterThan(0.3);
    expect(r.lift.falseWinnerRate).toBeGreaterThan(0.03);
    // and, without burn-in, 5% vs 8% stalls: Thompson sampling starves the worse arm below the minimum sample
    const clear = designPlan({ ...legacy, minLift: 0.6, maxVisitors: 20_000 });
    const [c] = await runDesign({ plans: [clear], seed: SEED, runs: RUNS, scenarios: ['lift'], ...WORKERS });
    expect(c.lift.stalled).toBeGreaterThan(0);
    expect(c.lift.verdicts.no_winner).toBe(c.lift.stalled);
  }, TIMEOUT);

  it('meets the targets: A/A ≤ 5%, wrong ≤ 1% at +10% on 5%, median to a correct winner ≤ the fixed-horizon n', async () => {
    const plan = designPlan({ baselineRate: 0.05, minLift: 0.1, arms: 2, stopping: DEFAULT_STOPPING, maxVisitors: 50_000 });
    const [r] = await runDesign({ plans: [plan], seed: SEED, runs: RUNS, ...WORKERS });
    expect(r.aa.runs).toBe(RUNS);
    expect(r.lift.runs).toBe(RUNS);
    expect(r.aa.falseWinnerRate).toBeLessThanOrEqual(0.05);
    expect(r.lift.falseWinnerRate).toBeLessThanOrEqual(0.01);
    expect(r.fixedHorizon.total).toBe(fixedHorizonSampleSize(0.05, 0.055).total);
    expect(r.fixedHorizon.total).toBe(62468);
    expect(r.lift.visitorsToCorrectWinner.median).not.toBeNull();
    expect(r.lift.visitorsToCorrectWinner.median!).toBeLessThanOrEqual(r.fixedHorizon.total);
    // a correct winner is reached in a fair share of runs even though 50k < the fixed-horizon n
    expect(r.lift.winnerRate).toBeGreaterThan(0.05);
    expect(r.meetsTargets).toBe(true);
    // no run ended with an arm short of the minimum sample (burn-in)
    expect(r.aa.stalled + r.lift.stalled).toBe(0);
  }, TIMEOUT);

  it('never stalls: every run gets every arm to the minimum sample; a clear difference (5% vs 8%) ends with the right winner', async () => {
    const plan = designPlan({ baselineRate: 0.05, minLift: 0.6, arms: 2, stopping: DEFAULT_STOPPING, maxVisitors: 50_000 });
    // the A/A scenario is the previous test's
    const [r] = await runDesign({ plans: [plan], seed: SEED, runs: RUNS, scenarios: ['lift'], ...WORKERS });
    expect(r.lift.runs).toBe(RUNS);
    expect(r.lift.stalled).toBe(0);
    expect(r.lift.falseWinnerRate).toBe(0);
    expect(r.lift.winnerRate).toBeGreaterThanOrEqual(0.98);
    expect(r.lift.visitors.median!).toBeLessThan(5_000);
  }, TIMEOUT);
});
