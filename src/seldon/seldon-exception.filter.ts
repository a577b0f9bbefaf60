/**
 * Errors of the Seldon endpoints in Seldon's shape (see seldon-error.ts), from the same
 * description of the error as the service's JSON errors (src/http/exception.filter.ts):
 * the Nest filter on the Seldon controller for errors its handlers raise, and a
 * route-level Fastify error handler for what fails before a handler runs (malformed JSON,
 * body too large, unsupported media type).
 */
import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SELDON_PATHS } from './seldon-paths';
import { toSeldonError } from './seldon-error';

/** Answers `err` on `reply` in Seldon's error shape. */
export function sendSeldonError(reply: FastifyReply, err: unknown): void {
  if (reply.sent) return;
  const { http, body } = toSeldonError(err);
  void reply.status(http).header('content-type', 'application/json; charset=utf-8').send(body);
}

@Catch()
export class SeldonExceptionFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    sendSeldonError(host.switchToHttp().getResponse<FastifyReply>(), err);
  }
}

/**
 * Gives each Seldon route (as it is registered) Seldon's error handler, in place of the
 * service's: errors raised by the framework before the controller runs leave in Seldon's
 * shape too. Call before the routes are registered (before the application's init).
 */
export function installSeldonErrorHandler(fastify: FastifyInstance): void {
  const paths = new Set<string>(SELDON_PATHS);
  const handler = (err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void => sendSeldonError(reply, err);
  fastify.addHook('onRoute', (route) => {
    if (paths.has(route.url)) route.errorHandler = handler;
  });
}
