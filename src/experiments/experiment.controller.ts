import { applyDecorators, Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { AdminGuard } from '../http/admin.guard';
import { ApiErrors, ApiJsonBody, ApiJsonResponse } from '../http/openapi';
import { ZodPipe } from '../http/zod.pipe';
import {
  actorSchema,
  armNameSchema,
  EXPERIMENT_STATUSES,
  listQuerySchema,
  patchExperimentSchema,
  shipSchema,
  type ActorRequest,
  type ListQuery,
  type PatchExperimentRequest,
  type ShipRequest,
  concludeResponseSchema,
  createExperimentSchema,
  experimentIdParamSchema,
  experimentListSchema,
  experimentViewSchema,
  type CreateExperimentRequest,
} from './experiment.dto';
import { ExperimentsService } from './experiment.service';

const idParam = ApiParam({ name: 'id', description: 'experiment id', schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' } });
const idPipe = new ZodPipe(experimentIdParamSchema, 'path parameter id');
const armPipe = new ZodPipe(armNameSchema, 'path parameter name');
/** Who and why, optional on every lifecycle route (an absent body is an empty one). */
const actorPipe = new ZodPipe(actorSchema.optional().transform((a) => a ?? {}), 'request body (optional)');
/** An admin route on one experiment, answering 200 with its JSON description. */
function adminRoute(method: typeof Post, route: string, summary: string, operationId: string, response: z.ZodType, description: string): MethodDecorator {
  return applyDecorators(
    method(route),
    HttpCode(200),
    UseGuards(AdminGuard),
    ApiBearerAuth(),
    idParam,
    ApiOperation({ summary, operationId }),
    ApiJsonResponse(200, response, description),
    ApiErrors(400, 401, 404, 409, 429, 503),
  );
}

const archivedSchema = z.object({ id: z.string(), archived: z.boolean() });
const changesSchema = z.object({
  changes: z.array(z.object({ id: z.number().int(), kind: z.string(), by: z.string().nullable(), payload: z.unknown(), at: z.string().meta({ format: 'date-time' }) })),
});

@ApiTags('experiments')
@Controller('experiments')
export class ExperimentsController {
  constructor(private readonly experiments: ExperimentsService) {}

  @Post()
  @HttpCode(201)
  @UseGuards(AdminGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Create an experiment', operationId: 'createExperiment' })
  @ApiJsonBody(createExperimentSchema)
  @ApiJsonResponse(201, experimentViewSchema, 'the experiment, running')
  @ApiErrors(400, 401, 409, 413, 429, 503)
  create(@Body(new ZodPipe(createExperimentSchema)) body: CreateExperimentRequest) {
    return this.experiments.createFrom(body);
  }

  @Get()
  @ApiOperation({ summary: 'List experiments with their live posteriors (archived ones are not listed)', operationId: 'listExperiments' })
  @ApiQuery({ name: 'status', required: false, schema: { type: 'string', enum: [...EXPERIMENT_STATUSES] } })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 500 }, description: 'page size (default 50)' })
  @ApiQuery({ name: 'offset', required: false, schema: { type: 'integer', minimum: 0 }, description: 'experiments skipped (default 0)' })
  @ApiJsonResponse(200, experimentListSchema, 'one page of experiments, oldest first')
  @ApiErrors(400, 429, 503)
  list(@Query(new ZodPipe(listQuerySchema, 'query')) query: ListQuery) {
    return this.experiments.listPage(query);
  }

  @Get(':id')
  @idParam
  @ApiOperation({ summary: 'One experiment: definition, status, per-arm posterior and the winner', operationId: 'getExperiment' })
  @ApiJsonResponse(200, experimentViewSchema, 'the experiment')
  @ApiErrors(400, 404, 429, 503)
  get(@Param('id', idPipe) id: string) {
    return this.experiments.get(id);
  }

  @Post(':id/conclude')
  @HttpCode(200)
  @UseGuards(AdminGuard)
  @ApiBearerAuth()
  @idParam
  @ApiOperation({ summary: 'Evaluate the stopping rule now and record the decision', operationId: 'concludeExperiment' })
  @ApiJsonResponse(200, concludeResponseSchema, 'the decision (winner, continue or no_winner) and the experiment after it')
  @ApiErrors(400, 401, 404, 409, 429, 503)
  conclude(@Param('id', idPipe) id: string) {
    return this.experiments.conclude(id);
  }

  @Post(':id/stop')
  @HttpCode(200)
  @UseGuards(AdminGuard)
  @ApiBearerAuth()
  @idParam
  @ApiOperation({ summary: 'Stop an experiment: select and reward answer 409 afterwards (idempotent)', operationId: 'stopExperiment' })
  @ApiJsonResponse(200, experimentViewSchema, 'the stopped experiment')
  @ApiErrors(400, 401, 404, 429, 503)
  stop(@Param('id', idPipe) id: string) {
    return this.experiments.stop(id);
  }

  @adminRoute(Post, ':id/pause', 'Pause: /select serves the control (arm 0) with "paused": true and records nothing; rewards of earlier decisions still count', 'pauseExperiment', experimentViewSchema, 'the paused experiment')
  @ApiJsonBody(actorSchema, 'optional: who and why', false)
  pause(@Param('id', idPipe) id: string, @Body(actorPipe) body: ActorRequest) {
    return this.experiments.pause(id, body);
  }

  @adminRoute(Post, ':id/resume', 'Resume a paused experiment', 'resumeExperiment', experimentViewSchema, 'the running experiment')
  @ApiJsonBody(actorSchema, 'optional: who and why', false)
  resume(@Param('id', idPipe) id: string, @Body(actorPipe) body: ActorRequest) {
    return this.experiments.resume(id, body);
  }

  @adminRoute(Patch, ':id', 'Edit name, description, stopping thresholds, floors / caps; add arms (they start at the prior)', 'patchExperiment', experimentViewSchema, 'the experiment after the edit')
  @ApiJsonBody(patchExperimentSchema)
  patch(@Param('id', idPipe) id: string, @Body(new ZodPipe(patchExperimentSchema)) body: PatchExperimentRequest) {
    return this.experiments.patch(id, body);
  }

  @adminRoute(Post, ':id/arms/:name/retire', 'Retire an arm: it is served no more, its history is kept', 'retireArm', experimentViewSchema, 'the experiment')
  @ApiParam({ name: 'name', description: 'arm name', schema: { type: 'string' } })
  @ApiJsonBody(actorSchema, 'optional: who and why', false)
  retire(@Param('id', idPipe) id: string, @Param('name', armPipe) name: string, @Body(actorPipe) body: ActorRequest) {
    return this.experiments.retire(id, name, body);
  }

  @adminRoute(Post, ':id/ship', 'Declare an arm the winner by hand (a decision with trigger manual); /select serves it as after an automatic verdict', 'shipArm', concludeResponseSchema, 'the manual decision and the concluded experiment')
  @ApiJsonBody(shipSchema)
  ship(@Param('id', idPipe) id: string, @Body(new ZodPipe(shipSchema)) body: ShipRequest) {
    return this.experiments.ship(id, body);
  }

  @adminRoute(Delete, ':id', 'Archive: gone from lists, GET and /select (404), kept in the event store, restorable', 'archiveExperiment', archivedSchema, 'archived')
  archive(@Param('id', idPipe) id: string) {
    return this.experiments.archive(id, {});
  }

  @adminRoute(Post, ':id/restore', 'Restore an archived experiment', 'restoreExperiment', experimentViewSchema, 'the restored experiment')
  @ApiJsonBody(actorSchema, 'optional: who and why', false)
  restore(@Param('id', idPipe) id: string, @Body(actorPipe) body: ActorRequest) {
    return this.experiments.restore(id, body);
  }

  @adminRoute(Post, ':id/srm/acknowledge', 'Acknowledge a failed sample-ratio-mismatch check: automatic winners are allowed again', 'acknowledgeSrm', experimentViewSchema, 'the experiment')
  @ApiJsonBody(actorSchema, 'optional: who and why', false)
  acknowledgeSrm(@Param('id', idPipe) id: string, @Body(actorPipe) body: ActorRequest) {
    return this.experiments.acknowledgeSrm(id, body);
  }

  @Get(':id/changes')
  @idParam
  @ApiOperation({ summary: 'The change log of an experiment (creation, edits, pause, resume, retire, ship, archive, restore, stop)', operationId: 'experimentChanges' })
  @ApiJsonResponse(200, changesSchema, 'oldest first')
  @ApiErrors(400, 404, 429, 503)
  async changes(@Param('id', idPipe) id: string) {
    return { changes: await this.experiments.changes(id) };
  }
}
