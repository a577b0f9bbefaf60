/**
 * The object store: where the pipeline's layers live (bronze `raw/…`, silver `silver/…`).
 * Keys are `/`-separated paths inside one bucket. Two implementations behind this one
 * interface, chosen once from config (`createObjectStore`): a local folder (the embedded
 * default) and MinIO / S3 through the `minio` client.
 */
export interface ObjectStore {
  /** Where the objects live, for messages and metadata (`file:///…/bandit`, `s3://bandit`). */
  readonly location: string;
  /** A URI for one key, for messages and metadata. */
  uri(key: string): string;
  put(key: string, body: Buffer | string): Promise<void>;
  /** Uploads a local file (streamed; large Parquet files never sit in memory). */
  putFile(key: string, filePath: string): Promise<void>;
  /** The object's bytes; throws `BanditError(NotFound)` naming the key when absent. */
  get(key: string): Promise<Buffer>;
  /** Copies the object to a local file (streamed). Throws `NotFound` when absent. */
  getFile(key: string, filePath: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Keys under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Removes every key under a prefix (no error when there is none). */
  deletePrefix(prefix: string): Promise<void>;
  /**
   * A local path DuckDB can read for this key: the file itself for the local folder, a
   * downloaded copy in a cache folder for S3. Throws `NotFound` when absent.
   */
  localPath(key: string): Promise<string>;
  close(): Promise<void>;
}

/** Checks a key: relative, `/`-separated, no `..` or empty segments. */
export function checkKey(key: string): string {
  if (key === '' || key.startsWith('/') || key.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`invalid object key ${JSON.stringify(key)}`);
  }
  return key;
}

export async function getJson<T>(store: ObjectStore, key: string): Promise<T> {
  return JSON.parse((await store.get(key)).toString('utf8')) as T;
}

export async function putJson(store: ObjectStore, key: string, value: unknown): Promise<void> {
  await store.put(key, JSON.stringify(value, null, 2) + '\n');
}
