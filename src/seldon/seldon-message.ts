/**
 * Seldon Core v1 messages (`SeldonMessage`, `Feedback`) read from their proto3 JSON form,
 * the way Seldon's own parsers read them:
 *
 * - a field may be spelled in lowerCamelCase or with its proto name (`bin_data`);
 * - `null` means "not set", and a default value is omitted — so a `reward` of 0 arrives
 *   as no `reward` field at all;
 * - numbers may arrive as strings (`"reward": "0.5"`, `"routing": {"router": "1"}`), and
 *   a float may be `"NaN"` / `"Infinity"` (read, then refused where a finite number is
 *   needed);
 * - an unknown field, or two members of one `oneof`, is an error.
 *
 * Each reader returns a small typed view holding what the router needs and throws
 * `BanditError(InvalidInput)` naming the offending path otherwise. Pure: no I/O.
 */
import { invalidInput } from '../common/errors';

export type DataKind = 'tensor' | 'ndarray' | 'tftensor' | 'binData' | 'strData' | 'jsonData' | 'customData' | 'none';

export interface SeldonMeta {
  puid?: string;
  tags: Record<string, unknown>;
  routing: Record<string, number>;
  requestPath: Record<string, string>;
}

export interface SeldonMessageView {
  /** Which payload the message carries (decides the shape of a route reply). */
  kind: DataKind;
  /** Rows in `data` (tensor shape[0], ndarray length; 1 for a single non-array payload, 0 for none). */
  rows: number;
  meta: SeldonMeta;
}

export interface FeedbackView {
  request?: SeldonMessageView;
  response?: SeldonMessageView;
  truth?: SeldonMessageView;
  /** The reward as sent; 0 when the field is absent (proto3 omits a zero). */
  reward: number;
  /** False when no `reward` field was present (the sender's reward was 0 or it sent none). */
  rewardPresent: boolean;
}

type Json = Record<string, unknown>;

const MESSAGE_FIELDS: Record<string, string> = {
  status: 'status',
  meta: 'meta',
  data: 'data',
  binData: 'binData',
  bin_data: 'binData',
  strData: 'strData',
  str_data: 'strData',
  jsonData: 'jsonData',
  json_data: 'jsonData',
  customData: 'customData',
  custom_data: 'customData',
};
const META_FIELDS: Record<string, string> = {
  puid: 'puid',
  tags: 'tags',
  routing: 'routing',
  requestPath: 'requestPath',
  request_path: 'requestPath',
  metrics: 'metrics',
};
const DATA_FIELDS: Record<string, string> = { names: 'names', tensor: 'tensor', ndarray: 'ndarray', tftensor: 'tftensor' };
const FEEDBACK_FIELDS: Record<string, string> = { request: 'request', response: 'response', reward: 'reward', truth: 'truth' };
const STATUS_FIELDS: Record<string, string> = { code: 'code', info: 'info', reason: 'reason', status: 'status' };
const METRIC_FIELDS: Record<string, string> = { key: 'key', type: 'type', value: 'value', tags: 'tags' };
const TENSOR_FIELDS: Record<string, string> = { shape: 'shape', values: 'values' };

