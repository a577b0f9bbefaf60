/**
 * The one place where the environment is read. Everything else receives a typed
 * `Config` (or the part of it that it needs); no other file reads `process.env`.
 *
 * An invalid value stops startup with a `ConfigError` naming the variable.
 */
import * as path from 'node:path';
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`invalid configuration: ${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface RedisConfig {
  /** redis://[:password@]host:port/db — from BANDIT_REDIS_URL or DRAGONFLY_HOST/PORT/DB */
  url: string;
  host: string;
  port: number;
  db: number;
  password?: string;
  /** Seed nodes of a Redis Cluster (BANDIT_REDIS_CLUSTER=true, or a redis+cluster://h:p,h:p URL); unset: one server. */
  cluster?: Array<{ host: string; port: number }>;
}

export interface MinioConfig {
  endPoint: string;
  port: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
}

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  /** Home of every embedded default (SQLite file, in-process store snapshots, object store folder, run folder). */
  dataDir: string;
  /** Posterior store: Dragonfly / Redis when set; the in-process store when undefined. */
  redis?: RedisConfig;
  /** Event store: Postgres when set; SQLite at `sqlitePath` when undefined. */
  databaseUrl?: string;
  sqlitePath: string;
  adminToken?: string;
  /** Object store: MinIO / S3 when set; a local folder under dataDir when undefined. */
  minio?: MinioConfig;
  objectStoreDir: string;
  bucket: string;
  /** Tracking: MLflow when set; a local run folder when undefined. */
  mlflowTrackingUri?: string;
  mlflowRunsDir: string;
  obdPath?: string;
  /** How long a served decision can still be rewarded. */
  decisionTtlSeconds: number;
  /** Requests per minute per client IP; 0 disables the limit. */
  rateLimitPerMinute: number;
  /** Maximum request body in bytes. */
  bodyLimitBytes: number;
  /** Seconds between periodic posterior snapshots written to the event store (0: only at decisions). */
  snapshotIntervalSeconds: number;
  /** Milliseconds between moves of queued events (Redis stream / in-process queue) into the event store. */
  eventFlushIntervalMs: number;
  /** Minimum milliseconds between automatic stopping-rule evaluations of one experiment in one process. */
  autoConcludeIntervalMs: number;
  /** How long /select may serve from the allocation of an older posterior state before recomputing it. */
  allocationRefreshMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  codeServerPort: number;
  pipelineImage: string;
  /** Container context the Dagster code location reports for its run pods (DAGSTER_CONTAINER_CONTEXT, a JSON object, as `dagster api grpc` reads it). */
  dagsterContainerContext: Record<string, unknown>;
  serviceImage: string;
  seldon: {
    unitId?: string;
    parameters?: string;
    metricsPath: string;
    /** Second listener for Prometheus text (PREDICTIVE_UNIT_METRICS_SERVICE_PORT, set by the Seldon operator). */
    metricsPort?: number;
  };
  /** /readyz answers 503 "degraded" when an event waited this long in the queue (0: never). */
  readyMaxEventLagSeconds: number;
  /** Redis commands that get no answer for this long fail (503); 0: no limit. */
  redisCommandTimeoutMs: number;
  /** A request whose body is not received within this long answers 408; 0: no limit. */
  requestBodyTimeoutMs: number;
}

type Env = Record<string, string | undefined>;

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

function parse<T>(env: Env, name: string, schema: z.ZodType<T>, fallback?: string): T {
  const raw = nonEmpty(env[name]) ?? fallback;
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(name, `${issue?.message ?? 'invalid value'} (got ${raw === undefined ? 'nothing' : JSON.stringify(redactIfSecret(name, raw))})`);
  }
  return result.data;
}

function redactIfSecret(name: string, raw: string): string {
  return /TOKEN|SECRET|PASSWORD|KEY/.test(name) ? '<redacted>' : raw;
}

const port = z.coerce.number().int('must be an integer').min(0, 'must be 0..65535').max(65535, 'must be 0..65535');
const positiveInt = z.coerce.number().int('must be an integer').positive('must be > 0');
const nonNegativeInt = z.coerce.number().int('must be an integer').min(0, 'must be >= 0');

function redisFromEnv(env: Env): RedisConfig | undefined {
  const single = singleRedisFromEnv(env);
  const flag = parse(env, 'BANDIT_REDIS_CLUSTER', z.enum(['true', 'false', '1', '0']), 'false');
  if (single === undefined || single.cluster !== undefined || (flag !== 'true' && flag !== '1')) return single;
  if (single.db !== 0) throw new ConfigError('BANDIT_REDIS_CLUSTER', `a Redis Cluster has only database 0, got ${single.db}`);
  return { ...single, cluster: [{ host: single.host, port: single.port }] };
}

/** redis+cluster://[:password@]host:port[,host:port…] */
function clusterFromUrl(urlRaw: string): RedisConfig {
  const m = /^redis\+cluster:\/\/(?:([^@/]*)@)?([^/?#]+)\/?(0)?$/.exec(urlRaw);
  if (!m) throw new ConfigError('BANDIT_REDIS_URL', 'expected redis+cluster://[:password@]host:port[,host:port…] (database 0 only)');
  const seeds = m[2].split(',').map((hp) => {
    const hm = /^([^:,]+):([0-9]{1,5})$/.exec(hp.trim());
    if (!hm || Number(hm[2]) > 65535) throw new ConfigError('BANDIT_REDIS_URL', `cluster seed nodes must be host:port, got ${JSON.stringify(hp)}`);
    return { host: hm[1], port: Number(hm[2]) };
  });
  const auth = m[1] ?? '';
  const password = auth.includes(':') ? decodeURIComponent(auth.slice(auth.indexOf(':') + 1)) : undefined;
  return { url: urlRaw, host: seeds[0].host, port: seeds[0].port, db: 0, password: password || undefined, cluster: seeds };
}

function singleRedisFromEnv(env: Env): RedisConfig | undefined {
  const urlRaw = nonEmpty(env.BANDIT_REDIS_URL);
  if (urlRaw?.startsWith('redis+cluster://')) return clusterFromUrl(urlRaw);
  if (urlRaw !== undefined) {
    let u: URL;
    try {
      u = new URL(urlRaw);
    } catch {
      throw new ConfigError('BANDIT_REDIS_URL', 'not a URL (expected redis://host:port/db)');
    }
    if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new ConfigError('BANDIT_REDIS_URL', `scheme must be redis:// or rediss://, got ${u.protocol}//`);
    const dbPart = u.pathname.replace(/^\//, '');
    const db = dbPart === '' ? 0 : Number(dbPart);
    if (!Number.isInteger(db) || db < 0) throw new ConfigError('BANDIT_REDIS_URL', `database index must be a non-negative integer, got ${JSON.stringify(dbPart)}`);
    const p = u.port === '' ? 6379 : Number(u.port);
    return { url: urlRaw, host: u.hostname, port: p, db, password: u.password ? decodeURIComponent(u.password) : undefined };
  }
  const host = nonEmpty(env.DRAGONFLY_HOST);
  if (host === undefined) {
    for (const v of ['DRAGONFLY_PORT', 'DRAGONFLY_DB', 'DRAGONFLY_PASSWORD']) {
      if (nonEmpty(env[v]) !== undefined) throw new ConfigError(v, 'set without DRAGONFLY_HOST');
    }
    return undefined;
  }
  const p = parse(env, 'DRAGONFLY_PORT', port, '6379');
  const db = parse(env, 'DRAGONFLY_DB', nonNegativeInt, '0');
  const password = nonEmpty(env.DRAGONFLY_PASSWORD);
  const auth = password ? `:${encodeURIComponent(password)}@` : '';
  return { url: `redis://${auth}${host}:${p}/${db}`, host, port: p, db, password };
}

