/**
 * Builds the service: opens the posterior store and the event store chosen by config
 * (unless given), creates the Nest application on Fastify with the error shape, body
 * limit, rate limit, request metrics, the serving routes (a Fastify plugin,
 * src/serving/serving.routes.ts) and the OpenAPI document, and initializes it (startup
 * rebuild, event consumer). `listen` is left to the caller.
 */
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { SELDON_PATHS } from '../seldon/seldon.controller';
import { installSeldonErrorHandler } from '../seldon/seldon-exception.filter';
import { servingOpenApiPaths, servingRoutes } from '../serving/serving.routes';
import { ServingService } from '../serving/serving.service';
import type { DataSource } from 'typeorm';
import { SystemClock, type ClockRepository } from '../clock/clock.repository';
import { BanditError, ErrorCode } from '../common/errors';
import type { Config } from '../config/config';
import { VERSION } from '../config/version';
import { openDataSource } from '../event-store/data-source';
import { EventConsumer } from '../event-store/event-consumer';
import { errorBody } from '../http/error-mapping';
import { SlidingWindowLimiter } from '../http/rate-limit';
import { installDocs } from '../http/docs';
import { errorJson, HttpExceptionFilter, sendError } from '../http/exception.filter';
import { MetricsService } from '../metrics/metrics.service';
import { openPosteriorStore } from '../posterior-store/open-store';
import type { PosteriorStore } from '../posterior-store/posterior-store';
import { AppModule, type AppExtensions } from './app.module';

export interface CreateAppOptions extends AppExtensions {
  store?: PosteriorStore;
  dataSource?: DataSource;
  clock?: ClockRepository;
  /** false: no background event consumer in this process (`bandit serve --no-consumer`). */
  eventConsumer?: boolean;
  /** Every log line on stderr (a CLI whose stdout is its report, e.g. the demo's in-process service). */
  logToStderr?: boolean;
}

/** Nest's console logger with every level on stderr. */
export class StderrLogger extends ConsoleLogger {
  protected override printMessages(messages: unknown[], context?: string, logLevel?: LogLevel, _stream?: 'stdout' | 'stderr', errorStack?: unknown): void {
    super.printMessages(messages, context, logLevel, 'stderr', errorStack);
  }
}

const LOG_LEVELS: Record<Config['logLevel'], LogLevel[] | false> = {
  debug: ['error', 'warn', 'log', 'debug'],
  info: ['error', 'warn', 'log'],
  warn: ['error', 'warn'],
  error: ['error'],
  silent: false,
};

/** Routes outside the rate limit: the health probes (an orchestrator polls them). */
const UNLIMITED = new Set(['/healthz', '/readyz']);

