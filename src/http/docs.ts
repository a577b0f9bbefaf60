/**
 * Swagger UI at /docs, served from the swagger-ui-dist package that @nestjs/swagger ships
 * with (three files, read once), and the OpenAPI document at /openapi.json (+ .yaml).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { BanditError, ErrorCode } from '../common/errors';
import { sendError } from './exception.filter';

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
};

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bayesian Bandit service API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });</script>
</body></html>`;

function assetDir(): string {
  const nestSwagger = require.resolve('@nestjs/swagger');
  return path.dirname(require.resolve('swagger-ui-dist/package.json', { paths: [path.dirname(nestSwagger), process.cwd()] }));
}

export function installDocs(app: NestFastifyApplication, doc: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, doc, { ui: false, raw: ['json', 'yaml'], jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const cache = new Map<string, Buffer>();
  fastify.get('/docs', (_req, reply) => {
    void reply.type('text/html; charset=utf-8').send(PAGE);
  });
  fastify.get<{ Params: { file: string } }>('/docs/:file', (req, reply) => {
    const type = ASSETS[req.params.file];
    if (!type) {
      return sendError(reply, new BanditError(ErrorCode.NotFound, `no such route: GET ${req.url}`));
    }
    let body = cache.get(req.params.file);
    if (!body) {
      body = fs.readFileSync(path.join(assetDir(), req.params.file));
      cache.set(req.params.file, body);
    }
    void reply.type(type).header('cache-control', 'public, max-age=86400').send(body);
  });
}
