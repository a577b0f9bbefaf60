/**
 * Every environment variable the product reads, declared once: its parser, default,
 * meaning, which deployable reads it and whether it is a secret. `loadConfig` parses with
 * these entries, `bandit config --variables` prints them, and the configuration table in
 * docs/configuration.md is generated from them (scripts/gen-config-docs.ts; a test fails
 * when the committed table differs).
 *
 * A new variable: add an entry here, read it in `loadConfig` (src/config/config.ts) into a
 * `Config` field, and regenerate the table. config.spec.ts fails while a declared variable
 * is never read, or a read one is not declared.
 */
import { z } from 'zod';
import { dagsterLine, NEWEST_LINE, SUPPORTED_LINES, type DagsterLine } from '../dagster/protocol-version';

/** The deployables, as docs/deployment.md names them. */
export type Deployable = 'service' | 'pipeline' | 'cli';

export interface Variable<T> {
  name: string;
  /** Parses the trimmed value (or the default). Its message names what is expected. */
  schema: z.ZodType<T>;
  /** What the value is, for people: "port", "integer ≥ 0", "postgres:// URL". */
  type: string;
  /** Used when the variable is unset or blank. */
  default?: string;
  /** What leaving it unset means, when there is no default value. */
  unset?: string;
  description: string;
  usedBy: readonly Deployable[];
  secret: boolean;
}

export interface Defaulted<T> extends Variable<T> {
  default: string;
}

const ALL: readonly Deployable[] = ['service', 'pipeline', 'cli'];
const SERVICE: readonly Deployable[] = ['service'];
const PIPELINE: readonly Deployable[] = ['pipeline'];

