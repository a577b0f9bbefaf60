/**
 * GET /experiments/:id/history — what the dashboard draws over time: select and reward
 * counts per arm per time bucket, the posterior snapshots (last one per bucket and arm),
 * and cumulative reward and estimated regret.
 */
import { z } from 'zod';

/** Bucket widths the history picks from (seconds), smallest first. */
export const BUCKET_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800] as const;
/** How many buckets an automatically chosen width aims at, at most. */
export const TARGET_BUCKETS = 240;
/** The most buckets one request may ask for. */
export const MAX_BUCKETS = 5000;

const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z' });

export const historyQuerySchema = z
  .object({
    bucket: z.coerce.number().int('bucket must be a whole number of seconds').min(1, 'bucket must be >= 1 second').max(604800, 'bucket must be <= 604800 seconds (7 days)').optional(),
    from: isoTime.optional().meta({ description: 'start of the range; a time before the experiment’s creation is read as its creation' }),
    to: isoTime.optional(),
  })
  .strict();
export type HistoryQuery = z.infer<typeof historyQuerySchema>;

const perArm = z.array(z.number().nullable());

export const historySchema = z.object({
  experimentId: z.string(),
  arms: z.array(z.string()),
  from: z.string().meta({ format: 'date-time' }),
  to: z.string().meta({ format: 'date-time' }),
  bucketSeconds: z.number().int(),
  buckets: z
    .array(z.object({ t: z.string().meta({ format: 'date-time', description: 'start of the bucket' }), selects: z.array(z.number()), rewards: z.array(z.number()) }))
    .meta({ description: 'per time bucket with events: select events and reward sums per arm (arm order)' }),
  snapshots: z
    .array(z.object({ t: z.string().meta({ format: 'date-time' }), probBest: perArm, mean: perArm, ciLow: perArm, ciHigh: perArm }))
    .meta({ description: 'the last posterior snapshot of each arm in each bucket (null: none in that bucket)' }),
  cumulative: z
    .array(z.object({
        t: z.string().meta({ format: 'date-time', description: 'end of the bucket' }),
        assignments: z.number().meta({ description: 'select events so far (the bandit’s traffic)' }),
        pulls: z.number().meta({ deprecated: true, description: 'deprecated: the same as assignments' }),
        reward: z.number(),
        regret: z.number(),
      }))
    .meta({ description: 'running totals at the end of each bucket with events' }),
  regretBasis: z.literal('posterior-mean').meta({ description: 'regret of each assignment = best current posterior mean − the served arm’s current posterior mean' }),
});
export type ExperimentHistory = z.infer<typeof historySchema>;
