/** Request and response shapes of /select and /reward (snake_case, as clients send them). */
import { z } from 'zod';
import { EXPERIMENT_ID_PATTERN } from '../posterior-store/keys';

/** Longest unit id (the event store's column is varchar(256); code points, never more than UTF-16 units). */
export const MAX_UNIT_ID_LENGTH = 256;

/**
 * Why a unit id cannot be stored, or null when it can: 1 to 256 characters, no control
 * characters (NUL, line breaks, tabs, DEL, C1) and no unpaired UTF-16 surrogates — every
 * such id would be refused by the event store or break log lines.
 */
export function unitIdProblem(unit: string): string | null {
  if (unit.length === 0) return 'must not be empty';
  if (unit.length > MAX_UNIT_ID_LENGTH) return `must be at most ${MAX_UNIT_ID_LENGTH} characters, got ${unit.length}`;
  if (/\p{Cc}/u.test(unit)) return 'must not contain control characters (NUL, line breaks, tabs, DEL)';
  if (/\p{Cs}/u.test(unit)) return 'must not contain unpaired UTF-16 surrogates';
  return null;
}

export const unitIdSchema = z.string().superRefine((u, ctx) => {
  const problem = unitIdProblem(u);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const selectRequestSchema = z
  .object({
    // the experiment id pattern at the edge: a hostile id never reaches a key or a query
    experiment_id: z.string().regex(EXPERIMENT_ID_PATTERN, 'must match ^[a-z0-9][a-z0-9_-]{0,63}$').meta({ example: 'homepage-cta' }),
    unit_id: unitIdSchema.optional().meta({ description: 'the user / session served; with a sticky experiment it keeps its first arm' }),
  })
  .strict();
export type SelectRequest = z.infer<typeof selectRequestSchema>;

export const selectResponseSchema = z.object({
  decision_id: z.string().meta({ description: 'name this decision in /reward; unguessable, expires after the decision TTL' }),
  experiment_id: z.string(),
  arm: z.string(),
  arm_index: z.number().int(),
  propensity: z.number().meta({ description: 'probability the policy gave this arm at the moment of selection' }),
  holdout: z.boolean().optional().meta({ description: 'true for a holdout decision: served uniformly at random, its reward is kept out of the posterior' }),
  paused: z.boolean().optional().meta({ description: 'true while the experiment is paused: the control is served, no decision is recorded (decision_id is empty)' }),
});
export type SelectResponse = z.infer<typeof selectResponseSchema>;

export const rewardRequestSchema = z
  .object({
    decision_id: z.string().min(1).max(128),
    reward: z.number().min(0, 'reward must be in [0, 1]').max(1, 'reward must be in [0, 1]').meta({ description: 'α += reward, β += 1 − reward' }),
  })
  .strict();
export type RewardRequest = z.infer<typeof rewardRequestSchema>;

export const rewardResponseSchema = z.object({
  decision_id: z.string(),
  experiment_id: z.string(),
  arm: z.string(),
  arm_index: z.number().int(),
  reward: z.number().meta({ description: 'the reward counted (on a retry: the first one)' }),
  rewarded_at: z.string().meta({ format: 'date-time' }),
  duplicate: z.boolean().meta({ description: 'true when this decision had been rewarded before; nothing changed' }),
});
export type RewardResponse = z.infer<typeof rewardResponseSchema>;