export const port = z.coerce.number().int('must be an integer').min(0, 'must be 0..65535').max(65535, 'must be 0..65535');
const positiveInt = z.coerce.number().int('must be an integer').positive('must be > 0');
const nonNegativeInt = z.coerce.number().int('must be an integer').min(0, 'must be >= 0');
const text = z.string().min(1);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
/** A supported Dagster line (`1.12`), or a release of one (`1.12.22`). */
const dagsterVersion = z.string().transform((v, ctx): DagsterLine => {
  try {
    return dagsterLine(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

type Spec<T> = Omit<Variable<T>, 'name' | 'secret'> & { secret?: boolean };
function withDefault<T>(spec: Spec<T> & { default: string }): Defaulted<T> {
  return { ...spec, name: '', secret: spec.secret ?? false };
}
function optional<T>(spec: Spec<T> & { unset: string }): Variable<T> {
  return { ...spec, name: '', secret: spec.secret ?? false };
}

const declared = {
  NODE_ENV: withDefault({ schema: z.enum(['development', 'production', 'test']), type: 'development | production | test', default: 'development', description: 'production requires BANDIT_ADMIN_TOKEN', usedBy: ALL }),
  PORT: withDefault({ schema: port, type: 'port', default: '8000', description: 'HTTP port of bandit-service', usedBy: SERVICE }),
  BANDIT_HOST: withDefault({ schema: text, type: 'address', default: '0.0.0.0', description: 'address bandit-service binds', usedBy: SERVICE }),
  BANDIT_DATA_DIR: withDefault({ schema: text, type: 'path', default: './.bandit', description: 'home of every embedded default (SQLite, object folder, run folder, plots)', usedBy: ALL }),
  BANDIT_REDIS_URL: optional({
    schema: z.string(),
    type: 'redis:// URL',
    unset: 'DRAGONFLY_*',
    description: 'Dragonfly / Redis as one redis:// (or rediss://) URL, or redis+cluster://h:p,h:p for a Redis Cluster; wins over DRAGONFLY_*',
    usedBy: ALL,
    secret: true,
  }),
  DRAGONFLY_HOST: optional({ schema: text, type: 'host', unset: 'in-process store', description: 'Dragonfly / Redis holding the posteriors', usedBy: ALL }),
  DRAGONFLY_PORT: withDefault({ schema: port, type: 'port', default: '6379', description: 'port of DRAGONFLY_HOST', usedBy: ALL }),
  DRAGONFLY_DB: withDefault({ schema: nonNegativeInt, type: 'integer ≥ 0', default: '0', description: 'database index on DRAGONFLY_HOST', usedBy: ALL }),
  DRAGONFLY_PASSWORD: optional({ schema: text, type: 'text', unset: 'no password', description: 'password of DRAGONFLY_HOST', usedBy: ALL, secret: true }),
  BANDIT_REDIS_CLUSTER: withDefault({ schema: bool, type: 'boolean', default: 'false', description: 'true: the Dragonfly / Redis address is a seed node of a Redis Cluster (cluster client)', usedBy: ALL }),
  BANDIT_REDIS_COMMAND_TIMEOUT_MS: withDefault({ schema: nonNegativeInt, type: 'ms', default: '2000', description: 'a Redis command without an answer this long fails with 503 (0: wait forever)', usedBy: ALL }),
  BANDIT_DATABASE_URL: optional({
    schema: z.string().regex(/^postgres(ql)?:\/\/[^\s]+$/, 'must be a postgres:// or postgresql:// URL (unset it to use the embedded SQLite file)'),
    type: 'postgres:// URL',
    unset: 'SQLite in the data dir',
    description: 'the event store',
    usedBy: ALL,
    secret: true,
  }),
  BANDIT_ADMIN_TOKEN: optional({
    schema: z.string().min(16, 'must be at least 16 characters'),
    type: 'text, ≥ 16 characters',
    unset: 'admin open; required with NODE_ENV=production',
    description: 'bearer token for creating, concluding, stopping experiments',
    usedBy: SERVICE,
    secret: true,
  }),
  MINIO_ENDPOINT: optional({ schema: text, type: 'host:port or URL', unset: 'local folder in the data dir', description: 'MinIO / S3 object store (https:// for TLS)', usedBy: ALL }),
  MINIO_ACCESS_KEY: optional({ schema: text, type: 'text', unset: 'required with MINIO_ENDPOINT', description: 'access key of the object store', usedBy: ALL, secret: true }),
  MINIO_SECRET_KEY: optional({ schema: text, type: 'text', unset: 'required with MINIO_ENDPOINT', description: 'secret key of the object store', usedBy: ALL, secret: true }),
  MINIO_BUCKET: withDefault({ schema: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid bucket name'), type: 'bucket name', default: 'bandit', description: 'bucket of the object store', usedBy: ALL }),
  MINIO_REGION: withDefault({ schema: text, type: 'text', default: 'us-east-1', description: 'region of the object store', usedBy: ALL }),
  MLFLOW_TRACKING_URI: optional({
    schema: z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL of an MLflow tracking server (unset it for the local run folder)'),
    type: 'http(s):// URL',
    unset: 'local run folder',
    description: 'MLflow tracking server',
    usedBy: PIPELINE,
  }),
  BANDIT_MLFLOW_USER: optional({ schema: text, type: 'text', unset: 'the OS user', description: 'the user MLflow shows for pipeline runs', usedBy: PIPELINE }),
  BANDIT_OBD_PATH: optional({ schema: text, type: 'path', unset: 'no Open Bandit Dataset', description: 'folder of Open Bandit Dataset logs for ingest_obp (watched by the Dagster sensor)', usedBy: PIPELINE }),
  BANDIT_DECISION_TTL_SECONDS: withDefault({ schema: positiveInt, type: 's', default: String(7 * 24 * 3600), description: 'how long a decision can be rewarded', usedBy: SERVICE }),
  BANDIT_RATE_LIMIT_PER_MINUTE: withDefault({ schema: nonNegativeInt, type: 'integer ≥ 0', default: '0', description: 'requests per minute per client (0: off)', usedBy: SERVICE }),
  BANDIT_BODY_LIMIT_BYTES: withDefault({ schema: positiveInt, type: 'bytes', default: String(64 * 1024), description: 'largest accepted request body', usedBy: SERVICE }),
  BANDIT_REQUEST_BODY_TIMEOUT_MS: withDefault({ schema: nonNegativeInt, type: 'ms', default: '10000', description: 'a request body not received within this long answers 408 (0: no limit)', usedBy: SERVICE }),
  BANDIT_SNAPSHOT_INTERVAL_SECONDS: withDefault({ schema: nonNegativeInt, type: 's', default: '60', description: 'period of posterior snapshots in the event store (0: only at decisions)', usedBy: SERVICE }),
  BANDIT_EVENT_FLUSH_MS: withDefault({
    schema: positiveInt,
    type: 'ms',
    default: '200',
    description: 'period of moving queued events into the event store (the embedded store loses at most this much on a crash)',
    usedBy: ['service', 'cli'],
  }),
  BANDIT_AUTO_CONCLUDE_INTERVAL_MS: withDefault({ schema: nonNegativeInt, type: 'ms', default: '1000', description: 'minimum time between automatic stopping-rule evaluations per experiment', usedBy: SERVICE }),
  BANDIT_ALLOCATION_REFRESH_MS: withDefault({ schema: nonNegativeInt, type: 'ms', default: '100', description: 'maximum age of the posterior state /select allocates from (0: recompute on every change)', usedBy: SERVICE }),
  BANDIT_READY_MAX_EVENT_LAG_SECONDS: withDefault({ schema: nonNegativeInt, type: 's', default: '60', description: '/readyz answers 503 "degraded" when an event has waited this long to be stored (0: never)', usedBy: SERVICE }),
  BANDIT_LOG_LEVEL: withDefault({ schema: z.enum(['debug', 'info', 'warn', 'error', 'silent']), type: 'debug | info | warn | error | silent', default: 'info', description: 'log level', usedBy: ALL }),
  BANDIT_CODE_SERVER_PORT: withDefault({ schema: port, type: 'port', default: '4000', description: 'gRPC port of the Dagster code server', usedBy: PIPELINE }),
  BANDIT_PIPELINE_IMAGE: withDefault({ schema: text, type: 'image', default: 'ghcr.io/ekenheim/bandit-pipeline:latest', description: 'image the Dagster code location reports for its run pods', usedBy: PIPELINE }),
  BANDIT_DAGSTER_SCHEDULE_CRON: withDefault({ schema: text, type: 'cron (UTC)', default: '0 3 * * *', description: "cron of the Dagster code location's daily schedule", usedBy: PIPELINE }),
  BANDIT_DAGSTER_VERSION: withDefault({
    schema: dagsterVersion,
    type: SUPPORTED_LINES.join(' | '),
    default: NEWEST_LINE,
    description: "Dagster line of the webserver / daemon the code location answers (its requests carry no version)",
    usedBy: PIPELINE,
  }),
  DAGSTER_CONTAINER_CONTEXT: optional({ schema: text, type: 'JSON object', unset: '{}', description: 'container context the Dagster code location reports for run pods, e.g. the K8sRunLauncher settings', usedBy: PIPELINE }),
  PREDICTIVE_UNIT_ID: optional({ schema: text, type: 'text', unset: 'not a Seldon router', description: 'Seldon graph node name; set by the Seldon operator', usedBy: SERVICE }),
  PREDICTIVE_UNIT_PARAMETERS: optional({ schema: text, type: 'JSON', unset: 'not a Seldon router', description: 'Seldon node parameters (experiment_id, arms | n_branches); set by the Seldon operator', usedBy: SERVICE }),
  PREDICTIVE_UNIT_HTTP_SERVICE_PORT: optional({ schema: port, type: 'port', unset: 'PORT', description: 'HTTP port inside a Seldon graph; wins over PORT', usedBy: SERVICE }),
  PREDICTIVE_UNIT_METRICS_SERVICE_PORT: optional({ schema: port, type: 'port', unset: 'no second listener', description: 'extra port of the Prometheus text for Seldon', usedBy: SERVICE }),
  PREDICTIVE_UNIT_METRICS_ENDPOINT: withDefault({ schema: z.string().regex(/^\/[A-Za-z0-9/_-]*$/, 'must be a path like /prometheus'), type: 'path', default: '/prometheus', description: 'path of the Prometheus text for Seldon', usedBy: SERVICE }),
};

export type VariableName = keyof typeof declared;

/** The declared variables, each with its name filled in. */
export const VARIABLES: { readonly [K in VariableName]: (typeof declared)[K] } = Object.fromEntries(
  Object.entries(declared).map(([name, v]) => [name, { ...v, name }]),
) as never;

export const VARIABLE_LIST: readonly Variable<unknown>[] = Object.values(VARIABLES);

/** What the variable takes when unset: its default, or what being unset means. */
export function whenUnset(v: Variable<unknown>): string {
  return v.default !== undefined ? v.default : `(unset: ${v.unset})`;
}
