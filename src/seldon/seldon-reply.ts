/**
 * Replies of a Seldon component, built to pass the strictest parsers on the path: Seldon's
 * executor (Go jsonpb: an unknown field is an error, and a route reply without `data` fails
 * its branch parser — so every route reply carries `data`) and the Python client (protobuf
 * `ParseDict`: an unknown field makes the
 * response `None`). Only proto fields appear; tag values are plain JSON values
 * (google.protobuf.Value), `metadata.custom` values are strings.
 */
import type { DataKind } from './seldon-message';

export interface RouteTags {
  decision_id: string;
  experiment_id: string;
  arm: string;
  arm_index: number;
  propensity: number;
}

export interface ReplyMeta {
  puid?: string;
  tags?: Record<string, string | number | boolean | null>;
  routing?: Record<string, number>;
}

export interface SeldonReply {
  data?: { names: string[]; ndarray?: unknown[]; tensor?: { shape: number[]; values: number[] } };
  jsonData?: unknown;
  strData?: string;
  meta: ReplyMeta;
}

/**
 * The `/route` reply: the child index as a 1×1 array in the request's data type (a tensor
 * request gets a tensor, everything else an ndarray), with the decision in `meta.tags` and
 * `meta.routing[unitId]` so a client that sends this reply back as feedback names its
 * decision even without the executor's routing injection.
 */
export function routeReply(arm: number, requestKind: DataKind, meta: { unitId: string; puid?: string; tags: RouteTags }): SeldonReply {
  // a child index, never -1 ("all children") or -2 ("return the input"): the router picks one arm
  if (!Number.isInteger(arm) || arm < 0) throw new Error(`a route reply needs a child index >= 0, got ${String(arm)}`);
  const data = requestKind === 'tensor' ? { names: ['t:0'], tensor: { shape: [1, 1], values: [arm] } } : { names: ['t:0'], ndarray: [[arm]] };
  const replyMeta: ReplyMeta = { tags: { ...meta.tags }, routing: { [meta.unitId]: arm } };
  if (meta.puid !== undefined) replyMeta.puid = meta.puid;
  return { data, meta: replyMeta };
}

/** The `/send-feedback` reply: a message with only `meta`, the outcome in its tags. */
export function feedbackReply(tags: Record<string, string | number | boolean | null>, puid?: string): SeldonReply {
  return { meta: puid === undefined ? { tags } : { puid, tags } };
}

/** `/health/status` when the component can serve. */
export function healthStatusReply(): SeldonReply {
  return { strData: 'healthy', meta: {} };
}

export interface MetadataInput {
  name: string;
  version: string;
  messageType: 'ndarray' | 'jsonData' | 'tensor';
  custom: Record<string, string>;
}

/** `/metadata` in Seldon's model-metadata form (`name, versions, platform, inputs, outputs, custom`). */
export function metadataReply(m: MetadataInput): Record<string, unknown> {
  const output = m.messageType === 'jsonData' ? { messagetype: 'jsonData' } : { messagetype: m.messageType, schema: { names: ['t:0'], shape: [1, 1] } };
  return { name: m.name, versions: [m.version], platform: 'bayesian-bandit', inputs: [], outputs: [output], custom: m.custom };
}

/**
 * A MODEL reply carrying an arm's payload: an array as `data.ndarray`, anything else as
 * `jsonData`; the arm's name in `meta.tags.arm`.
 */
export function armPredictReply(arm: string, payload: unknown, puid?: string): SeldonReply {
  const meta: ReplyMeta = puid === undefined ? { tags: { arm } } : { puid, tags: { arm } };
  if (Array.isArray(payload)) return { data: { names: [], ndarray: payload }, meta };
  return { jsonData: payload, meta };
}
