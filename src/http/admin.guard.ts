/**
 * Admin routes (create, conclude, stop) require `Authorization: Bearer <BANDIT_ADMIN_TOKEN>`
 * when a token is configured. The comparison runs in constant time over SHA-256 digests,
 * so neither the token's content nor its length leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { BanditError, ErrorCode } from '../common/errors';
import { CONFIG } from '../app/tokens';
import type { Config } from '../config/config';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  const given = digest(m ? m[1] : '');
  return timingSafeEqual(given, digest(token)) && m !== null;
}

@Injectable()
export class AdminGuard implements CanActivate {
  private readonly token: string | undefined;

  constructor(@Inject(CONFIG) config: Config) {
    this.token = config.adminToken;
  }

  canActivate(ctx: ExecutionContext): boolean {
    if (this.token === undefined) return true;
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    const header = req.headers.authorization;
    if (!bearerMatches(header, this.token)) {
      throw new BanditError(ErrorCode.Unauthorized, header ? 'the bearer token is not valid' : 'this route needs Authorization: Bearer <admin token>');
    }
    return true;
  }
}
