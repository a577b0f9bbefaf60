/**
 * The one stopping evaluator. Everything outside the numeric core that asks "should this
 * experiment stop?" asks here: the service (automatically as rewards arrive, and on
 * POST /experiments/:id/conclude), the pipeline's `conclude`, `bandit rebuild` and the
 * dashboard (through GET /experiments/:id). It turns an experiment's definition and
 * posterior counters into the input of the rule in src/core/stopping-rule.ts, and the
 * rule's verdict into the checks the API and the dashboard show.
 *
 * The minimum sample counts observations: rewarded selects per arm, which is what the
 * posterior learned from (α + β − α₀ − β₀). Selects that were never rewarded taught the
 * posterior nothing and never count towards it.
 *
 * A new stopping criterion: the rule itself in src/core/stopping-rule.ts; its inputs
 * (`stoppingConfigOf`, `evaluateStopping`) and how it is shown (`checksOf`) here. The
 * small tests beside this file fail when the checks and the rule's verdict disagree.
 */
import { z } from 'zod';
import { evaluateStoppingRule, resolveStopping, type StoppingConfig, type StoppingVerdict, type Verdict } from '../../core';

/** What the evaluator needs of an experiment's definition. */
export interface StoppingDefinition {
  arms: readonly string[];
  prior: ReadonlyArray<{ alpha: number; beta: number }>;
  stopping: {
    probBest: number;
    expectedLoss: number;
    minSamplesPerArm: number;
    maxDurationHours: number | null;
    maxSamples?: number;
    expectedLossRelative?: number | null;
    rope?: number | null;
    probEquivalent?: number | null;
  };
  /** The stated baseline rate (relative thresholds and the equivalence region are fractions of it). */
  baselineRate?: number | null;
}

/** Posterior parameters per arm (the live counters, or counters rebuilt from events). */
export interface Posteriors {
  alpha: readonly number[];
  beta: readonly number[];
}

/** The rule's possible verdicts; a verdict the core adds fails to compile until it is listed here. */
export const VERDICT_STATUSES = ['winner', 'continue', 'no_winner'] as const;
export type VerdictStatus = (typeof VERDICT_STATUSES)[number];
/** What a verdict means (a `no_meaningful_difference` verdict has status `no_winner`: it ends the experiment without a winner). */
export const VERDICTS = ['winner', 'no_meaningful_difference', 'continue', 'no_winner'] as const;
const _everyCoreVerdictListed: Record<Verdict, true> = { winner: true, no_meaningful_difference: true, continue: true, no_winner: true };
void _everyCoreVerdictListed;
const _everyCoreStatusListed: Record<StoppingVerdict['status'], true> = { winner: true, continue: true, no_winner: true };
void _everyCoreStatusListed;

/**
 * Who asked. The service's evaluations are the experiment's verdicts; the pipeline's
 * evaluation of a live experiment is advice, stored for the record and never shown as the
 * experiment's verdict (the service alone ends an experiment).
 */
export const SERVICE_TRIGGERS = ['manual', 'auto', 'max_duration'] as const;
export type ServiceTrigger = (typeof SERVICE_TRIGGERS)[number];
export const ADVICE_TRIGGER = 'pipeline';

export function stoppingConfigOf(def: StoppingDefinition): StoppingConfig {
  const s = def.stopping;
  const c: StoppingConfig = { probBest: s.probBest, expectedLoss: s.expectedLoss, minSamplesPerArm: s.minSamplesPerArm };
  if (s.maxSamples != null) c.maxSamples = s.maxSamples;
  if (s.expectedLossRelative != null) c.expectedLossRelative = s.expectedLossRelative;
  if (s.rope != null) c.rope = s.rope;
  if (s.probEquivalent != null) c.probEquivalent = s.probEquivalent;
  if (def.baselineRate != null) c.baselineRate = def.baselineRate;
  return c;
}

/** Observations per arm: rewarded selects, α + β − α₀ − β₀ (rounded: rewards may be fractional, their count is not). */
export function observationsOf(prior: StoppingDefinition['prior'], p: Posteriors): number[] {
  return p.alpha.map((a, k) => Math.max(0, Math.round(a + p.beta[k] - prior[k].alpha - prior[k].beta)));
}

