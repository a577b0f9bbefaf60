import { BanditError, ErrorCode } from '../common/errors';
import type { AssetContext, AssetOutcome } from './asset-graph';
import type { PipelineDeps, PipelineOptions } from './pipeline.types';
import type { TrackingRun } from '../tracking';

export async function opeAsset(_d: PipelineDeps, _c: AssetContext, _o: PipelineOptions, _r: TrackingRun): Promise<AssetOutcome> {
  throw new BanditError(ErrorCode.Unavailable, 'the ope asset is not available in this build yet');
}
export async function concludeAsset(_d: PipelineDeps, _c: AssetContext, _o: PipelineOptions, _r: TrackingRun): Promise<AssetOutcome> {
  throw new BanditError(ErrorCode.Unavailable, 'the conclude asset is not available in this build yet');
}
