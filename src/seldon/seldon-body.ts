/**
 * Where a Seldon component finds the message in an HTTP request. Seldon's executor posts
 * raw JSON; the Python `SeldonClient` posts a form field `json=<message>`; a GET carries
 * it as the query parameter `json`; multipart requests carry either one `json` field or
 * the message's own fields (`data`, `meta`, `jsonData` as JSON text, `strData` as text, a
 * `binData` file, base64-encoded here as proto3 JSON wants bytes). Pure: the transport
 * hands over what it parsed.
 */
import { invalidInput } from '../common/errors';

export interface MultipartParts {
  /** Text fields by name (the last one wins when a name repeats). */
  fields: Record<string, string>;
  /** File parts by field name. */
  files: Record<string, Buffer>;
}

export interface SeldonHttpInput {
  /** The parsed body: an object (JSON or urlencoded form), a string / Buffer (raw text), or undefined. */
  body: unknown;
  query: Record<string, unknown>;
  multipart?: MultipartParts;
}

function parseJsonText(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalidInput(`${where} is not valid JSON: ${(err as Error).message}`);
  }
}

function fromMultipart(parts: MultipartParts): unknown {
  const { fields, files } = parts;
  if (fields.json !== undefined) {
    const others = [...Object.keys(fields), ...Object.keys(files)].filter((k) => k !== 'json');
    if (others.length > 0) throw invalidInput(`multipart: a "json" field carries the whole message; drop the other fields (${others.join(', ')})`);
    return parseJsonText(fields.json, 'multipart field "json"');
  }
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    out[name] = name === 'strData' ? value : parseJsonText(value, `multipart field ${JSON.stringify(name)}`);
  }
  for (const [name, content] of Object.entries(files)) {
    if (name in out) throw invalidInput(`multipart: ${JSON.stringify(name)} given both as a field and as a file`);
    out[name] = name === 'binData' ? content.toString('base64') : content.toString('utf8');
  }
  if (Object.keys(out).length === 0) throw invalidInput('multipart: no fields (send "json", or the message fields such as "data" / "jsonData" / "strData")');
  return out;
}

function formValue(v: unknown): string | undefined {
  if (Array.isArray(v)) return formValue(v[v.length - 1]);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * The message's JSON value, or a `BanditError(InvalidInput)` saying what was missing or
 * malformed. Precedence as in Seldon's wrapper: multipart, then the form field `json`,
 * then the query parameter `json`, then the raw body.
 */
export function extractSeldonJson(input: SeldonHttpInput): unknown {
  if (input.multipart) return fromMultipart(input.multipart);
  const body = input.body;
  const isForm = typeof body === 'object' && body !== null && !Array.isArray(body) && !Buffer.isBuffer(body);
  if (isForm && 'json' in body && Object.keys(body).length === 1) {
    const text = formValue((body as Record<string, unknown>).json);
    if (text !== undefined) return parseJsonText(text, 'form field "json"');
    // a JSON body {"json": …} that is not text: fall through and let the reader name the field
  }
  const queryText = formValue(input.query.json);
  if (queryText !== undefined && (body === undefined || body === null || body === '')) return parseJsonText(queryText, 'query parameter "json"');
  if (Buffer.isBuffer(body)) return body.length === 0 ? missing() : parseJsonText(body.toString('utf8'), 'request body');
  if (typeof body === 'string') return body.trim() === '' ? missing() : parseJsonText(body, 'request body');
  if (body === undefined || body === null) return missing();
  return body;
}

function missing(): never {
  throw invalidInput('no message in the request: send a JSON body, a form field json=<message>, a query parameter json=<message>, or multipart fields');
}