/** Seconds from creation to `at`, and whether the maximum duration had passed by then. */
export function durationAt(def: StoppingDefinition, createdAt: Date | null, at: Date): { ageSeconds: number | null; exhausted: boolean } {
  const ageSeconds = createdAt === null ? null : (at.getTime() - createdAt.getTime()) / 1000;
  const h = def.stopping.maxDurationHours;
  return { ageSeconds, exhausted: h !== null && ageSeconds !== null && ageSeconds >= h * 3600 };
}

/** One evaluation of the rule, with what it was made on and when. */
export interface StoppingEvaluation {
  at: Date;
  /** The rule's output. */
  verdict: StoppingVerdict;
  observations: number[];
  /** The maximum duration had passed at `at` (the rule then answers no_winner instead of continue). */
  exhausted: boolean;
  maxDurationHours: number | null;
  /** Seconds from the experiment's creation to `at`; null when it has no creation time (a replay). */
  ageSeconds: number | null;
}

/** Evaluates the stopping rule on these posteriors at `at`. */
export function evaluateStopping(def: StoppingDefinition, p: Posteriors, when: { at: Date; createdAt: Date | null }): StoppingEvaluation {
  const observations = observationsOf(def.prior, p);
  const { ageSeconds, exhausted } = durationAt(def, when.createdAt, when.at);
  const verdict = evaluateStoppingRule(
    def.arms.map((name, k) => ({ name, alpha: p.alpha[k], beta: p.beta[k], observations: observations[k] })),
    stoppingConfigOf(def),
    { exhausted },
  );
  return { at: when.at, verdict, observations, exhausted, maxDurationHours: def.stopping.maxDurationHours, ageSeconds };
}

// ---------- how an evaluation is shown ----------

export const stoppingCheckSchema = z.object({
  key: z.string().meta({ description: 'minSamples | probBest | expectedLoss | equivalence | maxDuration' }),
  label: z.string(),
  value: z.number().nullable(),
  op: z.enum(['≥', '≤', 'of']),
  threshold: z.number().nullable(),
  unit: z.enum(['count', 'probability', 'rate', 'seconds']),
  met: z.boolean().nullable(),
});
export type StoppingCheck = z.infer<typeof stoppingCheckSchema>;

export const evaluationViewSchema = z
  .object({
    at: z.string().meta({ format: 'date-time', description: 'when these numbers were evaluated' }),
    source: z.enum(['live', 'decision']).meta({ description: "live: evaluated now on the current posteriors; decision: the recorded verdict that ended the experiment (the value keeps its original wire name)" }),
    verdictId: z.number().int().nullable().meta({ description: 'id of the recorded verdict shown (source decision), else null' }),
    decisionId: z.number().int().nullable().meta({ deprecated: true, description: 'deprecated: the same as verdictId' }),
    status: z.enum(VERDICT_STATUSES),
    verdict: z.enum(VERDICTS).meta({ description: 'what the state means: winner | no_meaningful_difference (every arm within the equivalence region of the leader) | continue | no_winner (limit reached)' }),
    reason: z.string().meta({ description: 'the verdict in one plain sentence' }),
    leaderIndex: z.number().int(),
    leaderName: z.string(),
    winnerIndex: z.number().int().nullable(),
    probBest: z.array(z.number()),
    expectedLoss: z.array(z.number()),
    observations: z.array(z.number()).meta({ description: 'per arm: rewarded selects, what the minimum sample counts' }),
    checks: z.array(stoppingCheckSchema),
    reasons: z.array(z.string()),
  })
  .meta({ description: 'the stopping rule’s evaluation the dashboard shows (banner and stopping card alike)' });
export type EvaluationView = z.infer<typeof evaluationViewSchema>;

