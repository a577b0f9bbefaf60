/**
 * Dagster's serdes JSON, written and read the way Python Dagster does.
 *
 * Writer: byte-for-byte `json.dumps(value, sort_keys=True)` of CPython — separators `", "` and
 * `": "`, keys sorted by code point, ASCII-only output (`\uXXXX` escapes in lower-case hex,
 * UTF-16 surrogate pairs for astral characters), floats in Python `repr` form (`1.0`, `1e-05`,
 * `1.5e+300`, `NaN`, `Infinity`), integers of any size. Dagster hashes this exact string for
 * snapshot ids (SHA-1), so the bytes matter wherever the host recomputes one.
 *
 * Reader: a JSON parser that keeps what `JSON.parse` loses — a float written with a fraction or
 * exponent stays a float (`PyFloat`) even when integral, integers beyond 2^53 stay exact
 * (`bigint`) — so read-then-write reproduces the input.
 *
 * Complexity: O(n) in the size of the text / value (plus the key sorts).
 */
import { createHash } from 'node:crypto';
import { BanditError, ErrorCode } from '../common/errors';

/** A Python float whose value is integral (JS numbers cannot tell `1.0` from `1`). */
export class PyFloat {
  constructor(readonly value: number) {}
}

export type SerdesValue = null | boolean | number | bigint | string | PyFloat | SerdesValue[] | SerdesObject;
export interface SerdesObject {
  [key: string]: SerdesValue;
}

/** Python `repr(float)` (the shortest round-trip digits, Python's fixed/scientific switch). */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mant, expStr] = Math.abs(x).toExponential().split('e');
  const digits = mant.replace('.', '');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intLen = exp + 1;
  if (digits.length <= intLen) return `${sign}${digits}${'0'.repeat(intLen - digits.length)}.0`;
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

const ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** Python `json.dumps` string literal with ensure_ascii=True. */
export function pyString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const c = s.charCodeAt(i);
    const esc = ESCAPES[ch];
    if (esc !== undefined) out += esc;
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** Compares strings by Unicode code point, as Python sorts `str`. */
export function codePointCompare(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const d = (x.value.codePointAt(0) as number) - (y.value.codePointAt(0) as number);
    if (d !== 0) return d;
  }
}

