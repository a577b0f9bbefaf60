/** Errors of the Seldon endpoints, in Seldon's shape (see seldon-error.ts). */
import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { BanditError } from '../common/errors';
import { seldonErrorBody, toSeldonError, type SeldonErrorBody } from './seldon-error';

const log = new Logger('Seldon');

export function seldonErrorOf(err: unknown): { http: number; body: SeldonErrorBody } {
  if (!(err instanceof BanditError) && err instanceof HttpException) {
    const status = err.getStatus();
    return { http: status, body: seldonErrorBody(err.message, status >= 500 ? 'MICROSERVICE_INTERNAL_ERROR' : 'MICROSERVICE_BAD_DATA') };
  }
  const out = toSeldonError(err);
  if (out.http >= 500 && !(err instanceof BanditError)) log.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return out;
}

@Catch()
export class SeldonExceptionFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { http, body } = seldonErrorOf(err);
    void reply.status(http).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}
