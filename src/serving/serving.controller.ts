import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiJsonBody, ApiJsonResponse } from '../http/openapi';
import { ZodPipe } from '../http/zod.pipe';
import { rewardRequestSchema, rewardResponseSchema, selectRequestSchema, selectResponseSchema, type RewardRequest, type SelectRequest } from './serving.dto';
import { ServingService } from './serving.service';

@ApiTags('serving')
@Controller()
export class ServingController {
  constructor(private readonly serving: ServingService) {}

  @Post('select')
  @HttpCode(200)
  @ApiOperation({ summary: 'Serve one arm of an experiment', operationId: 'select' })
  @ApiJsonBody(selectRequestSchema)
  @ApiJsonResponse(200, selectResponseSchema, 'the decision')
  @ApiErrors(400, 404, 409, 413, 429, 503)
  select(@Body(new ZodPipe(selectRequestSchema)) body: SelectRequest) {
    return this.serving.select(body.experiment_id, body.unit_id);
  }

  @Post('reward')
  @HttpCode(200)
  @ApiOperation({ summary: 'Count the reward of a served decision (at most once per decision)', operationId: 'reward' })
  @ApiJsonBody(rewardRequestSchema)
  @ApiJsonResponse(200, rewardResponseSchema, 'the counted reward, or on a retry the first result with duplicate: true')
  @ApiErrors(400, 404, 409, 413, 429, 503)
  reward(@Body(new ZodPipe(rewardRequestSchema)) body: RewardRequest) {
    return this.serving.reward(body.decision_id, body.reward);
  }
}
