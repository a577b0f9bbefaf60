import * as path from 'node:path';
import type { Config } from '../config/config';
import { LocalObjectStore } from './local.store';
import { MinioObjectStore } from './minio.store';
import type { ObjectStore } from './object-store';

export * from './object-store';
export { LocalObjectStore } from './local.store';
export { MinioObjectStore } from './minio.store';

/** MinIO / S3 when `config.minio` is set; the local folder `config.objectStoreDir/<bucket>` otherwise. */
export function createObjectStore(config: Pick<Config, 'minio' | 'objectStoreDir' | 'bucket' | 'dataDir'>): ObjectStore {
  if (config.minio) return new MinioObjectStore(config.minio, path.join(config.dataDir, 'cache', 's3'));
  return new LocalObjectStore(config.objectStoreDir, config.bucket);
}
