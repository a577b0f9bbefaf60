/**
 * Seldon Core v1 component endpoints of a ROUTER: `/route`, `/send-feedback` (and the
 * executor's `/api/v1.0/feedback`), `/health/ping`, `/health/status`, `/metadata`. Thin:
 * find the message in the request (raw JSON, form field `json=`, query parameter, multipart),
 * read it with proto3 JSON rules, one call into SeldonRouterService. Every error leaves in
 * Seldon's shape (SeldonExceptionFilter).
 */
import { Controller, Get, HttpCode, Post, Req, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { extractSeldonJson, type MultipartParts } from './seldon-body';
import { SeldonExceptionFilter } from './seldon-exception.filter';
import { readFeedback, readSeldonMessage } from './seldon-message';
import { SeldonRouterService } from './seldon-router.service';

export { SELDON_PATHS } from './seldon-paths';

function headerPuid(req: FastifyRequest): string | undefined {
  const h = req.headers['seldon-puid'];
  const v = Array.isArray(h) ? h[0] : h;
  return v === undefined || v === '' ? undefined : v;
}

/** Multipart bodies as @fastify/multipart attaches them (`keyValues`: text as strings, files as Buffers). */
function multipartParts(req: FastifyRequest): MultipartParts | undefined {
  if (!(req as FastifyRequest & { isMultipart?: () => boolean }).isMultipart?.()) return undefined;
  const parts: MultipartParts = { fields: {}, files: {} };
  for (const [name, raw] of Object.entries((req.body ?? {}) as Record<string, unknown>)) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (Buffer.isBuffer(value)) parts.files[name] = value;
    else if (typeof value === 'string') parts.fields[name] = value;
  }
  return parts;
}

function messageJson(req: FastifyRequest): unknown {
  const multipart = multipartParts(req);
  return extractSeldonJson({ body: multipart ? undefined : req.body, query: (req.query ?? {}) as Record<string, unknown>, multipart });
}

@ApiExcludeController()
@UseFilters(SeldonExceptionFilter)
@Controller()
export class SeldonController {
  constructor(private readonly router: SeldonRouterService) {}

  @Post('route')
  @HttpCode(200)
  routePost(@Req() req: FastifyRequest) {
    return this.route(req);
  }

  @Get('route')
  routeGet(@Req() req: FastifyRequest) {
    return this.route(req);
  }

  @Post(['send-feedback', 'api/v1.0/feedback', 'api/v0.1/feedback'])
  @HttpCode(200)
  feedbackPost(@Req() req: FastifyRequest) {
    return this.feedback(req);
  }

  @Get('send-feedback')
  feedbackGet(@Req() req: FastifyRequest) {
    return this.feedback(req);
  }

  @Get('health/ping')
  ping(): string {
    return 'pong';
  }

  @Get(['health/status', 'api/v1.0/health/status'])
  status() {
    return this.router.healthStatus();
  }

  @Get(['metadata', 'api/v1.0/metadata'])
  metadata() {
    return this.router.metadata();
  }

  private route(req: FastifyRequest) {
    return this.router.route(readSeldonMessage(messageJson(req), 'message'), headerPuid(req));
  }

  private feedback(req: FastifyRequest) {
    return this.router.feedback(readFeedback(messageJson(req), 'feedback'), headerPuid(req));
  }
}
