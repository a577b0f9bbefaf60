/**
 * OpenAPI pieces derived from the zod schemas the routes validate with, so the document
 * describes exactly what is accepted and returned.
 */
import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiResponse, type OperationObject } from '@nestjs/swagger';
import { z } from 'zod';
import { errorBodySchema } from './error-mapping';

export type JsonSchema = Record<string, unknown>;

export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const out = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as JsonSchema;
  delete out.$schema;
  return out;
}

const ERROR_TEXT: Record<number, string> = {
  400: 'invalid request (body, parameter or JSON)',
  401: 'missing or wrong admin bearer token',
  404: 'not found',
  409: 'conflict with the current state',
  413: 'request body larger than the limit',
  429: 'rate limit exceeded',
  503: 'a backing store is unavailable',
};

/** The JSON error shape's response for each status: `{status: {description, schema}}`. */
function errorResponses(statuses: readonly number[]): Record<number, { description: string; schema: JsonSchema }> {
  const schema = jsonSchema(errorBodySchema);
  return Object.fromEntries(statuses.map((status) => [status, { description: ERROR_TEXT[status] ?? 'error', schema }]));
}

/** Documents the JSON error shape for each status. */
export function ApiErrors(...statuses: number[]): MethodDecorator {
  return applyDecorators(...Object.entries(errorResponses(statuses)).map(([status, r]) => ApiResponse({ status: Number(status), ...r })));
}

/** What an operation served outside Nest's controllers (a Fastify route) declares about itself. */
export interface JsonOperation {
  operationId: string;
  summary: string;
  tag: string;
  request: z.ZodType;
  response: z.ZodType;
  responseDescription: string;
  errors: readonly number[];
}

const jsonContent = (schema: JsonSchema) => ({ 'application/json': { schema } });

/**
 * The OpenAPI operation of a JSON POST route, from the zod schemas it validates and
 * serializes with: the same document the decorators below give a Nest controller.
 */
export function jsonOperation(op: JsonOperation): OperationObject {
  const errors = Object.fromEntries(Object.entries(errorResponses(op.errors)).map(([status, r]) => [status, { description: r.description, content: jsonContent(r.schema) }]));
  return {
    operationId: op.operationId,
    summary: op.summary,
    tags: [op.tag],
    parameters: [],
    requestBody: { required: true, content: jsonContent(jsonSchema(op.request, 'input')) },
    responses: { 200: { description: op.responseDescription, content: jsonContent(jsonSchema(op.response)) }, ...errors },
  };
}

/** A JSON request body; `required: false` for routes that take an empty request (an optional who/why). */
export function ApiJsonBody(schema: z.ZodType, description?: string, required = true): MethodDecorator {
  return ApiBody({ schema: jsonSchema(schema, 'input'), description, required });
}

export function ApiJsonResponse(status: number, schema: z.ZodType, description: string): MethodDecorator {
  return ApiResponse({ status, description, schema: jsonSchema(schema) });
}
