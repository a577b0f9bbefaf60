/**
 * The Seldon controller's paths (src/seldon/seldon.controller.ts), in a file of their own so
 * that its error handler (seldon-exception.filter.ts) can name them without an import
 * cycle. Every error on them, framework errors included, is answered in Seldon's shape.
 */
export const SELDON_PATHS = [
  '/route',
  '/send-feedback',
  '/api/v1.0/feedback',
  '/api/v0.1/feedback',
  '/health/ping',
  '/health/status',
  '/api/v1.0/health/status',
  '/metadata',
  '/api/v1.0/metadata',
] as const;
