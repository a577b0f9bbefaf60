/**
 * Request and response shapes of the experiments API, as zod schemas: the same schema
 * validates a request at the edge and describes it in the OpenAPI document.
 */
import { z } from 'zod';
import { BETA_PARAM_MAX, betaParamProblem, MAX_ARMS } from '../core/limits';
import { baselinePrior } from '../core/stopping-rule';
import { EXPERIMENT_ID_PATTERN } from '../posterior-store/keys';
import { evaluationViewSchema, SERVICE_TRIGGERS, VERDICT_STATUSES } from './stopping/stopping-evaluator';

export { MAX_ARMS };

/** α or β of a prior: the core's validated range (src/core/limits.ts); 1e400 in JSON parses to Infinity and is named as such. */
const betaParamError = (issue: { input?: unknown }) => betaParamProblem(issue.input) ?? 'invalid value';
const positive = z.number({ error: betaParamError }).positive({ error: betaParamError }).max(BETA_PARAM_MAX, { error: betaParamError });
const share = z.number().min(0).max(1);
export const betaPriorSchema = z.object({ alpha: positive, beta: positive }).strict().meta({ description: 'Beta(alpha, beta) prior' });
const perArmShares = z.union([z.array(share).min(2).max(MAX_ARMS), z.record(z.string(), share)]);

/**
 * Arm names are shown on the dashboard, in metrics labels and Seldon replies (never in a
 * key: keys use the arm index): no control or invisible format characters (zero-width,
 * bidirectional overrides), no surrounding whitespace, and in Unicode NFC so two names
 * that look the same are the same.
 */
