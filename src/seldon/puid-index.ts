/**
 * Seldon prediction ids (`puid`) → the decision the router served for them, so feedback
 * that names a prediction by its puid (the executor's `Seldon-Puid` header,
 * `response.meta.puid`) finds its decision, and a retried `/route` with the same puid gets
 * the same decision instead of a second one.
 *
 * Two implementations behind one interface, chosen once from config like the posterior
 * store: Dragonfly / Redis (shared by every router replica; the key sits under the
 * experiment's hash tag, `experiment:{<id>}:seldon:puid:<puid>`, and expires with the
 * decision) and an in-process map (the embedded default).
 */
import { createHash } from 'node:crypto';
import type { Cluster } from 'ioredis';
import type Redis from 'ioredis';
import type { ClockRepository } from '../clock/clock.repository';
import { experimentTag } from '../posterior-store/keys';

/** What a route returned for one puid (the select response, in short). */
export interface PuidDecision {
  decisionId: string;
  arm: string;
  armIndex: number;
  propensity: number;
}

export interface PuidIndex {
  readonly kind: 'dragonfly' | 'memory';
  lookup(experimentId: string, puid: string): Promise<PuidDecision | null>;
  /** Binds the puid to `decision` unless it is bound already; returns the decision the puid is bound to. */
  bind(experimentId: string, puid: string, decision: PuidDecision, ttlSeconds: number): Promise<PuidDecision>;
  close(): Promise<void>;
}

export const PUID_INDEX = Symbol('PuidIndex');

/** A puid as a key part: kept when short and printable, else its SHA-256. */
export function puidKeyPart(puid: string): string {
  return /^[A-Za-z0-9_.:-]{1,128}$/.test(puid) ? puid : `sha256-${createHash('sha256').update(puid).digest('base64url')}`;
}

export function puidKey(experimentId: string, puid: string): string {
  return `${experimentTag(experimentId)}:seldon:puid:${puidKeyPart(puid)}`;
}

function encode(d: PuidDecision): string {
  return JSON.stringify([d.decisionId, d.arm, d.armIndex, d.propensity]);
}

function decode(raw: string): PuidDecision | null {
  try {
    const [decisionId, arm, armIndex, propensity] = JSON.parse(raw) as [string, string, number, number];
    if (typeof decisionId !== 'string' || typeof arm !== 'string' || !Number.isInteger(armIndex) || typeof propensity !== 'number') return null;
    return { decisionId, arm, armIndex, propensity };
  } catch {
    return null;
  }
}

export class RedisPuidIndex implements PuidIndex {
  readonly kind = 'dragonfly' as const;
  /** One server or a Redis Cluster (a Seldon-Puid key carries the experiment's hash tag). */
  constructor(private readonly client: Redis | Cluster) {}

  async lookup(experimentId: string, puid: string): Promise<PuidDecision | null> {
    const raw = await this.client.get(puidKey(experimentId, puid));
    return raw === null ? null : decode(raw);
  }

  async bind(experimentId: string, puid: string, decision: PuidDecision, ttlSeconds: number): Promise<PuidDecision> {
    const key = puidKey(experimentId, puid);
    const set = await this.client.set(key, encode(decision), 'EX', ttlSeconds, 'NX');
    if (set === 'OK') return decision;
    const raw = await this.client.get(key);
    return (raw === null ? null : decode(raw)) ?? decision;
  }

  async close(): Promise<void> {
    // a lazily connected client that never served a route has nothing to quit
    if (this.client.status === 'wait' || this.client.status === 'end') this.client.disconnect();
    else await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** The embedded default: one process's map, expired lazily and swept as it grows. */
export class MemoryPuidIndex implements PuidIndex {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, { decision: PuidDecision; expiresAt: number }>();
  private nextSweep: number;

  constructor(
    private readonly clock: ClockRepository,
    private readonly maxEntries = 1_000_000,
  ) {
    this.nextSweep = Math.min(10_000, maxEntries);
  }

  async lookup(experimentId: string, puid: string): Promise<PuidDecision | null> {
    const key = puidKey(experimentId, puid);
    const e = this.entries.get(key);
    if (!e) return null;
    if (e.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return null;
    }
    return e.decision;
  }

  async bind(experimentId: string, puid: string, decision: PuidDecision, ttlSeconds: number): Promise<PuidDecision> {
    const existing = await this.lookup(experimentId, puid);
    if (existing) return existing;
    if (this.entries.size >= this.nextSweep) this.sweep();
    this.entries.set(puidKey(experimentId, puid), { decision, expiresAt: this.clock.now() + ttlSeconds * 1000 });
    return decision;
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops expired entries; at the cap, the oldest tenth of the bindings (insertion order). */
  private sweep(): void {
    const now = this.clock.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
    if (this.entries.size >= this.maxEntries) {
      const keep = Math.floor(this.maxEntries * 0.9);
      for (const k of this.entries.keys()) {
        if (this.entries.size <= keep) break;
        this.entries.delete(k);
      }
    }
    this.nextSweep = Math.min(Math.max(10_000, this.entries.size * 2), this.maxEntries);
  }
}
