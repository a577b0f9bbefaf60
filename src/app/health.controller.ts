import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { BanditError, ErrorCode } from '../common/errors';
import type { Config } from '../config/config';
import { EventConsumer } from '../event-store/event-consumer';
import { EventRepository } from '../event-store/event.repository';
import { ApiErrors, ApiJsonResponse } from '../http/openapi';
import { POSTERIOR_STORE, type PosteriorStore } from '../posterior-store/posterior-store';
import { CONFIG } from './tokens';

export const healthSchema = z.object({ status: z.literal('ok') });
export const readySchema = z.object({ status: z.literal('ready'), store: z.enum(['dragonfly', 'memory']), database: z.enum(['postgres', 'sqlite']) });

const READY_TIMEOUT_MS = 2000;

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    @Inject(POSTERIOR_STORE) private readonly store: PosteriorStore,
    private readonly events: EventRepository,
    private readonly consumer: EventConsumer,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Get('healthz')
  @ApiOperation({ summary: 'Liveness: the process answers', operationId: 'healthz' })
  @ApiJsonResponse(200, healthSchema, 'alive')
  healthz() {
    return { status: 'ok' as const };
  }

  @Get('readyz')
  @ApiOperation({ summary: 'Readiness: the posterior store and the event store answer', operationId: 'readyz' })
  @ApiJsonResponse(200, readySchema, 'ready to serve')
  @ApiErrors(503)
  async readyz() {
    const failures: string[] = [];
    await Promise.all([
      withTimeout(this.store.ping(), 'posterior store').catch((e: unknown) => failures.push(`posterior store (${this.storeName()}): ${errText(e)}`)),
      withTimeout(this.events.ping(), 'event store').catch((e: unknown) => failures.push(`event store (${this.eventStoreName()}): ${errText(e)}`)),
    ]);
    if (failures.length === 0) {
      const lag = await withTimeout(this.laggingQueue(), 'posterior store').catch((e: unknown) => `posterior store (${this.store.kind}): ${errText(e)}`);
      if (lag) failures.push(lag);
    }
    if (failures.length > 0) throw new BanditError(ErrorCode.Unavailable, `not ready: ${failures.join('; ')}`);
    return { status: 'ready' as const, store: this.store.kind, database: this.events.driver };
  }

  /** "redis host:port" / "memory". */
  private storeName(): string {
    const address = (this.store as { address?: unknown }).address;
    return typeof address === 'string' ? address : this.store.kind;
  }

  /** "postgres host:port" / "sqlite". */
  private eventStoreName(): string {
    if (!this.config.databaseUrl) return this.events.driver;
    try {
      const u = new URL(this.config.databaseUrl);
      return `postgres ${u.hostname}:${u.port || 5432}`;
    } catch {
      return this.events.driver;
    }
  }

  /** "degraded: …" when the oldest queued event of some experiment waited longer than the threshold. */
  private async laggingQueue(): Promise<string | undefined> {
    const max = this.config.readyMaxEventLagSeconds;
    if (max <= 0) return undefined;
    const now = Date.now();
    let worst: { id: string; age: number; length: number } | undefined;
    for (const q of await this.consumer.queueStats()) {
      const age = q.oldestAt === null ? 0 : (now - q.oldestAt) / 1000;
      if (age > max && (!worst || age > worst.age)) worst = { id: q.experimentId, age, length: q.length };
    }
    if (!worst) return undefined;
    const why = this.consumer.lastError ? `; last error of the event store: ${this.consumer.lastError}` : '';
    return `degraded: events of experiment ${JSON.stringify(worst.id)} wait to be stored: the oldest of ${worst.length} for ${Math.round(worst.age)} s (threshold ${max} s, BANDIT_READY_MAX_EVENT_LAG_SECONDS)${why}`;
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
