/**
 * OpenAPI pieces derived from the zod schemas the routes validate with, so the document
 * describes exactly what is accepted and returned.
 */
import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiResponse } from '@nestjs/swagger';
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

/** Documents the JSON error shape for each status. */
export function ApiErrors(...statuses: number[]): MethodDecorator {
  const schema = jsonSchema(errorBodySchema);
  return applyDecorators(...statuses.map((status) => ApiResponse({ status, description: ERROR_TEXT[status] ?? 'error', schema })));
}

/** A JSON request body; `required: false` for routes that take an empty request (an optional who/why). */
export function ApiJsonBody(schema: z.ZodType, description?: string, required = true): MethodDecorator {
  return ApiBody({ schema: jsonSchema(schema, 'input'), description, required });
}

export function ApiJsonResponse(status: number, schema: z.ZodType, description: string): MethodDecorator {
  return ApiResponse({ status, description, schema: jsonSchema(schema) });
}
