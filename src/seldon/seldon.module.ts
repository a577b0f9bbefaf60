/**
 * The Seldon router on the service's application: the controller, the router service,
 * the puid index (Dragonfly / Redis when configured — connected on first use, so a
 * service that is not a router holds no extra connection — else in-process), and the transport
 * pieces Seldon needs beyond the service's JSON API:
 *
 * - multipart bodies (@fastify/multipart; urlencoded forms are parsed already by the
 *   Nest adapter, else @fastify/formbody is registered) — both only act on their own
 *   content types, so the JSON routes are untouched;
 * - (errors raised by the framework before a Seldon route runs — malformed JSON, body too
 *   large, unsupported media type — get Seldon's shape from the routes' own error handler,
 *   seldon-exception.filter.ts);
 * - Prometheus text on `PREDICTIVE_UNIT_METRICS_ENDPOINT` (default /prometheus) on the
 *   HTTP port, and on `PREDICTIVE_UNIT_METRICS_SERVICE_PORT` when the operator sets one.
 */
import * as http from 'node:http';
import { Inject, Injectable, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import { CLOCK, type ClockRepository } from '../clock/clock.repository';
import { CONFIG } from '../app/tokens';
import type { Config } from '../config/config';
import { MetricsService } from '../metrics/metrics.service';
import { connectRedisClient } from '../posterior-store/redis-client';
import { MemoryPuidIndex, PUID_INDEX, RedisPuidIndex, type PuidIndex } from './puid-index';
import { SeldonController } from './seldon.controller';
import { SeldonRouterService } from './seldon-router.service';

@Injectable()
export class SeldonTransport implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Seldon');
  private metricsServer: http.Server | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(PUID_INDEX) private readonly puids: PuidIndex,
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: MetricsService,
  ) {}

  async onModuleInit(): Promise<void> {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const limit = this.config.bodyLimitBytes;
    if (!fastify.hasContentTypeParser('application/x-www-form-urlencoded')) await fastify.register(formbody, { bodyLimit: limit });
    if (!fastify.hasContentTypeParser('multipart/form-data')) {
      await fastify.register(multipart, { attachFieldsToBody: 'keyValues', limits: { fieldSize: limit, fileSize: limit, files: 4, fields: 16, parts: 20 } });
    }
    const path = this.config.seldon.metricsPath;
    if (!fastify.hasRoute({ method: 'GET', url: path })) {
      fastify.get(path, async (_req, reply) => reply.header('content-type', this.metrics.registry.contentType).send(await this.metrics.registry.metrics()));
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.seldon.metricsPort;
    if (port === undefined || port === this.config.port) return;
    const path = this.config.seldon.metricsPath;
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== path) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`metrics are at ${path}\n`);
        return;
      }
      this.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(err)}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.host, () => resolve());
    });
    this.metricsServer = server;
    this.log.log(`Prometheus metrics on port ${port} at ${path}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.metricsServer;
    this.metricsServer = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.puids.close();
  }
}

@Module({
  controllers: [SeldonController],
  providers: [
    {
      provide: PUID_INDEX,
      useFactory: (config: Config, clock: ClockRepository): PuidIndex => (config.redis ? new RedisPuidIndex(connectRedisClient(config.redis, { lazyConnect: true })) : new MemoryPuidIndex(clock)),
      inject: [CONFIG, CLOCK],
    },
    SeldonRouterService,
    SeldonTransport,
  ],
  exports: [SeldonRouterService],
})
export class SeldonModule {}
