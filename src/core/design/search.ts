/**
 * Design report and threshold search over simulated operating characteristics.
 *
 * `designReport` puts a plan's A/A and lift summaries beside the fixed-horizon test's
 * sample size and checks them against targets. `searchCandidates` lists the stopping
 * configurations of a grid (P(best) threshold × minimum sample per arm);
 * `chooseCandidate` picks, among those meeting the targets, the one that names the
 * lifted arm most often within the horizon (ties: fewer median visitors to it).
 *
 * @example
 *   const best = chooseCandidate(reports, { falseWinners: 0.05, wrongWinners: 0.01 });
 */
import type { StoppingConfig } from '../stopping-rule';
import { fixedHorizonSampleSize, type FixedHorizon } from './fixed-horizon';
import type { DesignPlan, ScenarioSummary } from './simulate';

export interface DesignTargets {
  /** Largest acceptable share of A/A runs naming a winner. */
  falseWinners: number;
  /** Largest acceptable share of lift runs naming an arm other than the lifted one. */
  wrongWinners: number;
}

export const DEFAULT_TARGETS: DesignTargets = Object.freeze({ falseWinners: 0.05, wrongWinners: 0.01 });

export interface DesignReport {
  stopping: StoppingConfig;
  aa: ScenarioSummary;
  lift: ScenarioSummary;
  fixedHorizon: FixedHorizon;
  meetsTargets: boolean;
  /** Median visitors to a correct winner ≤ the fixed-horizon test's total (null: no correct winner). */
  fasterThanFixedHorizon: boolean | null;
}

/** A plan's results beside the fixed-horizon sample size and the targets. */
export function designReport(plan: DesignPlan, aa: ScenarioSummary, lift: ScenarioSummary, targets: DesignTargets = DEFAULT_TARGETS): DesignReport {
  const fixedHorizon = fixedHorizonSampleSize(plan.baselineRate, plan.baselineRate * (1 + plan.minLift), { arms: plan.arms });
  const med = lift.visitorsToCorrectWinner.median;
  return {
    stopping: plan.stopping,
    aa,
    lift,
    fixedHorizon,
    meetsTargets: aa.falseWinnerRate <= targets.falseWinners && lift.falseWinnerRate <= targets.wrongWinners,
    fasterThanFixedHorizon: med === null ? null : med <= fixedHorizon.total,
  };
}

export interface SearchGrid {
  probBest: readonly number[];
  minSamplesPerArm: readonly number[];
}

export const DEFAULT_GRID: SearchGrid = Object.freeze({ probBest: [0.95, 0.99, 0.995, 0.997, 0.998, 0.999], minSamplesPerArm: [250, 500, 1000, 2000] });

/** The stopping configurations of a grid, each `base` with one (probBest, minSamplesPerArm). */
export function searchCandidates(base: StoppingConfig, grid: SearchGrid = DEFAULT_GRID): StoppingConfig[] {
  const out: StoppingConfig[] = [];
  for (const p of grid.probBest) for (const m of grid.minSamplesPerArm) out.push({ ...base, probBest: p, minSamplesPerArm: m });
  return out;
}

/** Index of the best report meeting the targets (see the file comment), or −1. */
export function chooseCandidate(reports: readonly DesignReport[], targets: DesignTargets = DEFAULT_TARGETS): number {
  let best = -1;
  reports.forEach((r, i) => {
    if (!(r.aa.falseWinnerRate <= targets.falseWinners && r.lift.falseWinnerRate <= targets.wrongWinners)) return;
    if (best < 0) {
      best = i;
      return;
    }
    const b = reports[best];
    const medR = r.lift.visitorsToCorrectWinner.median ?? Infinity;
    const medB = b.lift.visitorsToCorrectWinner.median ?? Infinity;
    if (r.lift.winnerRate > b.lift.winnerRate || (r.lift.winnerRate === b.lift.winnerRate && medR < medB)) best = i;
  });
  return best;
}
