import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AdminGuard } from '../http/admin.guard';
import { ApiErrors, ApiJsonBody, ApiJsonResponse } from '../http/openapi';
import { ZodPipe } from '../http/zod.pipe';
import {
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
  @ApiOperation({ summary: 'List experiments with their live posteriors', operationId: 'listExperiments' })
  @ApiJsonResponse(200, experimentListSchema, 'every experiment')
  @ApiErrors(429, 503)
  async list() {
    return { experiments: await this.experiments.list() };
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
}
