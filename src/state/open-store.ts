import type { Config } from '../config/config';
import { connectRedisClient, DragonflyPosteriorStore } from './dragonfly.store';
import { MemoryPosteriorStore } from './memory.store';
import type { PosteriorStore } from './posterior-store';

/** The posterior store chosen by config: Dragonfly / Redis (one server or a cluster) when configured, else in-process. */
export function openPosteriorStore(config: Pick<Config, 'redis'>): PosteriorStore {
  return config.redis ? new DragonflyPosteriorStore(connectRedisClient(config.redis)) : new MemoryPosteriorStore();
}