const PAYLOAD_ONEOF = ['data', 'binData', 'strData', 'jsonData', 'customData'] as const;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v === 'object' ? 'an object' : `the ${typeof v} ${String(v)}`}`;
}

function fail(path: string, what: string, got: unknown): never {
  throw invalidInput(`${path}: expected ${what}, got ${describe(got)}`, { path });
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Canonical field names → values, with `null` dropped; unknown fields are errors. */
function fields(v: unknown, path: string, known: Record<string, string>): Record<string, unknown> {
  if (!isObject(v)) fail(path, 'an object', v);
  const out: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(v)) {
    const canonical = Object.hasOwn(known, k) ? known[k] : undefined;
    if (canonical === undefined) {
      const names = [...new Set(Object.values(known))].join(', ');
      throw invalidInput(`${path}: unknown field ${JSON.stringify(k)} (known: ${names})`, { path: `${path}.${k}` });
    }
    if (canonical in out) throw invalidInput(`${path}: field ${JSON.stringify(canonical)} given twice (as ${JSON.stringify(k)})`, { path });
    if (value !== null) out[canonical] = value;
  }
  return out;
}

const FLOAT_STRING = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A proto3 JSON float/double: a number, a numeric string, or "NaN" / "Infinity" / "-Infinity". */
export function readFloat(v: unknown, path: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const s = v.trim();
    if (s === 'NaN') return NaN;
    if (s === 'Infinity') return Infinity;
    if (s === '-Infinity') return -Infinity;
    if (FLOAT_STRING.test(s)) return Number(s);
  }
  return fail(path, 'a number', v);
}

/** A proto3 JSON int32: an integral number or a string holding one. */
export function readInt32(v: unknown, path: string): number {
  const n = typeof v === 'string' && /^\s*[+-]?\d+(\.0*)?([eE]\+?\d+)?\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < -2147483648 || n > 2147483647) fail(path, 'a 32-bit integer', v);
  return n as number;
}

function readString(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, 'a string', v);
  return v as string;
}

function readStringMap(v: unknown, path: string): Record<string, string> {
  if (!isObject(v)) fail(path, 'an object of strings', v);
  const out: Record<string, string> = {};
  for (const [k, s] of Object.entries(v)) out[k] = readString(s, `${path}.${k}`);
  return out;
}

function readMeta(v: unknown, path: string): SeldonMeta {
  const f = fields(v, path, META_FIELDS);
  const meta: SeldonMeta = { tags: {}, routing: {}, requestPath: {} };
  if (f.puid !== undefined) {
    const puid = readString(f.puid, `${path}.puid`);
    if (puid !== '') meta.puid = puid;
  }
  if (f.tags !== undefined) {
    if (!isObject(f.tags)) fail(`${path}.tags`, 'an object', f.tags);
    meta.tags = f.tags as Json;
  }
  if (f.routing !== undefined) {
    if (!isObject(f.routing)) fail(`${path}.routing`, 'an object of integers', f.routing);
    for (const [node, r] of Object.entries(f.routing as Json)) meta.routing[node] = readInt32(r, `${path}.routing.${node}`);
  }
  if (f.requestPath !== undefined) meta.requestPath = readStringMap(f.requestPath, `${path}.requestPath`);
  if (f.metrics !== undefined) {
    if (!Array.isArray(f.metrics)) fail(`${path}.metrics`, 'an array', f.metrics);
    (f.metrics as unknown[]).forEach((m, i) => {
      const mf = fields(m, `${path}.metrics[${i}]`, METRIC_FIELDS);
      if (mf.key !== undefined) readString(mf.key, `${path}.metrics[${i}].key`);
      if (mf.value !== undefined) readFloat(mf.value, `${path}.metrics[${i}].value`);
      if (mf.type !== undefined && !['COUNTER', 'GAUGE', 'TIMER', 0, 1, 2].includes(mf.type as string)) {
        fail(`${path}.metrics[${i}].type`, 'COUNTER, GAUGE or TIMER', mf.type);
      }
      if (mf.tags !== undefined) readStringMap(mf.tags, `${path}.metrics[${i}].tags`);
    });
  }
  return meta;
}

function readData(v: unknown, path: string): { kind: DataKind; rows: number } {
  const f = fields(v, path, DATA_FIELDS);
  if (f.names !== undefined) {
    if (!Array.isArray(f.names)) fail(`${path}.names`, 'an array of strings', f.names);
    (f.names as unknown[]).forEach((n, i) => readString(n, `${path}.names[${i}]`));
  }
  const present = (['tensor', 'ndarray', 'tftensor'] as const).filter((k) => f[k] !== undefined);
  if (present.length > 1) throw invalidInput(`${path}: holds ${present.join(' and ')}; a message carries one of tensor, ndarray, tftensor`, { path });
  const kind = present[0];
  if (kind === 'tensor') {
    const t = fields(f.tensor, `${path}.tensor`, TENSOR_FIELDS);
    const shape = t.shape === undefined ? [] : t.shape;
    if (!Array.isArray(shape)) fail(`${path}.tensor.shape`, 'an array of integers', shape);
    const dims = (shape as unknown[]).map((d, i) => readInt32(d, `${path}.tensor.shape[${i}]`));
    if (t.values !== undefined) {
      if (!Array.isArray(t.values)) fail(`${path}.tensor.values`, 'an array of numbers', t.values);
      (t.values as unknown[]).forEach((x, i) => readFloat(x, `${path}.tensor.values[${i}]`));
    }
    return { kind, rows: dims.length > 0 ? Math.max(0, dims[0]) : 1 };
  }
  if (kind === 'ndarray') {
    if (!Array.isArray(f.ndarray)) fail(`${path}.ndarray`, 'an array', f.ndarray);
    return { kind, rows: (f.ndarray as unknown[]).length };
  }
  if (kind === 'tftensor') {
    if (!isObject(f.tftensor)) fail(`${path}.tftensor`, 'an object', f.tftensor);
    return { kind, rows: 1 };
  }
  return { kind: 'none', rows: 0 };
}

/** Reads one SeldonMessage (a request, a response, a truth). */
export function readSeldonMessage(v: unknown, path = 'message'): SeldonMessageView {
  const f = fields(v, path, MESSAGE_FIELDS);
  const payloads = PAYLOAD_ONEOF.filter((k) => f[k] !== undefined);
  if (payloads.length > 1) {
    throw invalidInput(`${path}: holds ${payloads.join(' and ')}; a message carries one of ${PAYLOAD_ONEOF.join(', ')}`, { path });
  }
  if (f.status !== undefined) {
    const s = fields(f.status, `${path}.status`, STATUS_FIELDS);
    if (s.code !== undefined) readInt32(s.code, `${path}.status.code`);
    if (s.info !== undefined) readString(s.info, `${path}.status.info`);
    if (s.reason !== undefined) readString(s.reason, `${path}.status.reason`);
    if (s.status !== undefined && !['SUCCESS', 'FAILURE', 0, 1].includes(s.status as string)) fail(`${path}.status.status`, 'SUCCESS or FAILURE', s.status);
  }
  const meta = f.meta === undefined ? { tags: {}, routing: {}, requestPath: {} } : readMeta(f.meta, `${path}.meta`);
  let data: { kind: DataKind; rows: number } = { kind: 'none', rows: 0 };
  if (f.data !== undefined) data = readData(f.data, `${path}.data`);
  else if (f.binData !== undefined) {
    const b = readString(f.binData, `${path}.binData`);
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b)) fail(`${path}.binData`, 'base64', f.binData);
    data = { kind: 'binData', rows: 1 };
  } else if (f.strData !== undefined) {
    readString(f.strData, `${path}.strData`);
    data = { kind: 'strData', rows: 1 };
  } else if (f.jsonData !== undefined) data = { kind: 'jsonData', rows: Array.isArray(f.jsonData) ? f.jsonData.length : 1 };
  else if (f.customData !== undefined) {
    if (!isObject(f.customData)) fail(`${path}.customData`, 'an object (google.protobuf.Any)', f.customData);
    data = { kind: 'customData', rows: 1 };
  }
  return { ...data, meta };
}

/** Reads a Feedback message: `{request, response, reward, truth}`. */
export function readFeedback(v: unknown, path = 'feedback'): FeedbackView {
  const f = fields(v, path, FEEDBACK_FIELDS);
  const out: FeedbackView = { reward: 0, rewardPresent: f.reward !== undefined };
  if (f.request !== undefined) out.request = readSeldonMessage(f.request, `${path}.request`);
  if (f.response !== undefined) out.response = readSeldonMessage(f.response, `${path}.response`);
  if (f.truth !== undefined) out.truth = readSeldonMessage(f.truth, `${path}.truth`);
  if (f.reward !== undefined) out.reward = readFloat(f.reward, `${path}.reward`);
  return out;
}
