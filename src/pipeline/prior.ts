import * as fs from 'node:fs/promises';
import { invalidInput } from '../common/errors';

export interface BetaPrior {
  /** Where it came from: `uniform` or the file path. */
  source: string;
  alpha: number[];
  beta: number[];
}

/** Beta(1, 1) for every item. */
export function uniformPrior(items: number): BetaPrior {
  return { source: 'uniform', alpha: new Array<number>(items).fill(1), beta: new Array<number>(items).fill(1) };
}

/**
 * A per-campaign prior file like `zozotown_prior_bts.json`:
 * `{ "<campaign>": { "alpha": [...], "beta": [...] }, ... }` (index = item id).
 */
export async function loadPrior(file: string, campaign: string, items: number): Promise<BetaPrior> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    throw invalidInput(`prior file ${file}: ${(err as Error).message}`);
  }
  const entry = (parsed as Record<string, { alpha?: unknown; beta?: unknown }>)[campaign];
  if (!entry) throw invalidInput(`prior file ${file} has no entry for campaign ${campaign}`);
  const ok = (v: unknown): v is number[] => Array.isArray(v) && v.length === items && v.every((x) => typeof x === 'number' && x > 0 && Number.isFinite(x));
  if (!ok(entry.alpha) || !ok(entry.beta)) throw invalidInput(`prior file ${file}: ${campaign}.alpha and .beta must be ${items} positive numbers (one per item)`);
  return { source: file, alpha: entry.alpha, beta: entry.beta };
}
