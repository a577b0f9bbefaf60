/**
 * Connections to Dragonfly / Redis shared by the posterior store and the event queue (one
 * client serves both: the queue's stream is appended by the store's scripts), and how a
 * connection failure is reported to callers.
 */
import Redis, { Cluster, type RedisOptions } from 'ioredis';
import { BanditError, ErrorCode } from '../common/errors';
import type { RedisConfig } from '../config/config';

export function connectRedis(config: RedisConfig, extra: RedisOptions = {}): Redis {
  return quietErrors(new Redis(config.url, { enableAutoPipelining: true, maxRetriesPerRequest: 2, connectTimeout: 5000, ...extra }));
}

/**
 * The client the posterior store uses: a cluster client when seed nodes of a Redis Cluster
 * are configured (every key of an experiment shares one hash tag, so each script and MGET
 * stays on one node), else one connection.
 */
export function connectRedisClient(config: RedisConfig, extra: { lazyConnect?: boolean; commandTimeout?: number } = {}): Redis | Cluster {
  const { commandTimeout, ...rest } = extra;
  if (!config.cluster) return connectRedis(config, { ...rest, ...(commandTimeout ? { commandTimeout } : {}) });
  return quietErrors(
    new Cluster(config.cluster, {
      ...rest,
      // no auto-pipelining: ioredis cannot place scripts whose key count is an argument into a slot's pipeline
      enableAutoPipelining: false,
      redisOptions: { password: config.password, maxRetriesPerRequest: 2, connectTimeout: 5000, ...(commandTimeout ? { commandTimeout } : {}) },
    }),
  );
}

/** "redis host:port" or "redis cluster host:port,…" — for operators' messages (never the password). */
export function redisAddress(config: RedisConfig): string {
  return config.cluster ? `redis cluster ${config.cluster.map((n) => `${n.host}:${n.port}`).join(',')}` : `redis ${config.host}:${config.port}`;
}

/** The last connection error of each client (the cause behind "max retries per request"). */
const lastConnectionError = new WeakMap<object, string>();

/**
 * Connection errors reach the callers as failed commands (503) and /readyz; the client
 * reconnects by itself. Without a listener ioredis prints every failed reconnect attempt.
 */
function quietErrors<C extends Redis | Cluster>(client: C): C {
  client.on('error', (err: unknown) => lastConnectionError.set(client, err instanceof Error ? err.message : String(err)));
  client.on('ready', () => lastConnectionError.delete(client));
  return client;
}

/** Connection-level failures of the client (the request may be retried), as opposed to a script or data error. */
function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { code?: string };
  if (e.name === 'MaxRetriesPerRequestError' || e.name === 'ClusterAllFailedError') return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(e.code ?? '')) return true;
  return /^(Command timed out|Connection is closed|Stream isn't writeable|connect E|CLUSTERDOWN|Failed to refresh slots cache|None of startup nodes is available)/.test(e.message);
}

/**
 * A connection failure or a command timeout as one 503 naming the part (`the posterior
 * store`, `the event queue`), its address and the cause; any other error unchanged.
 */
export function unavailableError(client: Redis | Cluster, what: string, address: string, err: unknown): unknown {
  if (!isConnectionFailure(err)) return err;
  const message = (err as Error).message;
  const last = lastConnectionError.get(client);
  const cause = /^Command timed out/.test(message) ? 'a command timed out (no answer)' : last && last !== message ? `${last} (${message})` : message;
  return new BanditError(ErrorCode.Unavailable, `${what} (${address}) is unavailable: ${cause}; retry`, undefined, { cause: err });
}

/** Replaces each named method of `target` by one whose failures pass through `map`. */
export function mapFailures<T extends object>(target: T, names: ReadonlyArray<keyof T & string>, map: (err: unknown) => unknown): void {
  for (const name of names) {
    const op = (target[name] as (...a: unknown[]) => Promise<unknown>).bind(target);
    (target as Record<string, unknown>)[name] = (...args: unknown[]) => op(...args).catch((err: unknown) => Promise.reject(map(err)));
  }
}
