/**
 * Decision ids: `<experiment_id>.<arm>.<22 characters of base64url>` — 128 random bits from
 * the operating system's CSPRNG, so an id cannot be guessed; the experiment and arm ride
 * along so a reward is routed to its experiment's keys without a lookup. An id is only
 * valid while its key exists in the store (it was issued and has not expired), so a
 * well-formed but invented id is simply unknown.
 */
import { randomBytes } from 'node:crypto';
import { EXPERIMENT_ID_PATTERN } from './keys';

export const DECISION_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}\.[0-9]{1,3}\.[A-Za-z0-9_-]{22}$/;

export interface ParsedDecisionId {
  experimentId: string;
  arm: number;
  /** The key suffix: `<arm>.<random>`. */
  token: string;
}

/** Random bytes drawn from the CSPRNG in blocks (one system call per 256 ids, not per id). */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = POOL_BYTES;

function random16(): string {
  if (offset + 16 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const s = pool.toString('base64url', offset, offset + 16);
  offset += 16;
  return s;
}

/** A fresh decision's key suffix `<arm>.<random>`; its id is `<experiment_id>.<token>`. */
export function newDecisionToken(arm: number): string {
  return `${arm}.${random16()}`;
}

export function newDecisionId(experimentId: string, arm: number): { decisionId: string; token: string } {
  const token = newDecisionToken(arm);
  return { decisionId: `${experimentId}.${token}`, token };
}

/** null when the id is not of the issued shape. */
export function parseDecisionId(id: string): ParsedDecisionId | null {
  if (!DECISION_ID_PATTERN.test(id)) return null;
  const first = id.indexOf('.');
  const experimentId = id.slice(0, first);
  if (!EXPERIMENT_ID_PATTERN.test(experimentId)) return null;
  const token = id.slice(first + 1);
  const arm = Number(token.slice(0, token.indexOf('.')));
  return { experimentId, arm, token };
}