/** `json.dumps(value, sort_keys=True)` exactly as CPython writes it. */
export function pyJson(value: SerdesValue | undefined): string {
  if (value === null || value === undefined) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return pyString(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value).toString() : pyFloatRepr(value);
  if (value instanceof PyFloat) return pyFloatRepr(value.value);
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[${value.map(pyJson).join(', ')}]`;
  const keys = Object.keys(value)
    .filter((k) => value[k] !== undefined)
    .sort(codePointCompare);
  if (keys.length === 0) return '{}';
  return `{${keys.map((k) => `${pyString(k)}: ${pyJson(value[k])}`).join(', ')}}`;
}

/** Dagster's snapshot id: SHA-1 (hex) of the serialized value. */
export function snapshotId(value: SerdesValue): string {
  return createHash('sha1').update(pyJson(value), 'utf8').digest('hex');
}

/** A malformed serdes payload: what was wrong and where. */
export function malformed(message: string): BanditError {
  return new BanditError(ErrorCode.InvalidInput, `malformed Dagster payload: ${message}`);
}

/** Parses serdes JSON (also Python's `NaN` / `Infinity`), keeping floats and big integers exact. */
export function parsePyJson(text: string): SerdesValue {
  let i = 0;
  const fail = (what: string): never => {
    throw malformed(`${what} at offset ${i}`);
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const lit = (word: string, v: SerdesValue): SerdesValue => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return v;
    }
    return fail('unexpected token');
  };
  const str = (): string => {
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text[i++];
      if (c === '"') return out;
      if (c !== '\\') {
        if (c.charCodeAt(0) < 0x20) fail('control character in string');
        out += c;
        continue;
      }
      const e = text[i++];
      if (e === 'u') {
        const hex = text.slice(i, i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
      } else {
        const m: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (m[e] === undefined) fail('bad escape');
        out += m[e];
      }
    }
  };
  const num = (): SerdesValue => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '-') return fail('bad number');
    i += m[0].length;
    if (m[2] !== undefined || m[3] !== undefined) {
      const v = Number(m[0]);
      return Number.isInteger(v) ? new PyFloat(v) : v;
    }
    const n = Number(m[0]);
    return Number.isSafeInteger(n) ? n : BigInt(m[0]);
  };
  const value = (depth: number): SerdesValue => {
    if (depth > 500) fail('nesting too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: SerdesObject = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const k = str();
        ws();
        if (text[i++] !== ':') fail("expected ':'");
        obj[k] = value(depth + 1);
        ws();
        const d = text[i++];
        if (d === '}') return obj;
        if (d !== ',') fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const arr: SerdesValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        const d = text[i++];
        if (d === ']') return arr;
        if (d !== ',') fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    if (c === 't') return lit('true', true);
    if (c === 'f') return lit('false', false);
    if (c === 'n') return lit('null', null);
    if (c === 'N') return lit('NaN', NaN);
    if (c === 'I') return lit('Infinity', Infinity);
    if (c === '-' && text.startsWith('-Infinity', i)) return lit('-Infinity', -Infinity);
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return num();
    return fail(c === undefined ? 'unexpected end of input' : 'unexpected character');
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}

// ---- typed access to deserialized objects -------------------------------------------------

export function isObject(v: SerdesValue | undefined): v is SerdesObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof PyFloat);
}

/** Parses `text` and checks it is an object of one of the accepted serdes classes. */
export function readObject(text: string, classes: readonly string[], what: string): SerdesObject {
  if (typeof text !== 'string' || text.length === 0) throw malformed(`${what}: empty payload`);
  const v = parsePyJson(text);
  return expectClass(v, classes, what);
}

export function expectClass(v: SerdesValue | undefined, classes: readonly string[], what: string): SerdesObject {
  if (!isObject(v)) throw malformed(`${what}: expected an object`);
  const cls = v.__class__;
  if (typeof cls !== 'string' || !classes.includes(cls)) {
    throw malformed(`${what}: expected ${classes.join(' or ')}, got ${typeof cls === 'string' ? cls : 'no __class__'}`);
  }
  return v;
}

export function str(o: SerdesObject, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw malformed(`${what}.${key}: expected a string`);
  return v;
}

export function optStr(o: SerdesObject, key: string, what: string): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw malformed(`${what}.${key}: expected a string or null`);
  return v;
}

/** `{"__set__": [...]}` / `{"__frozenset__": [...]}` / list → items; null → null. */
export function optCollection(o: SerdesObject, key: string, what: string): SerdesValue[] | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return v;
  if (isObject(v)) {
    const items = v.__set__ ?? v.__frozenset__;
    if (Array.isArray(items)) return items;
  }
  throw malformed(`${what}.${key}: expected a list or set`);
}

// ---- writing helpers ----------------------------------------------------------------------

/**
 * Plain JSON data (from JSON.parse or a JS object) as serdes values; other values as strings.
 * Non-finite numbers become null, as in JSON.stringify (Dagster's readers choke on NaN).
 */
export function fromJson(v: unknown): SerdesValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') return v;
  if (Array.isArray(v)) return v.map(fromJson);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, fromJson(x)]));
  return String(v);
}

/** `{"__class__": name, ...fields}` */
export function klass(name: string, fields: SerdesObject): SerdesObject {
  return { __class__: name, ...fields };
}

export const enumValue = (name: string): SerdesObject => ({ __enum__: name });

/** Python set serialization: items sorted by `str(item)`; `key` gives that string. */
export function pySet<T>(items: readonly T[], key: (t: T) => string, write: (t: T) => SerdesValue, frozen = false): SerdesObject {
  const sorted = [...items].sort((a, b) => codePointCompare(key(a), key(b)));
  return { [frozen ? '__frozenset__' : '__set__']: sorted.map(write) };
}
