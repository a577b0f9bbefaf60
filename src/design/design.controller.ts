import { Body, Controller, HttpCode, Module, Post, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DEFAULT_STOPPING, designPlan, type DesignReport } from '../core';
import { BanditError, ErrorCode } from '../common/errors';
import { AdminGuard } from '../http/admin.guard';
import { ApiErrors, ApiJsonBody, ApiJsonResponse } from '../http/openapi';
import { ZodPipe } from '../http/zod.pipe';
import { designRequestSchema, designResponseSchema, type DesignRequest } from './design.dto';
import { DesignAborted, runDesign } from './runner';

/** POST /design: the operating characteristics of a stopping rule (bounded work, admin only; see design.dto.ts). */
@ApiTags('design')
@Controller('design')
export class DesignController {
  private busy = false;

  @Post()
  @HttpCode(200)
  @UseGuards(AdminGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Simulate a planned experiment: false winners (A/A), wrong winners at the smallest lift, visitors to a verdict, beside the fixed-horizon test', operationId: 'design' })
  @ApiJsonBody(designRequestSchema)
  @ApiJsonResponse(200, designResponseSchema, 'the operating characteristics')
  @ApiErrors(400, 401, 413, 429, 503)
  async design(@Body(new ZodPipe(designRequestSchema)) body: DesignRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    if (this.busy) throw new BanditError(ErrorCode.RateLimited, 'a design simulation is already running in this process; try again when it has finished');
    let plan;
    try {
      plan = designPlan({
        baselineRate: body.baselineRate,
        minLift: body.minLift,
        arms: body.arms,
        maxVisitors: body.maxVisitors,
        stopping: { ...DEFAULT_STOPPING, ...body.stopping },
        policy: { algorithm: body.algorithm ?? 'thompson', ...(body.topTwoBeta !== undefined && { topTwoBeta: body.topTwoBeta }) },
      });
    } catch (err) {
      if (err instanceof RangeError) throw new BanditError(ErrorCode.InvalidInput, err.message);
      throw err;
    }
    const seed = body.seed ?? 'design';
    const runs = body.runs ?? 100;
    this.busy = true;
    // a client that hangs up stops its simulation (the process is free for the next one at once)
    const hangUp = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) hangUp.abort();
    };
    reply.raw.once('close', onClose);
    let report: DesignReport;
    try {
      [report] = await runDesign({ plans: [plan], seed, runs, threads: 2, signal: hangUp.signal });
    } catch (err) {
      if (err instanceof DesignAborted) throw new BanditError(ErrorCode.InvalidInput, 'the client closed the connection before the simulation finished');
      throw err;
    } finally {
      reply.raw.off('close', onClose);
      this.busy = false;
    }
    const { byVisitors: _a, ...aa } = report.aa;
    const { byVisitors: _l, ...lift } = report.lift;
    void _a;
    void _l;
    return { seed, runs, stopping: report.stopping, aa, lift, fixedHorizon: report.fixedHorizon, meetsTargets: report.meetsTargets };
  }
}

@Module({ controllers: [DesignController] })
export class DesignModule {}
