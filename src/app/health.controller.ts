import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { BanditError, ErrorCode } from '../common/errors';
import { EventRepository } from '../events/event.repository';
import { ApiErrors, ApiJsonResponse } from '../http/openapi';
import { POSTERIOR_STORE, type PosteriorStore } from '../state/posterior-store';

export const healthSchema = z.object({ status: z.literal('ok') });
export const readySchema = z.object({ status: z.literal('ready'), store: z.enum(['dragonfly', 'memory']), database: z.enum(['postgres', 'sqlite']) });

const READY_TIMEOUT_MS = 2000;

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    @Inject(POSTERIOR_STORE) private readonly store: PosteriorStore,
    private readonly events: EventRepository,
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
      withTimeout(this.store.ping(), 'posterior store').catch((e: unknown) => failures.push(`posterior store (${this.store.kind}): ${errText(e)}`)),
      withTimeout(this.events.ping(), 'event store').catch((e: unknown) => failures.push(`event store (${this.events.driver}): ${errText(e)}`)),
    ]);
    if (failures.length > 0) throw new BanditError(ErrorCode.Unavailable, `not ready: ${failures.join('; ')}`);
    return { status: 'ready' as const, store: this.store.kind, database: this.events.driver };
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
