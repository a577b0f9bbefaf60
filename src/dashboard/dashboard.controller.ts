/**
 * The live dashboard: the experiment list at /dashboard, one experiment's page at
 * /experiments/:id/dashboard, their static files under /dashboard/assets/, and the two
 * JSON feeds the page reads besides GET /experiments/:id — its history and its
 * server-sent event stream.
 */
import { Controller, Get, Headers, Inject, Param, Query, Res, Sse, type MessageEvent } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Observable } from 'rxjs';
import { notFound } from '../common/errors';
import { experimentIdParamSchema } from '../experiments/experiment.dto';
import { ExperimentsService } from '../experiments/experiment.service';
import { ApiErrors, ApiJsonResponse } from '../http/openapi';
import { ZodPipe } from '../http/zod.pipe';
import { ExperimentStream } from './experiment-stream';
import { historyQuerySchema, historySchema, type HistoryQuery } from './history.dto';
import { HistoryService } from './history.service';
import { DASHBOARD_CSP, type StaticAsset } from './static-assets';

export const DASHBOARD_ASSETS = Symbol('DashboardAssets');

const idParam = ApiParam({ name: 'id', description: 'experiment id', schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' } });
const idPipe = new ZodPipe(experimentIdParamSchema, 'path parameter id');
const ASSET_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

@ApiTags('dashboard')
@Controller()
export class DashboardController {
  constructor(
    @Inject(DASHBOARD_ASSETS) private readonly assets: Map<string, StaticAsset>,
    private readonly experiments: ExperimentsService,
    private readonly histories: HistoryService,
    private readonly stream: ExperimentStream,
  ) {}

  @Get('dashboard')
  @ApiExcludeEndpoint()
  list(@Headers('if-none-match') etag: string | undefined, @Res() reply: FastifyReply) {
    this.send(reply, 'index.html', etag);
  }

  @Get('dashboard/assets/:name')
  @ApiExcludeEndpoint()
  asset(@Param('name') name: string, @Headers('if-none-match') etag: string | undefined, @Res() reply: FastifyReply) {
    if (!ASSET_NAME.test(name) || name.endsWith('.html') || !this.assets.has(name)) throw notFound(`no dashboard asset ${JSON.stringify(name)}`);
    this.send(reply, name, etag);
  }

  @Get('experiments/:id/dashboard')
  @ApiExcludeEndpoint()
  page(@Param('id', idPipe) _id: string, @Headers('if-none-match') etag: string | undefined, @Res() reply: FastifyReply) {
    // the page itself reports an unknown experiment, so a bookmark of a deleted one still opens
    this.send(reply, 'experiment.html', etag);
  }

  @Get('experiments/:id/history')
  @idParam
  @ApiQuery({ name: 'bucket', required: false, schema: { type: 'integer', minimum: 1, maximum: 604800 }, description: 'bucket width in seconds (default: chosen for about 240 buckets)' })
  @ApiQuery({ name: 'from', required: false, schema: { type: 'string', format: 'date-time' }, description: 'ISO 8601 start (default: the experiment’s creation)' })
  @ApiQuery({ name: 'to', required: false, schema: { type: 'string', format: 'date-time' }, description: 'ISO 8601 end (default: now)' })
  @ApiOperation({ summary: 'Events, posterior snapshots and running totals of one experiment per time bucket', operationId: 'getExperimentHistory' })
  @ApiJsonResponse(200, historySchema, 'the history')
  @ApiErrors(400, 404, 429, 503)
  async history(@Param('id', idPipe) id: string, @Query(new ZodPipe(historyQuerySchema, 'query')) query: HistoryQuery) {
    return this.histories.history(await this.experiments.get(id), query);
  }

  @Sse('experiments/:id/stream') // Nest sets Cache-Control: no-cache, no-transform and X-Accel-Buffering: no
  @idParam
  @ApiProduces('text/event-stream')
  @ApiOperation({
    summary: 'Server-sent events: `experiment` with the same JSON as GET /experiments/:id whenever it changes, `gone` when the experiment does not exist',
    operationId: 'streamExperiment',
  })
  @ApiErrors(400, 404)
  async events(@Param('id', idPipe) id: string): Promise<Observable<MessageEvent>> {
    await this.experiments.get(id); // an unknown experiment is a 404 before the stream opens
    return this.stream.events(id);
  }

  private send(reply: FastifyReply, name: string, ifNoneMatch: string | undefined): void {
    const asset = this.assets.get(name);
    if (!asset) throw notFound(`no dashboard asset ${JSON.stringify(name)}`);
    reply.header('Cache-Control', 'no-cache').header('ETag', asset.etag).header('X-Content-Type-Options', 'nosniff').header('Referrer-Policy', 'same-origin');
    if (asset.contentType.startsWith('text/html')) reply.header('Content-Security-Policy', DASHBOARD_CSP);
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((t) => t.trim() === asset.etag)) {
      void reply.code(304).send();
      return;
    }
    void reply.code(200).type(asset.contentType).send(asset.body);
  }
}
