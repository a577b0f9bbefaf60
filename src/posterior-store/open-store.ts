import type { Config } from '../config/config';
import { DragonflyPosteriorStore } from './dragonfly.store';
import { connectRedisClient, redisAddress } from './redis-client';
import { MemoryPosteriorStore } from './memory.store';
import type { PosteriorStore } from './posterior-store';

/** The posterior store chosen by config: Dragonfly / Redis (one server or a cluster) when configured, else in-process. */
export function openPosteriorStore(config: Pick<Config, 'redis'> & Partial<Pick<Config, 'redisCommandTimeoutMs'>>): PosteriorStore {
  if (!config.redis) return new MemoryPosteriorStore();
  const commandTimeout = config.redisCommandTimeoutMs ? config.redisCommandTimeoutMs : undefined;
  return new DragonflyPosteriorStore(connectRedisClient(config.redis, { commandTimeout }), { address: redisAddress(config.redis) });
}
