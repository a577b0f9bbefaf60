/**
 * An arm of a Seldon graph as a real MODEL component: a plain `node:http` server that
 * answers `/predict` (and `/api/v1.0/predictions`, `/api/v0.1/predictions`) with the arm's
 * payload in a SeldonMessage, accepts the feedback the executor forwards to the chosen
 * child (`/send-feedback`, `/api/v1.0/feedback`), and serves `/health/ping`,
 * `/health/status`, `/metadata` and Prometheus text — so each child of the router is a
 * pod the executor can call like any Seldon model.
 *
 * Requests are read like Seldon's wrapper reads them: raw JSON, a form field `json=`, or a
 * query parameter `json`; a bad message gets Seldon's error shape with HTTP 400.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { BanditError, ErrorCode, invalidInput, notFound } from '../common/errors';
import { extractSeldonJson } from './seldon-body';
import { toSeldonError } from './seldon-error';
import { readFeedback, readSeldonMessage } from './seldon-message';
import { armPredictReply, feedbackReply, healthStatusReply, metadataReply } from './seldon-reply';

export interface ArmServerOptions {
  name: string;
  /** The variant's payload (any JSON value): arrays are returned as `data.ndarray`, the rest as `jsonData`. */
  payload: unknown;
  version: string;
  metricsPath: string;
  bodyLimitBytes: number;
}

const PREDICT = new Set(['/predict', '/api/v1.0/predictions', '/api/v0.1/predictions']);
const FEEDBACK = new Set(['/send-feedback', '/api/v1.0/feedback', '/api/v0.1/feedback']);
const STATUS = new Set(['/health/status', '/api/v1.0/health/status']);
const METADATA = new Set(['/metadata', '/api/v1.0/metadata']);

/**
 * The request body, up to `limit` bytes. A larger body is refused (413) without cutting the
 * connection under the client: the rest is read and dropped, so the client reads the answer.
 */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (c: Buffer) => {
      if (refused) return;
      size += c.length;
      if (size > limit) {
        refused = true;
        chunks.length = 0;
        reject(new BanditError(ErrorCode.PayloadTooLarge, `request body is larger than ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The parsed body the way the router's transport hands it over: form → object, anything else → raw text. */
function bodyFor(contentType: string | undefined, raw: Buffer): unknown {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'multipart/form-data') throw invalidInput('multipart requests are not accepted by an arm; send JSON or a form field json=');
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  return raw.length === 0 ? undefined : raw;
}

/** One request listener (one set of counters) that can serve on several ports (HTTP and Seldon's metrics port). */
export function createArmListener(opts: ArmServerOptions): http.RequestListener {
  const registry = new Registry();
  const predictions = new Counter({ name: 'bandit_arm_predictions_total', help: 'Predictions served by this arm', labelNames: ['arm'], registers: [registry] });
  const feedbacks = new Counter({ name: 'bandit_arm_feedback_total', help: 'Feedback messages received by this arm', labelNames: ['arm'], registers: [registry] });
  const metadata = metadataReply({
    name: opts.name,
    version: opts.version,
    messageType: Array.isArray(opts.payload) ? 'ndarray' : 'jsonData',
    custom: { arm: opts.name },
  });

  const send = (res: http.ServerResponse, status: number, body: unknown, type = 'application/json') => {
    const text = typeof body === 'string' && type !== 'application/json' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://arm');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/health/ping' && method === 'GET') return send(res, 200, 'pong', 'text/plain; charset=utf-8');
    if (STATUS.has(path) && method === 'GET') return send(res, 200, healthStatusReply());
    if (METADATA.has(path) && method === 'GET') return send(res, 200, metadata);
    if (path === opts.metricsPath && method === 'GET') return send(res, 200, await registry.metrics(), registry.contentType);
    const isPredict = PREDICT.has(path);
    if ((isPredict || FEEDBACK.has(path)) && (method === 'POST' || method === 'GET')) {
      const raw = await readBody(req, opts.bodyLimitBytes);
      const json = extractSeldonJson({ body: bodyFor(req.headers['content-type'], raw), query: Object.fromEntries(url.searchParams) });
      const puid = typeof req.headers['seldon-puid'] === 'string' && req.headers['seldon-puid'] !== '' ? req.headers['seldon-puid'] : undefined;
      if (isPredict) {
        const message = readSeldonMessage(json, 'message');
        predictions.inc({ arm: opts.name });
        return send(res, 200, armPredictReply(opts.name, opts.payload, message.meta.puid ?? puid));
      }
      readFeedback(json);
      feedbacks.inc({ arm: opts.name });
      return send(res, 200, feedbackReply({ arm: opts.name }));
    }
    throw notFound(`no such route: ${method} ${path}`);
  };

  // every error, an unknown route included, through the service's one description in Seldon's shape
  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      const { http: status, body } = toSeldonError(err);
      if (!res.headersSent) send(res, status, body);
      else res.destroy();
    });
  };
}

export function createArmServer(opts: ArmServerOptions): http.Server {
  return http.createServer(createArmListener(opts));
}

/** Starts listening; resolves with the bound port. */
export function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