export async function createApp(config: Config, opts: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const ownsResources = opts.store === undefined && opts.dataSource === undefined;
  const store = opts.store ?? openPosteriorStore(config);
  let dataSource: DataSource;
  try {
    dataSource = opts.dataSource ?? (await openDataSource(config));
  } catch (err) {
    if (opts.store === undefined) await store.close().catch(() => undefined);
    throw new BanditError(ErrorCode.Unavailable, `cannot open the event store (${config.databaseUrl ? 'postgres' : config.sqlitePath}): ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return await buildApp(config, opts, store, dataSource, ownsResources);
  } catch (err) {
    // a failed start leaves no open connection behind (it would keep the process alive)
    if (opts.store === undefined) await store.close().catch(() => undefined);
    if (opts.dataSource === undefined && dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    throw err;
  }
}

async function buildApp(config: Config, opts: CreateAppOptions, store: PosteriorStore, dataSource: DataSource, ownsResources: boolean): Promise<NestFastifyApplication> {
  const adapter = new ServiceFastifyAdapter({ bodyLimit: config.bodyLimitBytes, logger: false, return503OnClosing: false, clientErrorHandler: answerClientError });
  const fastify = adapter.getInstance() as unknown as FastifyInstance;
  const module = AppModule.forRoot({ config, store, dataSource, clock: opts.clock ?? new SystemClock(), ownsResources }, opts);
  const levels = LOG_LEVELS[config.logLevel];
  const logger = opts.logToStderr && levels !== false ? new StderrLogger({ logLevels: levels }) : levels;
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, { logger, abortOnError: false });
  app.useGlobalFilters(new HttpExceptionFilter());
  // errors raised before a route runs (body too large, unreadable JSON) and by the Fastify
  // routes get the same shape; Seldon's routes have their own handler (Seldon's shape)
  adapter.setErrorHandler((err: unknown, _req: FastifyRequest, reply: FastifyReply) => sendError(reply, err));
  adapter.lockErrorHandler();
  // the root hooks first: a plugin's scope inherits the hooks its parent has when it loads
  installRequestHooks(fastify, app.get(MetricsService), config.rateLimitPerMinute > 0 ? new SlidingWindowLimiter(config.rateLimitPerMinute, (c, w, n) => store.countRequests(c, w, n)) : undefined);
  installBodyTimeout(fastify, config.requestBodyTimeoutMs);
  refuseFormBodies(fastify);
  installSeldonErrorHandler(fastify);
  await fastify.register(servingRoutes, { serving: app.get<ServingService>(ServingService) });
  installDocs(app, buildOpenApi(app));
  if (opts.eventConsumer === false) app.get(EventConsumer).background = false;
  try {
    await app.init();
  } catch (err) {
    // a module refused to start (e.g. a bad Seldon router parameter): close the stores opened
    // here — an open Redis connection would keep the process alive. (Not app.close(): Fastify's
    // close waits for a boot that a failed init never finishes.)
    if (opts.store === undefined) await store.close().catch(() => undefined);
    if (opts.dataSource === undefined && dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    throw err;
  }
  return app;
}

/**
 * The Fastify adapter with one error handler: the one createApp installs (the documented
 * JSON shape, through the same mapping as the global filter). Nest's own registration
 * during init() would only stack a second handler on the same scope — which Fastify warns
 * about at every start — and is ignored once ours is locked in.
 */
class ServiceFastifyAdapter extends FastifyAdapter {
  private locked = false;
  lockErrorHandler(): void {
    this.locked = true;
  }
  override setErrorHandler(...args: Parameters<FastifyAdapter['setErrorHandler']>): ReturnType<FastifyAdapter['setErrorHandler']> {
    if (this.locked) return this.getInstance() as unknown as ReturnType<FastifyAdapter['setErrorHandler']>;
    return super.setErrorHandler(...args);
  }
}

export function buildOpenApi(app: NestFastifyApplication): OpenAPIObject {
  const doc = new DocumentBuilder()
    .setTitle('Bayesian Bandit service')
    .setDescription(
      'Thompson sampling over Beta posteriors: create experiments, serve arms with /select, count rewards with /reward, ' +
        'read posteriors and winners. Every error is JSON {"error": {"code", "message"}}.',
    )
    .setVersion(VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'BANDIT_ADMIN_TOKEN (creating, concluding, stopping experiments)' })
    .build();
  const document = SwaggerModule.createDocument(app, doc, { operationIdFactory: (_c, method) => method });
  // the Fastify routes' operations, from the schemas they validate and serialize with
  document.paths = { ...document.paths, ...servingOpenApiPaths() };
  return document;
}

/** When a request arrived (performance.now(), ms), on the request itself: a declared field, no WeakMap, no BigInt. */
const STARTED = 'banditStartedMs';

/**
 * A request Node's HTTP parser refuses (Content-Length together with Transfer-Encoding,
 * bad chunking, oversized headers) answers in the documented error shape, then the
 * connection closes (after draining briefly).
 */
function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  // the parser raises again for every chunk that still arrives on a refused connection
  if (err.code === 'ECONNRESET' || socket.destroyed || REFUSED.has(socket)) return;
  const [status, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'request headers are larger than the limit']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request did not arrive in time']
        : [400, `malformed HTTP request (${err.code ?? 'unreadable'}): send either Content-Length or Transfer-Encoding, and well-formed headers`];
  const body = errorJson(ErrorCode.InvalidInput, message);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // A lingering close: answer, half-close, and discard what the client still sends for a
  // moment. Destroying at once would make the kernel reset the connection when the rest of
  // the request arrives, and a client still sending it would lose the answer.
  REFUSED.add(socket);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  socket.on('data', () => undefined).resume();
  const linger = setTimeout(() => socket.destroy(), LINGER_MS);
  linger.unref();
  socket.once('close', () => clearTimeout(linger));
}

/** How long a connection refused by the HTTP parser still drains what its client sends. */
const LINGER_MS = 2000;
/** Connections answered by answerClientError, draining until they close. */
const REFUSED = new WeakSet<Socket>();

/** Routes that take form bodies (Seldon's protocol); every other route takes JSON only. */
const FORM_ROUTES = new Set<string>(SELDON_PATHS);

/**
 * Form bodies (urlencoded, multipart) on a JSON route answer 415 naming the content type
 * to send: `curl -d '{…}'` gets a useful answer instead of an "unrecognized key", and a
 * cross-site HTML form cannot create, conclude or stop experiments. The connection stays
 * open: Node drains the unread body, where closing it would make the kernel reset the
 * connection when the rest of the body arrives and a client still sending it would lose
 * the answer.
 */
function refuseFormBodies(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    const raw = req.headers['content-type'];
    // the common case first: no body, or JSON
    if (raw === undefined || raw === 'application/json') return done();
    const type = raw.toLowerCase();
    if (!(type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data') || type.startsWith('text/plain'))) return done();
    const path = req.url.split('?')[0];
    if (FORM_ROUTES.has(path)) return done();
    // 415, where the error mapping would say 400: the status tells a client what to change
    void reply.status(415).header('content-type', 'application/json; charset=utf-8').send(errorBody(ErrorCode.InvalidInput, `this route takes JSON: send the body with content-type: application/json (got ${type.split(';')[0]})`));
  });
}

/**
 * A request whose body has not fully arrived `timeoutMs` after its headers answers 408 (the
 * JSON error shape, `Connection: close`) and its connection is closed: a client trickling
 * a body byte by byte cannot hold a connection and a request slot for long.
 *
 * One sweep every `timeoutMs / 4` (at most 1 s) looks at the requests still waiting for
 * their body, so a request costs one set entry rather than a timer and three listeners; a
 * late body is cut between `timeoutMs` and 1.25 × `timeoutMs` after its headers. The entry
 * goes when the body is in (preValidation), when the reply is sent, or when the
 * connection closes.
 */
function installBodyTimeout(fastify: FastifyInstance, timeoutMs: number): void {
  if (timeoutMs <= 0) return;
  fastify.decorateRequest(BODY_DEADLINE, 0);
  const waiting = new Set<FastifyReply>();
  const cut = (req: FastifyRequest, reply: FastifyReply): void => {
    reply.hijack();
    const res = reply.raw;
    const body = errorJson(ErrorCode.InvalidInput, `the request body did not arrive within ${timeoutMs} ms; send it at once`);
    res.once('finish', () => req.raw.socket?.destroy());
    res.writeHead(408, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
  };
  const sweep = setInterval(
    () => {
      const now = performance.now();
      for (const reply of waiting) {
        const req = reply.request;
        if (reply.sent || req.raw.complete || req.raw.destroyed) waiting.delete(reply);
        else if (now >= (req as FastifyRequest & { [BODY_DEADLINE]: number })[BODY_DEADLINE]) {
          waiting.delete(reply);
          cut(req, reply);
        }
      }
    },
    Math.max(10, Math.min(1000, Math.floor(timeoutMs / 4))),
  );
  sweep.unref();
  fastify.addHook('onClose', (_instance, done) => {
    clearInterval(sweep);
    waiting.clear();
    done();
  });
  fastify.addHook('onRequest', (req, reply, done) => {
    const len = req.headers['content-length'];
    if ((len === undefined || len === '0') && req.headers['transfer-encoding'] === undefined) return done();
    (req as FastifyRequest & { [BODY_DEADLINE]: number })[BODY_DEADLINE] = performance.now() + timeoutMs;
    waiting.add(reply);
    done();
  });
  fastify.addHook('preValidation', (_req, reply, done) => {
    waiting.delete(reply);
    done();
  });
}

/** When a request's body must have arrived (performance.now(), ms), on the request itself. */
const BODY_DEADLINE = 'banditBodyDeadlineMs';

/**
 * Request timing and the rate limit, for every request. The duration is observed under the
 * route's path: each route gets its own onResponse hook as it is registered, knowing its
 * path (reading `req.routeOptions` would build an object per request); a request no route
 * matched is observed as `unmatched` by the instance's hook.
 */
function installRequestHooks(fastify: FastifyInstance, metrics: MetricsService, limiter: SlidingWindowLimiter | undefined): void {
  fastify.decorateRequest(STARTED, -1);
  const refuse = (reply: FastifyReply, retryAfterSeconds: number) => {
    void reply.header('retry-after', String(retryAfterSeconds));
    sendError(reply, new BanditError(ErrorCode.RateLimited, `more than ${limiter?.perMinute} requests per minute from this client; retry later`));
  };
  fastify.addHook('onRequest', (req, reply, done) => {
    (req as FastifyRequest & { [STARTED]: number })[STARTED] = performance.now();
    if (!limiter) return done();
    const q = req.url.indexOf('?');
    if (UNLIMITED.has(q < 0 ? req.url : req.url.slice(0, q))) return done();
    limiter.check(req.ip).then(
      (d) => (d.ok ? done() : refuse(reply, d.retryAfterSeconds)),
      () => done(),
    );
  });
  const observe = (route: string, req: FastifyRequest, reply: FastifyReply): void => {
    const t0 = (req as FastifyRequest & { [STARTED]: number })[STARTED];
    if (t0 >= 0) metrics.observeRequest(req.method, route, reply.statusCode, (performance.now() - t0) / 1e3);
  };
  fastify.addHook('onResponse', (req, reply, done) => {
    if (req.is404) observe('unmatched', req, reply);
    done();
  });
  fastify.addHook('onRoute', (route) => {
    const url = route.url;
    const hook = (req: FastifyRequest, reply: FastifyReply, done: () => void): void => {
      observe(url, req, reply);
      done();
    };
    const own = route.onResponse;
    route.onResponse = own === undefined ? [hook] : [...(Array.isArray(own) ? own : [own]), hook];
  });
}
