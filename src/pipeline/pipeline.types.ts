import * as path from 'node:path';
import { invalidInput } from '../common/errors';
import type { Config } from '../config/config';
import type { ObjectStore } from '../object-store';
import type { Tracker, TrackingRun } from '../tracker';
import type { VerdictStore } from './verdict-store';
import type { AssetContext, AssetOutcome } from './asset-graph';
import type { Behavior } from './layout';

export interface PipelineOptions {
  /** OBD folder for ingest_obp, or `s3://<bucket>/<prefix>` in the object store's bucket (default: config.obdPath). */
  obdPath?: string;
  /** Seed of every random choice (replay sampler, policy simulation, bootstrap). Default 0. */
  seed?: number;
  /** Bootstrap replicates B of the OPE intervals. Default 1000. */
  bootstrap?: number;
  /** Simulations of the Thompson samplers' action distributions (obp's n_sim). Default 100 000. */
  nSim?: number;
  /** Beta prior file (zozotown_prior_bts.json shape) for the replayed sampler; uniform when unset. */
  priorPath?: string;
  /** Prior of the production BTS policy evaluated by `ope` (default: the zozotown prior beside the OBD data). */
  btsPriorPath?: string;
  /** Restrict to these campaigns (default: every ingested one). */
  campaigns?: string[];
  /** ingest_obp: restrict to these behavior (logging) policies, one slice (default: every present one). */
  behaviors?: Behavior[];
  /** λ of IPW / DR clipping and Switch-DR (default ∞). */
  lambda?: number;
  /** Folds of the cross-fitted reward model (default 5). */
  folds?: number;
  /** Significance level of the intervals (default 0.05). */
  alpha?: number;
  /** conclude: live experiment ids to decide (default: every running experiment of the event store). */
  experiments?: string[];
}

/** What the asset functions work on. */
export interface PipelineDeps {
  config: Config;
  store: ObjectStore;
  tracker: Tracker;
  /** Opens the event store's verdict port (default: the configured Postgres / SQLite). */
  verdicts?: () => Promise<VerdictStore>;
}

export type AssetFunction = (deps: PipelineDeps, ctx: AssetContext, options: PipelineOptions, run: TrackingRun) => Promise<AssetOutcome>;

/** The default OBD folder (or `s3://<bucket>/<prefix>` in the object store): options → config → none. */
export function resolveObdPath(config: Config, options: PipelineOptions): string {
  const p = options.obdPath ?? config.obdPath;
  if (!p) throw invalidInput('no OBD folder: pass --obd-path or set BANDIT_OBD_PATH');
  return p.startsWith('s3://') ? p : path.resolve(p);
}

