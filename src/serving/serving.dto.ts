/** Request and response shapes of /select and /reward (snake_case, as clients send them). */
import { z } from 'zod';
import { EXPERIMENT_ID_PATTERN } from '../state/keys';

export const selectRequestSchema = z
  .object({
    // the experiment id pattern at the edge: a hostile id never reaches a key or a query
    experiment_id: z.string().regex(EXPERIMENT_ID_PATTERN, 'must match ^[a-z0-9][a-z0-9_-]{0,63}$').meta({ example: 'homepage-cta' }),
    unit_id: z.string().min(1).max(256).optional().meta({ description: 'the user / session served; with a sticky experiment it keeps its first arm' }),
  })
  .strict();
export type SelectRequest = z.infer<typeof selectRequestSchema>;

export const selectResponseSchema = z.object({
  decision_id: z.string().meta({ description: 'name this decision in /reward; unguessable, expires after the decision TTL' }),
  experiment_id: z.string(),
  arm: z.string(),
  arm_index: z.number().int(),
  propensity: z.number().meta({ description: 'probability the policy gave this arm at the moment of selection' }),
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