export const armNameSchema = z
  .string()
  .min(1)
  .max(128)
  .refine((s) => !/[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u.test(s), 'arm names must not contain control, format or unassigned characters')
  .refine((s) => s.trim() === s, 'arm names must not start or end with whitespace')
  .refine((s) => s.normalize('NFC') === s, 'arm names must be in Unicode NFC');

export const createExperimentSchema = z
  .object({
    id: z.string().regex(EXPERIMENT_ID_PATTERN, 'must match ^[a-z0-9][a-z0-9_-]{0,63}$').meta({ example: 'homepage-cta' }),
    arms: z
      .array(armNameSchema)
      .min(2, 'needs at least 2 arms')
      .max(MAX_ARMS, `at most ${MAX_ARMS} arms`)
      .refine((a) => new Set(a).size === a.length, 'arm names must be unique')
      .meta({ example: ['control', 'treatment_a'] }),
    prior: z.union([betaPriorSchema, z.array(betaPriorSchema)]).optional().meta({ description: 'one prior for every arm, or one per arm; default Beta(1, 1), or a weak prior centred on baselineRate when it is given' }),
    algorithm: z.enum(['thompson', 'top_two']).optional().meta({ description: 'default thompson' }),
    topTwoBeta: z.number().min(0).max(1).optional().meta({ description: 'top-two Thompson: probability of serving the leader candidate (default 0.5)' }),
    stopping: z
      .object({
        probBest: z.number().gt(0).max(1).optional(),
        expectedLoss: z.number().min(0).max(1).optional(),
        minSamplesPerArm: z.number().int().min(0).max(1e9).optional(),
        maxDurationHours: z.number().positive().max(1e6).optional(),
        expectedLossRelative: z.number().min(0).max(1e6).optional().meta({ description: 'maximum expected loss of a winner as a fraction of the baseline rate (default 0.01)' }),
        rope: z.number().min(0).max(1e6).optional().meta({ description: 'region of practical equivalence, ± this fraction of the baseline rate (default 0.02; 0 turns "no meaningful difference" off)' }),
        probEquivalent: z.number().gt(0).max(1).optional().meta({ description: 'posterior probability needed for "no meaningful difference" (default 0.95)' }),
      })
      .strict()
      .optional(),
    baselineRate: z.number().gt(0).lt(1).optional().meta({ description: 'the expected rate of the control: centres a weak prior on it (when no prior is given) and is the baseline of the relative thresholds' }),
    floors: perArmShares.optional().meta({ description: 'minimum share of traffic per arm: an array in arm order or an object by arm name' }),
    caps: perArmShares.optional().meta({ description: 'maximum share of traffic per arm: an array in arm order or an object by arm name' }),
    sticky: z.boolean().optional().meta({ description: 'a unit keeps the first arm it was given' }),
    exploration: z.number().min(0).lt(1).optional().meta({ description: 'after a winner is declared, the share of traffic still allocated by the policy (default 0)' }),
    name: z.string().min(1).max(200).optional().meta({ description: 'a human-readable name' }),
    description: z.string().max(5000).optional(),
    conversion_window_seconds: z
      .number()
      .int()
      .min(1)
      .max(90 * 24 * 3600)
      .optional()
      .meta({ description: 'an assignment not rewarded within this many seconds counts default_reward once; a later reward is refused (409 window_closed)' }),
    holdout: z.number().min(0).max(0.5).optional().meta({ description: 'share of traffic served uniformly at random and kept out of the posterior, to measure the lift of the bandit (default 0)' }),
    default_reward: z.number().min(0).max(1).optional().meta({ description: 'the reward an assignment counts when its conversion window closes unrewarded (default 0)' }),
  })
  .strict();
export type CreateExperimentRequest = z.infer<typeof createExperimentSchema>;

export const experimentIdParamSchema = z.string().regex(EXPERIMENT_ID_PATTERN, 'experiment id must match ^[a-z0-9][a-z0-9_-]{0,63}$');

/** What is stored: the request with every default filled in, arrays per arm. */
export interface ExperimentDefinition {
  arms: string[];
  prior: Array<{ alpha: number; beta: number }>;
  algorithm: 'thompson' | 'top_two';
  topTwoBeta: number;
  stopping: {
    probBest: number;
    expectedLoss: number;
    minSamplesPerArm: number;
    maxDurationHours: number | null;
    expectedLossRelative?: number;
    rope?: number;
    probEquivalent?: number;
  };
  floors: number[] | null;
  caps: number[] | null;
  sticky: boolean;
  exploration: number;
  /** Stated baseline rate (null or absent: the control's posterior mean is the baseline). */
  baselineRate?: number | null;
  name: string | null;
  description: string | null;
  /** Indexes of retired arms: never served again, their history kept. */
  retired: number[];
  /** Conversion window (seconds); null: rewards are explicit, assignments expire after the decision TTL. */
  conversionWindowSeconds: number | null;
  /** Reward counted when a window closes unrewarded. */
  defaultReward: number;
  /** An admin acknowledged a failed sample-ratio-mismatch check: automatic winners are allowed again. */
  srmAcknowledged: boolean;
  /** Share of traffic served uniformly at random and kept out of the posterior. */
  holdout: number;
}

const stoppingOut = z.object({
  probBest: z.number(),
  expectedLoss: z.number(),
  minSamplesPerArm: z.number().int(),
  maxDurationHours: z.number().nullable(),
  expectedLossRelative: z.number().optional(),
  rope: z.number().optional(),
  probEquivalent: z.number().optional(),
});

export const definitionSchema = z.object({
  arms: z.array(z.string()),
  prior: z.array(z.object({ alpha: z.number(), beta: z.number() })),
  algorithm: z.enum(['thompson', 'top_two']),
  topTwoBeta: z.number(),
  stopping: stoppingOut,
  floors: z.array(z.number()).nullable(),
  caps: z.array(z.number()).nullable(),
  sticky: z.boolean(),
  exploration: z.number(),
  baselineRate: z.number().nullable().optional(),
  name: z.string().nullable(),
  description: z.string().nullable(),
  retired: z.array(z.number().int()).meta({ description: 'indexes of retired arms (served no more, history kept)' }),
  conversionWindowSeconds: z.number().int().nullable(),
  defaultReward: z.number(),
  srmAcknowledged: z.boolean(),
  holdout: z.number(),
});

export const verdictRecordSchema = z
  .object({
    id: z.number().int(),
    status: z.enum(VERDICT_STATUSES),
    trigger: z.enum(SERVICE_TRIGGERS),
    winnerIndex: z.number().int().nullable(),
    winnerName: z.string().nullable(),
    leaderIndex: z.number().int(),
    leaderName: z.string(),
    probBest: z.array(z.number()),
    expectedLoss: z.array(z.number()),
    reasons: z.array(z.string()),
    thresholds: z.record(z.string(), z.unknown()),
    totalSamples: z.number(),
    createdAt: z.string().meta({ format: 'date-time' }),
  })
  .meta({ description: 'a verdict: an evaluation of the stopping rule, recorded with the numbers that justified it' });
export type VerdictRecord = z.infer<typeof verdictRecordSchema>;

/** A field kept under its earlier wire name: the same value as its replacement, marked deprecated in the API description. */
const deprecatedAlias = <T extends z.ZodType>(schema: T, replacement: string) => schema.meta({ deprecated: true, description: `deprecated: the same as ${replacement}` });

const holdoutSideSchema = z.object({
  assignments: z.number().int(),
  decisions: deprecatedAlias(z.number().int(), 'assignments'),
  rewarded: z.number().int(),
  mean: z.number().nullable(),
});

export const armViewSchema = z.object({
  index: z.number().int(),
  name: z.string(),
  alpha: z.number(),
  beta: z.number(),
  assignments: z.number().meta({ description: 'times this arm was served (select answers, holdout excluded)' }),
  observations: z.number().meta({ description: 'rewards counted for this arm (α + β − α₀ − β₀): what the stopping rule’s minimum sample counts' }),
  pulls: deprecatedAlias(z.number(), 'assignments'),
  rewards: z.number().meta({ description: 'sum of the rewards counted for this arm' }),
  mean: z.number(),
  ci95: z.array(z.number()).min(2).max(2).meta({ description: '95% equal-tailed credible interval of the click rate' }),
  probBest: z.number(),
  expectedLoss: z.number(),
  allocation: z.number().meta({ description: 'probability that the next select serves this arm' }),
  pending: z.number().int().meta({ description: 'assignments whose conversion window is still open (not counted yet; 0 without a window)' }),
});

export const experimentViewSchema = z.object({
  id: z.string(),
  status: z.enum(['running', 'paused', 'concluded', 'stopped']),
  createdAt: z.string().meta({ format: 'date-time' }),
  updatedAt: z.string().meta({ format: 'date-time' }),
  definition: definitionSchema,
  arms: z.array(armViewSchema),
  winner: z
    .object({ index: z.number().int(), name: z.string(), verdict: verdictRecordSchema.nullable(), decision: deprecatedAlias(verdictRecordSchema.nullable(), 'verdict') })
    .nullable()
    .meta({ description: 'the declared winner and the verdict that declared it' }),
  lastVerdict: verdictRecordSchema.nullable().meta({ description: "the service’s latest recorded verdict (the pipeline’s advice is not one)" }),
  lastDecision: deprecatedAlias(verdictRecordSchema.nullable(), 'lastVerdict'),
  evaluation: evaluationViewSchema,
  health: z
    .object({
      srm: z
        .object({
          p_value: z.number().nullable(),
          ok: z.boolean(),
          statistic: z.number().nullable(),
          df: z.number().int(),
          observed: z.array(z.number()),
          expected: z.array(z.number()),
          acknowledged: z.boolean(),
        })
        .meta({ description: 'sample-ratio mismatch: chi-square of the stored assignments per arm against the sums of their logged propensities; a failure (p < 0.001) holds back an automatic winner until acknowledged' }),
      open_share: z.number().meta({ description: 'share of served assignments whose conversion window is still open' }),
      conversion_delay: z
        .object({ median_seconds: z.number(), p90_seconds: z.number(), conversions: z.number().int() })
        .nullable()
        .meta({ description: 'seconds from select to a positive reward (latest 2000 conversions)' }),
    })
    .meta({ description: 'health checks of the experiment' }),
  holdout: z
    .object({
      share: z.number(),
      bandit: holdoutSideSchema,
      holdout: holdoutSideSchema,
      lift: z.number().nullable().meta({ description: 'mean reward per rewarded assignment: bandit minus holdout (an equal split)' }),
      ci95: z.array(z.number()).min(2).max(2).nullable().meta({ description: '95% normal-approximation interval of the lift' }),
    })
    .nullable()
    .meta({ description: 'the holdout and the lift of the bandit over it (null without a holdout)' }),
});
export type ExperimentView = z.infer<typeof experimentViewSchema>;
export type ArmView = z.infer<typeof armViewSchema>;

export const experimentListSchema = z.object({
  experiments: z.array(experimentViewSchema),
  total: z.number().int().meta({ description: 'experiments matching the filter (archived ones are never listed)' }),
  limit: z.number().int(),
  offset: z.number().int(),
});

export const EXPERIMENT_STATUSES = ['running', 'paused', 'concluded', 'stopped'] as const;

export const listQuerySchema = z
  .object({
    status: z.enum(EXPERIMENT_STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
    offset: z.coerce.number().int().min(0).optional(),
  })
  .strict();
export type ListQuery = z.infer<typeof listQuerySchema>;

/** Who made a change and why (kept in the experiment's change log). */
const actorFields = {
  by: z.string().min(1).max(200).optional().meta({ description: 'who makes the change (kept in the change log)' }),
  reason: z.string().max(2000).optional().meta({ description: 'why (kept in the change log)' }),
};
export const actorSchema = z.object(actorFields).strict();
export type ActorRequest = z.infer<typeof actorSchema>;

export const patchExperimentSchema = z
  .object({
    name: z.string().min(1).max(200).optional(),
    description: z.string().max(5000).optional(),
    stopping: createExperimentSchema.shape.stopping,
    floors: perArmShares.optional().meta({ description: 'replaces the floors: an array in arm order (after add_arms) or an object by arm name' }),
    caps: perArmShares.optional().meta({ description: 'replaces the caps: an array in arm order (after add_arms) or an object by arm name' }),
    add_arms: z.array(armNameSchema).min(1).max(MAX_ARMS).optional().meta({ description: 'new arms: they start from the prior and join the allocation at once' }),
    prior: betaPriorSchema.optional().meta({ description: 'prior of the added arms (default Beta(1, 1))' }),
    ...actorFields,
  })
  .strict();
export type PatchExperimentRequest = z.infer<typeof patchExperimentSchema>;

export const shipSchema = z.object({ arm: armNameSchema, ...actorFields }).strict();
export type ShipRequest = z.infer<typeof shipSchema>;

export const concludeResponseSchema = z.object({ verdict: verdictRecordSchema, decision: deprecatedAlias(verdictRecordSchema, 'verdict'), experiment: experimentViewSchema });
export type ConcludeResponse = z.infer<typeof concludeResponseSchema>;

/** Fills in defaults and resolves per-arm objects; throws a message for the client on inconsistent input. */
export function normalizeDefinition(
  req: CreateExperimentRequest,
  defaults: { probBest: number; expectedLoss: number; minSamplesPerArm: number; expectedLossRelative?: number; rope?: number; probEquivalent?: number },
): ExperimentDefinition | string {
  const k = req.arms.length;
  let prior: Array<{ alpha: number; beta: number }>;
  if (req.prior === undefined && req.baselineRate !== undefined) prior = req.arms.map(() => baselinePrior(req.baselineRate!));
  else if (req.prior === undefined) prior = req.arms.map(() => ({ alpha: 1, beta: 1 }));
  else if (Array.isArray(req.prior)) {
    if (req.prior.length !== k) return `prior: expected ${k} priors (one per arm), got ${req.prior.length}`;
    prior = req.prior.map((p) => ({ ...p }));
  } else {
    const p = req.prior;
    prior = req.arms.map(() => ({ ...p }));
  }
  const perArm = (name: 'floors' | 'caps'): number[] | null | string => {
    const v = req[name];
    return v === undefined ? null : perArmValues(name, v, req.arms);
  };
  const floors = perArm('floors');
  if (typeof floors === 'string') return floors;
  const caps = perArm('caps');
  if (typeof caps === 'string') return caps;
  const problem = sharesProblem(floors, caps);
  if (problem) return problem;
  if (req.holdout && req.sticky) return 'holdout: not available with sticky units (a unit keeps its arm, so it cannot be held out at random)';
  if (req.default_reward !== undefined && req.conversion_window_seconds === undefined) return 'default_reward: only meaningful with conversion_window_seconds';
  if (req.algorithm !== 'top_two' && req.topTwoBeta !== undefined) return 'topTwoBeta: only meaningful with algorithm "top_two"';
  const shares = [...(floors ?? []), ...(caps ?? [])];
  if (shares.some((x) => typeof x !== 'number' || !(x >= 0 && x <= 1))) return 'floors / caps: every share must be a number in [0, 1]';
  return {
    arms: [...req.arms],
    prior,
    algorithm: req.algorithm ?? 'thompson',
    topTwoBeta: req.topTwoBeta ?? 0.5,
    stopping: {
      probBest: req.stopping?.probBest ?? defaults.probBest,
      expectedLoss: req.stopping?.expectedLoss ?? defaults.expectedLoss,
      minSamplesPerArm: req.stopping?.minSamplesPerArm ?? defaults.minSamplesPerArm,
      maxDurationHours: req.stopping?.maxDurationHours ?? null,
      ...defined('expectedLossRelative', req.stopping?.expectedLossRelative ?? defaults.expectedLossRelative),
      ...defined('rope', req.stopping?.rope ?? defaults.rope),
      ...defined('probEquivalent', req.stopping?.probEquivalent ?? defaults.probEquivalent),
    },
    floors,
    caps,
    sticky: req.sticky ?? false,
    exploration: req.exploration ?? 0,
    ...defined('baselineRate', req.baselineRate),
    name: req.name ?? null,
    description: req.description ?? null,
    retired: [],
    conversionWindowSeconds: req.conversion_window_seconds ?? null,
    defaultReward: req.default_reward ?? 0,
    srmAcknowledged: false,
    holdout: req.holdout ?? 0,
  };
}

/** A stored definition with the fields added after it was written filled in. */
export function upgradeDefinition(d: Partial<ExperimentDefinition> & Pick<ExperimentDefinition, 'arms'>): ExperimentDefinition {
  return {
    ...(d as ExperimentDefinition),
    name: d.name ?? null,
    description: d.description ?? null,
    retired: d.retired ?? [],
    conversionWindowSeconds: d.conversionWindowSeconds ?? null,
    defaultReward: d.defaultReward ?? 0,
    srmAcknowledged: d.srmAcknowledged ?? false,
    holdout: d.holdout ?? 0,
  };
}

/** Floors or caps by arm name or in arm order, resolved against `arms`; a message on inconsistent input. */
export function perArmValues(name: 'floors' | 'caps', v: number[] | Record<string, number>, arms: readonly string[]): number[] | string {
  if (Array.isArray(v)) return v.length === arms.length ? [...v] : `${name}: expected ${arms.length} values (one per arm), got ${v.length}`;
  const unknown = Object.keys(v).filter((n) => !arms.includes(n));
  if (unknown.length > 0) return `${name}: unknown arm ${JSON.stringify(unknown[0])}`;
  // own keys only: an arm named "constructor" or "toString" must not pick up an inherited property
  return arms.map((n) => (Object.hasOwn(v, n) ? v[n] : name === 'floors' ? 0 : 1));
}

/** Floors and caps together: a message when no allocation can satisfy them. */
export function sharesProblem(floors: readonly number[] | null, caps: readonly number[] | null): string | null {
  if (floors && floors.reduce((a, b) => a + b, 0) > 1 + 1e-12) return 'floors: the floors add up to more than 1';
  if (caps && caps.reduce((a, b) => a + b, 0) < 1 - 1e-12) return 'caps: the caps add up to less than 1, no allocation can satisfy them';
  if (floors && caps && floors.some((f, i) => f > caps[i])) return 'floors / caps: a floor is above its cap';
  return null;
}

interface ZodIssueLike {
  path: ReadonlyArray<PropertyKey>;
  message: string;
  code?: string;
  errors?: ReadonlyArray<ReadonlyArray<ZodIssueLike>>;
}

/**
 * A union that failed (e.g. `prior`: one object or an array) reports only "Invalid input";
 * show instead the issues of the branch that got furthest (the deepest path), so that a
 * bad α inside a prior is named.
 */
function unionBranchIssues(issue: ZodIssueLike): ZodIssueLike[] {
  if (issue.code !== 'invalid_union' || !issue.errors?.length) return [issue];
  const depth = (branch: ReadonlyArray<ZodIssueLike>) => Math.max(...branch.map((i) => i.path.length));
  const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0];
  if (!best.length || depth(best) === 0) return [issue];
  return best.flatMap((i) => unionBranchIssues({ ...i, path: [...issue.path, ...i.path] }));
}

/** `{ [key]: value }` when the value is defined, else `{}` (optional fields stay absent). */
function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** One line naming the first problems of a failed validation (path: message; …). */
export function formatZodError(error: { issues: ReadonlyArray<ZodIssueLike> }): string {
  return error.issues
    .flatMap(unionBranchIssues)
    .slice(0, 5)
    .map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}
