/**
 * The stopping rule's data at its edges, one function each, shared by the service, the
 * pipeline's `conclude` and `bandit rebuild`: posterior counters from the event log, the
 * `verdicts` row and `posterior_snapshots` rows of an evaluation, and an evaluation read
 * back from those rows.
 */
import { summarizeArms, type Verdict } from '../../core';
import type { VerdictRow, PosteriorSnapshotRow } from '../../event-store/entities';
import type { ArmEventTotals } from '../../event-store/event.repository';
import { priorCounters, type ArmCounters } from '../../posterior-store/posterior-store';
import { numbersOf, observationsOf, VERDICT_STATUSES, VERDICTS, type EvaluationNumbers, type StoppingDefinition, type StoppingEvaluation, type VerdictStatus } from './stopping-evaluator';

export interface CountersFromEvents {
  counters: ArmCounters;
  /** Select events, all arms. */
  selects: number;
  /** Reward events (observations), all arms. */
  rewards: number;
}

/**
 * Counters from an experiment's event totals: α = α₀ + Σ reward, β = β₀ + Σ (1 − reward),
 * assignments = select events, rewards = Σ reward. Totals of an arm index the definition does
 * not have are ignored.
 */
export function countersFromEvents(prior: StoppingDefinition['prior'], totals: readonly ArmEventTotals[]): CountersFromEvents {
  const counters = priorCounters(prior);
  let selects = 0;
  let rewards = 0;
  for (const t of totals) {
    if (!(t.armIndex >= 0 && t.armIndex < prior.length)) continue;
    counters.alpha[t.armIndex] += t.rewardSum;
    counters.beta[t.armIndex] += t.rewardEvents - t.rewardSum;
    counters.assignments[t.armIndex] = t.selects;
    counters.rewards[t.armIndex] = t.rewardSum;
    selects += t.selects;
    rewards += t.rewardEvents;
  }
  return { counters, selects, rewards };
}

/** The `verdicts` row of an evaluation. */
export function verdictRowOf(experimentId: string, e: StoppingEvaluation, trigger: string): VerdictRow {
  const n = numbersOf(e);
  return {
    experimentId,
    status: n.status,
    trigger,
    winnerIndex: n.winner,
    leaderIndex: n.leader,
    probBest: JSON.stringify(n.probBest),
    expectedLoss: JSON.stringify(n.expectedLoss),
    reasons: JSON.stringify(n.reasons),
    // the verdict and its sentence are kept beside the thresholds they were reached under
    thresholds: JSON.stringify({ ...n.thresholds, outcome: { verdict: n.verdict, reason: n.reason, lossThreshold: n.lossThreshold, baselineRate: n.baselineRate, probEquivalent: n.probEquivalent } }),
    totalSamples: e.verdict.totalSamples,
    createdAt: e.at,
  };
}

/** Why a snapshot was written: on a schedule, with a recorded verdict, or after a rebuild from the event log. */
export type SnapshotReason = 'periodic' | 'verdict' | 'rebuild';

/** One `posterior_snapshots` row per arm (P(best) and expected loss from the evaluation when given). */
export function snapshotRowsOf(experimentId: string, def: Pick<StoppingDefinition, 'arms' | 'prior'>, c: ArmCounters, reason: SnapshotReason, at: Date, e?: StoppingEvaluation): PosteriorSnapshotRow[] {
  const summary = summarizeArms(c.alpha.map((alpha, k) => ({ alpha, beta: c.beta[k] })));
  const observations = observationsOf(def.prior, c);
  const arms = def.arms;
  return summary.map((s, k) => ({
    experimentId,
    armIndex: k,
    armName: arms[k],
    alpha: c.alpha[k],
    beta: c.beta[k],
    assignments: c.assignments[k],
    observations: observations[k],
    rewards: c.rewards[k],
    mean: s.mean,
    ciLow: s.ci95[0],
    ciHigh: s.ci95[1],
    probBest: e?.verdict.probBest[k] ?? s.probBest,
    expectedLoss: e?.verdict.expectedLoss[k] ?? s.expectedLoss,
    reason,
    verdictId: null,
    createdAt: at,
  }));
}

/**
 * An evaluation as recorded: the verdict row, the snapshots stored with it (their α, β
 * give the observations) and the experiment's creation time. Thresholds missing from an
 * older row come from the definition.
 */
export function recordedNumbers(def: StoppingDefinition, row: VerdictRow, snapshots: readonly PosteriorSnapshotRow[], createdAt: Date): EvaluationNumbers {
  const { outcome: o = {}, ...t } = JSON.parse(row.thresholds) as Partial<EvaluationNumbers['thresholds']> & {
    outcome?: { verdict?: string; reason?: string; lossThreshold?: number; baselineRate?: number; probEquivalent?: number[] };
  };
  const at = def.arms.map((_, k) => snapshots.find((x) => Number(x.armIndex) === k));
  const observations = observationsOf(def.prior, {
    alpha: at.map((s, k) => (s ? Number(s.alpha) : def.prior[k].alpha)),
    beta: at.map((s, k) => (s ? Number(s.beta) : def.prior[k].beta)),
  });
  const status = (VERDICT_STATUSES as readonly string[]).includes(row.status) ? (row.status as VerdictStatus) : 'continue';
  // rows written before verdicts were recorded read as their status
  const verdict = (VERDICTS as readonly string[]).includes(o.verdict ?? '') ? (o.verdict as Verdict) : status;
  return {
    status,
    verdict,
    reason: o.reason ?? (JSON.parse(row.reasons) as string[]).join('; '),
    leader: Number(row.leaderIndex),
    winner: row.winnerIndex === null ? null : Number(row.winnerIndex),
    probBest: JSON.parse(row.probBest) as number[],
    expectedLoss: JSON.parse(row.expectedLoss) as number[],
    observations,
    thresholds: {
      probBest: t.probBest ?? def.stopping.probBest,
      expectedLoss: t.expectedLoss ?? def.stopping.expectedLoss,
      minSamplesPerArm: t.minSamplesPerArm ?? def.stopping.minSamplesPerArm,
      maxDurationHours: t.maxDurationHours === undefined ? def.stopping.maxDurationHours : t.maxDurationHours,
      ...(t.expectedLossRelative == null ? {} : { expectedLossRelative: t.expectedLossRelative }),
      ...(t.rope == null ? {} : { rope: t.rope }),
      ...(t.probEquivalent == null ? {} : { probEquivalent: t.probEquivalent }),
      ...(t.baselineRate == null ? {} : { baselineRate: t.baselineRate }),
    },
    lossThreshold: o.lossThreshold ?? t.expectedLoss ?? def.stopping.expectedLoss,
    baselineRate: o.baselineRate ?? 0,
    probEquivalent: o.probEquivalent ?? [],
    ageSeconds: (new Date(row.createdAt).getTime() - createdAt.getTime()) / 1000,
    reasons: JSON.parse(row.reasons) as string[],
  };
}
