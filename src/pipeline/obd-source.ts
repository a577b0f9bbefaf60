/**
 * Where ingest_obp reads the Open Bandit Dataset logs: a local folder, or a prefix of the object
 * store's bucket given as `s3://<bucket>/<prefix>` — e.g. `s3://bandit/raw/obp`, the bronze
 * prefix, where new logs are uploaded as received. In both, the logs are
 * `<behavior>/<campaign>/<campaign>.csv` with `item_context.csv` beside them.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { invalidInput } from '../common/errors';
import { checkKey, type ObjectInfo, type ObjectStore } from '../object-store';
import { BEHAVIORS } from './layout';

export type ObdSource = { kind: 'folder'; path: string } | { kind: 'bucket'; uri: string; prefix: string };

export const isBucketUri = (p: string): boolean => p.startsWith('s3://');

/** Reads an OBD path: a folder (resolved), or `s3://<bucket>/<prefix>` in the object store's own bucket. */
export function obdSource(obdPath: string, store: Pick<ObjectStore, 'location'>): ObdSource {
  if (!isBucketUri(obdPath)) return { kind: 'folder', path: path.resolve(obdPath) };
  const m = /^s3:\/\/([^/]+)\/(.+?)\/*$/.exec(obdPath);
  if (!m) throw invalidInput(`OBD path ${obdPath}: expected s3://<bucket>/<prefix> (e.g. s3://bandit/raw/obp)`);
  const [, bucket, prefix] = m;
  if (store.location !== `s3://${bucket}`) {
    throw invalidInput(
      store.location.startsWith('s3://')
        ? `OBD path ${obdPath} is in bucket ${bucket}, but the object store is ${store.location} (MINIO_BUCKET)`
        : `OBD path ${obdPath} is in a bucket, but no MinIO / S3 object store is configured (set MINIO_ENDPOINT and MINIO_BUCKET=${bucket})`,
    );
  }
  try {
    checkKey(prefix);
  } catch {
    throw invalidInput(`OBD path ${obdPath}: invalid prefix ${JSON.stringify(prefix)}`);
  }
  return { kind: 'bucket', uri: `s3://${bucket}/${prefix}`, prefix };
}

/** The OBD log objects under `prefix`: `<prefix>/<behavior>/<campaign>/<file>.csv` for a known behavior policy. */
export function obdObjects(objects: readonly ObjectInfo[], prefix: string): ObjectInfo[] {
  return objects.filter((o) => {
    if (!o.key.startsWith(`${prefix}/`)) return false;
    const parts = o.key.slice(prefix.length + 1).split('/');
    return parts.length === 3 && (BEHAVIORS as readonly string[]).includes(parts[0]) && parts[2].endsWith('.csv');
  });
}

/**
 * Copies the OBD logs under a bucket prefix into `dir` (same `<behavior>/<campaign>/<file>`
 * layout), so the folder ingest reads them; only the slices `want` accepts. Returns the keys
 * copied, relative path → key.
 */
export async function downloadObd(store: ObjectStore, prefix: string, dir: string, want: (behavior: string, campaign: string) => boolean): Promise<Map<string, string>> {
  const copied = new Map<string, string>();
  for (const o of obdObjects(await store.listObjects(`${prefix}/`), prefix)) {
    const rel = o.key.slice(prefix.length + 1);
    const [behavior, campaign] = rel.split('/');
    if (!want(behavior, campaign)) continue;
    const file = path.join(dir, ...rel.split('/'));
    await fs.mkdir(path.dirname(file), { recursive: true });
    await store.getFile(o.key, file);
    copied.set(rel, o.key);
  }
  return copied;
}