/** The numbers of an evaluation, live or as recorded. */
export interface EvaluationNumbers {
  status: VerdictStatus;
  verdict: Verdict;
  /** The verdict in one plain sentence. */
  reason: string;
  leader: number;
  winner: number | null;
  probBest: number[];
  expectedLoss: number[];
  observations: number[];
  thresholds: StoppingConfig & { maxDurationHours: number | null };
  /** The expected-loss threshold in force: min(expectedLoss, expectedLossRelative × baseline rate). */
  lossThreshold: number;
  /** The baseline rate the relative thresholds were taken of. */
  baselineRate: number;
  /** Per arm, P(within the equivalence region of the leader); empty when not evaluated. */
  probEquivalent: number[];
  ageSeconds: number | null;
  reasons: string[];
}

export function numbersOf(e: StoppingEvaluation): EvaluationNumbers {
  const d = e.verdict;
  return {
    status: d.status,
    verdict: d.verdict,
    reason: d.reason,
    leader: d.leader,
    winner: d.status === 'winner' ? (d.winner ?? null) : null,
    probBest: d.probBest,
    expectedLoss: d.expectedLoss,
    observations: e.observations,
    thresholds: { ...d.thresholds, maxDurationHours: e.maxDurationHours },
    lossThreshold: lossThresholdOf(d.thresholds, d.baselineRate),
    baselineRate: d.baselineRate,
    probEquivalent: d.probEquivalent,
    ageSeconds: e.ageSeconds,
    reasons: d.reasons,
  };
}

/** The expected-loss threshold in force for these thresholds and baseline rate. */
export function lossThresholdOf(t: StoppingConfig, baselineRate: number): number {
  const r = resolveStopping(t);
  return Math.min(r.expectedLoss, r.expectedLossRelative * baselineRate);
}

/** The rule's criteria against their thresholds, in the order the rule applies them. */
export function checksOf(n: EvaluationNumbers): StoppingCheck[] {
  const t = n.thresholds;
  const fewest = n.observations.length ? Math.min(...n.observations) : 0;
  const pb = n.probBest[n.leader] ?? null;
  const loss = n.expectedLoss[n.leader] ?? null;
  const checks: StoppingCheck[] = [
    { key: 'minSamples', label: 'Fewest observations of any arm (rewarded selects)', value: fewest, op: '≥', threshold: t.minSamplesPerArm, unit: 'count', met: fewest >= t.minSamplesPerArm },
    { key: 'probBest', label: 'Leader P(best)', value: pb, op: '≥', threshold: t.probBest, unit: 'probability', met: pb === null ? null : pb >= t.probBest },
    { key: 'expectedLoss', label: 'Leader expected loss', value: loss, op: '≤', threshold: n.lossThreshold, unit: 'rate', met: loss === null ? null : Math.max(0, loss) <= n.lossThreshold },
  ];
  if (n.probEquivalent.length > 1) {
    const others = n.probEquivalent.filter((_, k) => k !== n.leader);
    const worst = Math.min(...others);
    const needed = resolveStopping(t).probEquivalent;
    checks.push({ key: 'equivalence', label: 'No meaningful difference (ends without a winner): P(every arm within the equivalence region of the leader)', value: worst, op: '≥', threshold: needed, unit: 'probability', met: worst >= needed });
  }
  if (t.maxDurationHours !== null) {
    const limit = t.maxDurationHours * 3600;
    checks.push({ key: 'maxDuration', label: 'Time (no winner after the limit)', value: n.ageSeconds, op: 'of', threshold: limit, unit: 'seconds', met: n.ageSeconds === null ? null : n.ageSeconds >= limit });
  }
  return checks;
}

export function evaluationView(arms: readonly string[], n: EvaluationNumbers, at: Date, source: EvaluationView['source'], verdictId: number | null): EvaluationView {
  return {
    at: at.toISOString(),
    source,
    verdictId,
    decisionId: verdictId,
    status: n.status,
    verdict: n.verdict,
    reason: n.reason,
    leaderIndex: n.leader,
    leaderName: arms[n.leader] ?? `arm ${n.leader}`,
    winnerIndex: n.winner,
    probBest: n.probBest,
    expectedLoss: n.expectedLoss,
    observations: n.observations,
    checks: checksOf(n),
    reasons: n.reasons,
  };
}
