/**
 * The design endpoint's request and response. Bounded so it cannot be used to burn CPU:
 * at most 200 runs per scenario, 100,000 visitors per run, 10 arms, no threshold search
 * (that is `bandit design --search`, on your own machine), one design at a time per
 * process, and only with the admin token.
 */
import { z } from 'zod';

export const DESIGN_LIMITS = Object.freeze({ runs: 200, maxVisitors: 100_000, arms: 10 });

export const designRequestSchema = z
  .object({
    baselineRate: z.number().gt(0).lt(1).optional().meta({ description: 'baseline (control) rate, default 0.05' }),
    minLift: z.number().min(0.001).max(100).optional().meta({ description: 'smallest relative lift that matters, default 0.1 (+10%), at least 0.001' }),
    arms: z.number().int().min(2).max(DESIGN_LIMITS.arms).optional().meta({ description: 'number of arms, default 2' }),
    runs: z.number().int().min(1).max(DESIGN_LIMITS.runs).optional().meta({ description: `simulated experiments per scenario, default 100, at most ${DESIGN_LIMITS.runs}` }),
    maxVisitors: z.number().int().min(100).max(DESIGN_LIMITS.maxVisitors).optional().meta({ description: `horizon of every run, default 50000, at most ${DESIGN_LIMITS.maxVisitors}` }),
    algorithm: z.enum(['thompson', 'top_two']).optional(),
    topTwoBeta: z.number().min(0).max(1).optional(),
    stopping: z
      .object({
        probBest: z.number().gt(0).max(1).optional(),
        expectedLoss: z.number().min(0).max(1).optional(),
        expectedLossRelative: z.number().min(0).max(1e6).optional(),
        minSamplesPerArm: z.number().int().min(0).max(1e6).optional(),
        rope: z.number().min(0).max(1e6).optional(),
        probEquivalent: z.number().gt(0).max(1).optional(),
      })
      .strict()
      .optional(),
    seed: z.string().min(1).max(200).optional().meta({ description: 'same seed, same results (default "design")' }),
  })
  .strict();
export type DesignRequest = z.infer<typeof designRequestSchema>;

const summary = z.object({
  scenario: z.enum(['aa', 'lift']),
  rates: z.array(z.number()),
  runs: z.number().int(),
  verdicts: z.object({ winner: z.number().int(), no_meaningful_difference: z.number().int(), no_winner: z.number().int() }),
  winnerRate: z.number(),
  falseWinnerRate: z.number(),
  visitors: z.object({ median: z.number().nullable(), p90: z.number().nullable() }),
  visitorsToCorrectWinner: z.object({ median: z.number().nullable(), p90: z.number().nullable() }),
  meanRegret: z.number(),
  stalled: z.number().int().meta({ description: 'runs that reached the horizon with an arm still short of the minimum sample (0 with burn-in)' }),
});

export const designResponseSchema = z
  .object({
    seed: z.string(),
    runs: z.number().int(),
    stopping: z.record(z.string(), z.unknown()),
    aa: summary.meta({ description: 'identical arms: winnerRate = falseWinnerRate = share of runs naming a (false) winner' }),
    lift: summary.meta({ description: 'last arm lifted: winnerRate = correct winners, falseWinnerRate = wrong winners' }),
    fixedHorizon: z.object({ perArm: z.number().int(), total: z.number().int(), alpha: z.number(), power: z.number() }),
    meetsTargets: z.boolean().meta({ description: 'false winners <= 5% and wrong winners <= 1%' }),
  })
  .meta({ description: 'operating characteristics of the stopping rule as configured, by simulation' });