function minioFromEnv(env: Env, bucket: string): MinioConfig | undefined {
  const endpoint = nonEmpty(env.MINIO_ENDPOINT);
  if (endpoint === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(endpoint.includes('://') ? endpoint : `http://${endpoint}`);
  } catch {
    throw new ConfigError('MINIO_ENDPOINT', 'not a host:port or URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError('MINIO_ENDPOINT', `scheme must be http or https, got ${u.protocol}`);
  const accessKey = nonEmpty(env.MINIO_ACCESS_KEY);
  const secretKey = nonEmpty(env.MINIO_SECRET_KEY);
  if (!accessKey) throw new ConfigError('MINIO_ACCESS_KEY', 'required when MINIO_ENDPOINT is set');
  if (!secretKey) throw new ConfigError('MINIO_SECRET_KEY', 'required when MINIO_ENDPOINT is set');
  const useSSL = u.protocol === 'https:';
  return {
    endPoint: u.hostname,
    port: u.port === '' ? (useSSL ? 443 : 80) : Number(u.port),
    useSSL,
    accessKey,
    secretKey,
    bucket,
    region: nonEmpty(env.MINIO_REGION) ?? 'us-east-1',
  };
}

function jsonObject(env: Env, name: string): Record<string, unknown> {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new ConfigError(name, 'not valid JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(name, 'must be a JSON object');
  return v as Record<string, unknown>;
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const nodeEnv = parse(env, 'NODE_ENV', z.enum(['development', 'production', 'test']), 'development');
  const dataDir = path.resolve(cwd, parse(env, 'BANDIT_DATA_DIR', z.string().min(1), './.bandit'));
  const databaseUrl = nonEmpty(env.BANDIT_DATABASE_URL);
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\/[^\s]+$/.test(databaseUrl)) {
    throw new ConfigError('BANDIT_DATABASE_URL', 'must be a postgres:// or postgresql:// URL (unset it to use the embedded SQLite file)');
  }
  const bucket = parse(env, 'MINIO_BUCKET', z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid bucket name'), 'bandit');
  const mlflowTrackingUri = nonEmpty(env.MLFLOW_TRACKING_URI);
  if (mlflowTrackingUri !== undefined && !/^https?:\/\/[^\s]+$/.test(mlflowTrackingUri)) {
    throw new ConfigError('MLFLOW_TRACKING_URI', 'must be an http:// or https:// URL of an MLflow tracking server (unset it for the local run folder)');
  }
  const adminToken = nonEmpty(env.BANDIT_ADMIN_TOKEN);
  if (adminToken !== undefined && adminToken.length < 16) throw new ConfigError('BANDIT_ADMIN_TOKEN', 'must be at least 16 characters');
  return {
    nodeEnv,
    // inside a Seldon graph the operator assigns the port
    port: parse(env, nonEmpty(env.PREDICTIVE_UNIT_HTTP_SERVICE_PORT) ? 'PREDICTIVE_UNIT_HTTP_SERVICE_PORT' : 'PORT', port, '8000'),
    host: parse(env, 'BANDIT_HOST', z.string().min(1), '0.0.0.0'),
    dataDir,
    redis: redisFromEnv(env),
    databaseUrl,
    sqlitePath: path.join(dataDir, 'bandit.sqlite'),
    adminToken,
    minio: minioFromEnv(env, bucket),
    objectStoreDir: path.join(dataDir, 'objects'),
    bucket,
    mlflowTrackingUri,
    mlflowRunsDir: path.join(dataDir, 'mlruns'),
    obdPath: nonEmpty(env.BANDIT_OBD_PATH) ? path.resolve(cwd, env.BANDIT_OBD_PATH as string) : undefined,
    decisionTtlSeconds: parse(env, 'BANDIT_DECISION_TTL_SECONDS', positiveInt, String(7 * 24 * 3600)),
    rateLimitPerMinute: parse(env, 'BANDIT_RATE_LIMIT_PER_MINUTE', nonNegativeInt, '0'),
    bodyLimitBytes: parse(env, 'BANDIT_BODY_LIMIT_BYTES', positiveInt, String(64 * 1024)),
    snapshotIntervalSeconds: parse(env, 'BANDIT_SNAPSHOT_INTERVAL_SECONDS', nonNegativeInt, '60'),
    eventFlushIntervalMs: parse(env, 'BANDIT_EVENT_FLUSH_MS', positiveInt, '200'),
    autoConcludeIntervalMs: parse(env, 'BANDIT_AUTO_CONCLUDE_INTERVAL_MS', nonNegativeInt, '1000'),
    allocationRefreshMs: parse(env, 'BANDIT_ALLOCATION_REFRESH_MS', nonNegativeInt, '100'),
    logLevel: parse(env, 'BANDIT_LOG_LEVEL', z.enum(['debug', 'info', 'warn', 'error', 'silent']), 'info'),
    codeServerPort: parse(env, 'BANDIT_CODE_SERVER_PORT', port, '4000'),
    pipelineImage: parse(env, 'BANDIT_PIPELINE_IMAGE', z.string().min(1), 'ghcr.io/ekenheim/bandit-pipeline:latest'),
    dagsterContainerContext: jsonObject(env, 'DAGSTER_CONTAINER_CONTEXT'),
    serviceImage: parse(env, 'BANDIT_SERVICE_IMAGE', z.string().min(1), 'ghcr.io/ekenheim/bandit-service:latest'),
    seldon: {
      unitId: nonEmpty(env.PREDICTIVE_UNIT_ID),
      parameters: nonEmpty(env.PREDICTIVE_UNIT_PARAMETERS),
      metricsPath: parse(env, 'PREDICTIVE_UNIT_METRICS_ENDPOINT', z.string().regex(/^\/[A-Za-z0-9/_-]*$/, 'must be a path like /prometheus'), '/prometheus'),
      metricsPort: nonEmpty(env.PREDICTIVE_UNIT_METRICS_SERVICE_PORT) === undefined ? undefined : parse(env, 'PREDICTIVE_UNIT_METRICS_SERVICE_PORT', port),
    },
    readyMaxEventLagSeconds: parse(env, 'BANDIT_READY_MAX_EVENT_LAG_SECONDS', nonNegativeInt, '60'),
    redisCommandTimeoutMs: parse(env, 'BANDIT_REDIS_COMMAND_TIMEOUT_MS', nonNegativeInt, '2000'),
    requestBodyTimeoutMs: parse(env, 'BANDIT_REQUEST_BODY_TIMEOUT_MS', nonNegativeInt, '10000'),
  };
}

/** The variables `loadConfig` reads, for the README table and `bandit --help`. */
export const CONFIG_VARIABLES: ReadonlyArray<{ name: string; default: string; meaning: string }> = [
  { name: 'PORT', default: '8000', meaning: 'HTTP port of bandit-service' },
  { name: 'BANDIT_DATA_DIR', default: './.bandit', meaning: 'home of every embedded default (SQLite, object folder, run folder, plots)' },
  { name: 'DRAGONFLY_HOST / DRAGONFLY_PORT / DRAGONFLY_DB', default: '(unset: in-process store)', meaning: 'Dragonfly / Redis holding the posteriors' },
  { name: 'BANDIT_REDIS_URL', default: '(unset)', meaning: 'the same as one redis:// URL (or redis+cluster://h:p,h:p for a Redis Cluster); wins over DRAGONFLY_*' },
  { name: 'BANDIT_REDIS_CLUSTER', default: 'false', meaning: 'true: the Dragonfly / Redis address is a seed node of a Redis Cluster (cluster client)' },
  { name: 'BANDIT_DATABASE_URL', default: '(unset: SQLite in the data dir)', meaning: 'postgres:// URL of the event store' },
  { name: 'BANDIT_ADMIN_TOKEN', default: '(unset: admin open; required with NODE_ENV=production)', meaning: 'bearer token for creating, concluding, stopping experiments' },
  { name: 'MINIO_ENDPOINT / MINIO_ACCESS_KEY / MINIO_SECRET_KEY', default: '(unset: local folder)', meaning: 'MinIO / S3 object store' },
  { name: 'MINIO_BUCKET', default: 'bandit', meaning: 'bucket of the object store' },
  { name: 'MLFLOW_TRACKING_URI', default: '(unset: local run folder)', meaning: 'MLflow tracking server' },
  { name: 'BANDIT_OBD_PATH', default: '(unset)', meaning: 'folder of Open Bandit Dataset logs for ingest_obp' },
  { name: 'BANDIT_DECISION_TTL_SECONDS', default: '604800', meaning: 'how long a decision can be rewarded' },
  { name: 'BANDIT_RATE_LIMIT_PER_MINUTE', default: '0 (off)', meaning: 'requests per minute per client' },
  { name: 'BANDIT_BODY_LIMIT_BYTES', default: '65536', meaning: 'largest accepted request body' },
  { name: 'BANDIT_SNAPSHOT_INTERVAL_SECONDS', default: '60', meaning: 'period of posterior snapshots in the event store (0: only at decisions)' },
  { name: 'BANDIT_EVENT_FLUSH_MS', default: '200', meaning: 'period of moving queued events into the event store (the embedded store loses at most this much on a crash)' },
  { name: 'BANDIT_AUTO_CONCLUDE_INTERVAL_MS', default: '1000', meaning: 'minimum time between automatic stopping-rule evaluations per experiment' },
  { name: 'BANDIT_ALLOCATION_REFRESH_MS', default: '100', meaning: 'maximum age of the posterior state /select allocates from (0: recompute on every change)' },
  { name: 'BANDIT_LOG_LEVEL', default: 'info', meaning: 'debug, info, warn, error, silent' },
  { name: 'BANDIT_CODE_SERVER_PORT', default: '4000', meaning: 'gRPC port of the Dagster code server' },
  { name: 'DAGSTER_CONTAINER_CONTEXT', default: '{}', meaning: 'container context (JSON) the Dagster code location reports for run pods, e.g. the K8sRunLauncher settings' },
  { name: 'PREDICTIVE_UNIT_ID / PREDICTIVE_UNIT_PARAMETERS', default: '(unset: not a Seldon router)', meaning: 'Seldon graph node name and parameters (experiment_id, arms | n_branches); set by the Seldon operator' },
  { name: 'PREDICTIVE_UNIT_HTTP_SERVICE_PORT', default: '(unset: PORT)', meaning: 'HTTP port inside a Seldon graph; wins over PORT' },
  { name: 'PREDICTIVE_UNIT_METRICS_SERVICE_PORT / PREDICTIVE_UNIT_METRICS_ENDPOINT', default: '(unset) / /prometheus', meaning: 'extra port and path of the Prometheus text for Seldon' },
  { name: 'BANDIT_READY_MAX_EVENT_LAG_SECONDS', default: '60', meaning: '/readyz answers 503 "degraded" when an event has waited this long to be stored (0: never)' },
  { name: 'BANDIT_REDIS_COMMAND_TIMEOUT_MS', default: '2000', meaning: 'a Redis command without an answer this long fails with 503 (0: wait forever)' },
  { name: 'BANDIT_REQUEST_BODY_TIMEOUT_MS', default: '10000', meaning: 'a request body not received within this long answers 408 (0: no limit)' },
];
