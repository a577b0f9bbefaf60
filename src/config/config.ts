/**
 * The one place where configuration is read: every variable declared in ./spec.ts, parsed
 * by its declared schema into a typed `Config`. Everything else receives the `Config` (or
 * the part of it that it needs); outside src/config no file reads `process.env`
 * (config.spec.ts fails when one does; ./environment.ts serves the values known only at
 * run time).
 *
 * An invalid value stops startup with a `ConfigError` naming the variable (a secret's
 * value is never echoed).
 */
import * as path from 'node:path';
import type { DagsterLine } from '../dagster/protocol-version';
import { VARIABLES, type Defaulted, type Variable } from './spec';

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
  /** The user MLflow shows for runs (unset: the OS user). */
  mlflowUser?: string;
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
  /** Cron (UTC) of the Dagster code location's schedule. */
  dagsterScheduleCron: string;
  /** Dagster line the code location answers in (BANDIT_DAGSTER_VERSION; the host sends no version). */
  dagsterLine: DagsterLine;
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

/** The variable's value parsed by its declared schema; its default when unset; undefined when unset without one. */
export function read<T>(env: Env, v: Defaulted<T>): T;
export function read<T>(env: Env, v: Variable<T>): T | undefined;
export function read<T>(env: Env, v: Variable<T>): T | undefined {
  const raw = nonEmpty(env[v.name]) ?? v.default;
  if (raw === undefined) return undefined;
  const result = v.schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(v.name, `${issue?.message ?? 'invalid value'} (got ${v.secret ? '<redacted>' : JSON.stringify(raw)})`);
  }
  return result.data;
}

const V = VARIABLES;

function redisFromEnv(env: Env): RedisConfig | undefined {
  const single = singleRedisFromEnv(env);
  if (single === undefined || single.cluster !== undefined || !read(env, V.BANDIT_REDIS_CLUSTER)) return single;
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
  const urlRaw = read(env, V.BANDIT_REDIS_URL);
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
  const host = read(env, V.DRAGONFLY_HOST);
  if (host === undefined) {
    for (const v of ['DRAGONFLY_PORT', 'DRAGONFLY_DB', 'DRAGONFLY_PASSWORD']) {
      if (nonEmpty(env[v]) !== undefined) throw new ConfigError(v, 'set without DRAGONFLY_HOST');
    }
    return undefined;
  }
  const p = read(env, V.DRAGONFLY_PORT);
  const db = read(env, V.DRAGONFLY_DB);
  const password = read(env, V.DRAGONFLY_PASSWORD);
  const auth = password ? `:${encodeURIComponent(password)}@` : '';
  return { url: `redis://${auth}${host}:${p}/${db}`, host, port: p, db, password };
}

function minioFromEnv(env: Env, bucket: string): MinioConfig | undefined {
  const endpoint = read(env, V.MINIO_ENDPOINT);
  if (endpoint === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(endpoint.includes('://') ? endpoint : `http://${endpoint}`);
  } catch {
    throw new ConfigError('MINIO_ENDPOINT', 'not a host:port or URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError('MINIO_ENDPOINT', `scheme must be http or https, got ${u.protocol}`);
  const accessKey = read(env, V.MINIO_ACCESS_KEY);
  const secretKey = read(env, V.MINIO_SECRET_KEY);
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
    region: read(env, V.MINIO_REGION),
  };
}

function jsonObject(env: Env, variable: Variable<string>): Record<string, unknown> {
  const name = variable.name;
  const raw = read(env, variable);
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
  const dataDir = path.resolve(cwd, read(env, V.BANDIT_DATA_DIR));
  const bucket = read(env, V.MINIO_BUCKET);
  const obdPath = read(env, V.BANDIT_OBD_PATH);
  return {
    nodeEnv: read(env, V.NODE_ENV),
    // inside a Seldon graph the operator assigns the port
    port: read(env, V.PREDICTIVE_UNIT_HTTP_SERVICE_PORT) ?? read(env, V.PORT),
    host: read(env, V.BANDIT_HOST),
    dataDir,
    redis: redisFromEnv(env),
    databaseUrl: read(env, V.BANDIT_DATABASE_URL),
    sqlitePath: path.join(dataDir, 'bandit.sqlite'),
    adminToken: read(env, V.BANDIT_ADMIN_TOKEN),
    minio: minioFromEnv(env, bucket),
    objectStoreDir: path.join(dataDir, 'objects'),
    bucket,
    mlflowTrackingUri: read(env, V.MLFLOW_TRACKING_URI),
    mlflowRunsDir: path.join(dataDir, 'mlruns'),
    mlflowUser: read(env, V.BANDIT_MLFLOW_USER),
    obdPath: obdPath === undefined ? undefined : path.resolve(cwd, obdPath),
    decisionTtlSeconds: read(env, V.BANDIT_DECISION_TTL_SECONDS),
    rateLimitPerMinute: read(env, V.BANDIT_RATE_LIMIT_PER_MINUTE),
    bodyLimitBytes: read(env, V.BANDIT_BODY_LIMIT_BYTES),
    snapshotIntervalSeconds: read(env, V.BANDIT_SNAPSHOT_INTERVAL_SECONDS),
    eventFlushIntervalMs: read(env, V.BANDIT_EVENT_FLUSH_MS),
    autoConcludeIntervalMs: read(env, V.BANDIT_AUTO_CONCLUDE_INTERVAL_MS),
    allocationRefreshMs: read(env, V.BANDIT_ALLOCATION_REFRESH_MS),
    logLevel: read(env, V.BANDIT_LOG_LEVEL),
    codeServerPort: read(env, V.BANDIT_CODE_SERVER_PORT),
    pipelineImage: read(env, V.BANDIT_PIPELINE_IMAGE),
    dagsterScheduleCron: read(env, V.BANDIT_DAGSTER_SCHEDULE_CRON),
    dagsterLine: read(env, V.BANDIT_DAGSTER_VERSION),
    dagsterContainerContext: jsonObject(env, V.DAGSTER_CONTAINER_CONTEXT),
    seldon: {
      unitId: read(env, V.PREDICTIVE_UNIT_ID),
      parameters: read(env, V.PREDICTIVE_UNIT_PARAMETERS),
      metricsPath: read(env, V.PREDICTIVE_UNIT_METRICS_ENDPOINT),
      metricsPort: read(env, V.PREDICTIVE_UNIT_METRICS_SERVICE_PORT),
    },
    readyMaxEventLagSeconds: read(env, V.BANDIT_READY_MAX_EVENT_LAG_SECONDS),
    redisCommandTimeoutMs: read(env, V.BANDIT_REDIS_COMMAND_TIMEOUT_MS),
    requestBodyTimeoutMs: read(env, V.BANDIT_REQUEST_BODY_TIMEOUT_MS),
  };
}
