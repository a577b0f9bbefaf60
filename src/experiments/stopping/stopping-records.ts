/**
 * The stopping rule's data at its edges, one function each, shared by the service, the
 * pipeline's `conclude` and `bandit rebuild`: posterior counters from the event log, the
 * `decisions` row and `posterior_snapshots` rows of an evaluation, and an evaluation read
 * back from those rows.
 */
import { summarizeArms, type Verdict } from '../../core';
import type { DecisionRow, PosteriorSnapshotRow } from '../../event-store/entities';
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
 * pulls = select events, rewards = Σ reward. Totals of an arm index the definition does
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
    counters.pulls[t.armIndex] = t.selects;
    counters.rewards[t.armIndex] = t.rewardSum;
    selects += t.selects;
    rewards += t.rewardEvents;
  }
  return { counters, selects, rewards };
}

/** The `decisions` row of an evaluation. */
export function decisionRowOf(experimentId: string, e: StoppingEvaluation, trigger: string): DecisionRow {
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
    totalSamples: e.decision.totalSamples,
    createdAt: e.at,
  };
}

/** One `posterior_snapshots` row per arm (P(best) and expected loss from the evaluation when given). */
export function snapshotRowsOf(experimentId: string, arms: readonly string[], c: ArmCounters, reason: string, at: Date, e?: StoppingEvaluation): PosteriorSnapshotRow[] {
  const summary = summarizeArms(c.alpha.map((alpha, k) => ({ alpha, beta: c.beta[k] })));
  return summary.map((s, k) => ({
    experimentId,
    armIndex: k,
    armName: arms[k],
    alpha: c.alpha[k],
    beta: c.beta[k],
    pulls: c.pulls[k],
    rewards: c.rewards[k],
    mean: s.mean,
    ciLow: s.ci95[0],
    ciHigh: s.ci95[1],
    probBest: e?.decision.probBest[k] ?? s.probBest,
    expectedLoss: e?.decision.expectedLoss[k] ?? s.expectedLoss,
    reason,
    decisionRecordId: null,
    createdAt: at,
  }));
}

/**
 * An evaluation as recorded: the decision row, the snapshots stored with it (their α, β
 * give the observations) and the experiment's creation time. Thresholds missing from an
 * older row come from the definition.
 */
export function recordedNumbers(def: StoppingDefinition, row: DecisionRow, snapshots: readonly PosteriorSnapshotRow[], createdAt: Date): EvaluationNumbers {
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
