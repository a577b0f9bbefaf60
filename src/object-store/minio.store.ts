import { createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import * as path from 'node:path';
import { Client } from 'minio';
import { BanditError, ErrorCode, notFound } from '../common/errors';
import type { MinioConfig } from '../config/config';
import { checkKey, type ObjectStore } from './object-store';

/**
 * MinIO / S3 through the `minio` client. The bucket is created on first use. DuckDB
 * reads objects from a local cache folder (`localPath`), refreshed when the object's
 * ETag changes.
 */
export class MinioObjectStore implements ObjectStore {
  readonly location: string;
  private readonly client: Client;
  private bucketReady: Promise<void> | undefined;

  constructor(
    private readonly config: MinioConfig,
    private readonly cacheDir: string,
  ) {
    this.client = new Client({
      endPoint: config.endPoint,
      port: config.port,
      useSSL: config.useSSL,
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: config.region,
      pathStyle: true,
    });
    this.location = `s3://${config.bucket}`;
  }

  uri(key: string): string {
    return `s3://${this.config.bucket}/${checkKey(key)}`;
  }

  private ready(): Promise<void> {
    this.bucketReady ??= (async () => {
      try {
        if (!(await this.client.bucketExists(this.config.bucket))) await this.client.makeBucket(this.config.bucket, this.config.region);
      } catch (err) {
        this.bucketReady = undefined;
        throw new BanditError(ErrorCode.Unavailable, `object store ${this.config.endPoint}:${this.config.port} unavailable: ${(err as Error).message}`, undefined, { cause: err });
      }
    })();
    return this.bucketReady;
  }

  private isMissing(err: unknown): boolean {
    const code = (err as { code?: string }).code;
    return code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchObject';
  }

  async put(key: string, body: Buffer | string): Promise<void> {
    await this.ready();
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    await this.client.putObject(this.config.bucket, checkKey(key), buf, buf.length);
  }

  async putFile(key: string, filePath: string): Promise<void> {
    await this.ready();
    await this.client.fPutObject(this.config.bucket, checkKey(key), filePath);
  }

  async get(key: string): Promise<Buffer> {
    await this.ready();
    try {
      const stream = await this.client.getObject(this.config.bucket, checkKey(key));
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    } catch (err) {
      if (this.isMissing(err)) throw notFound(`object ${key} not found in ${this.location}`);
      throw err;
    }
  }

  /** Streams the object to `filePath` through a temporary file renamed into place. */
  async getFile(key: string, filePath: string): Promise<void> {
    await this.ready();
    const tmp = `${filePath}.part-${process.pid}-${Date.now()}`;
    try {
      const stream = await this.client.getObject(this.config.bucket, checkKey(key));
      await pipeline(stream, createWriteStream(tmp));
      await fs.rename(tmp, filePath);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      if (this.isMissing(err)) throw notFound(`object ${key} not found in ${this.location}`);
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    await this.ready();
    try {
      await this.client.statObject(this.config.bucket, checkKey(key));
      return true;
    } catch (err) {
      if (this.isMissing(err)) return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    await this.ready();
    const out: string[] = [];
    for await (const item of this.client.listObjectsV2(this.config.bucket, prefix, true)) {
      const name = (item as { name?: string }).name;
      if (name) out.push(name);
    }
    return out.sort();
  }

  async deletePrefix(prefix: string): Promise<void> {
    const keys = await this.list(prefix);
    if (keys.length > 0) await this.client.removeObjects(this.config.bucket, keys);
  }

  async localPath(key: string): Promise<string> {
    await this.ready();
    let etag: string;
    try {
      etag = (await this.client.statObject(this.config.bucket, checkKey(key))).etag;
    } catch (err) {
      if (this.isMissing(err)) throw notFound(`object ${key} not found in ${this.location}`);
      throw err;
    }
    const file = path.join(this.cacheDir, this.config.bucket, ...key.split('/'));
    const stamp = `${file}.etag`;
    const cached = await fs.readFile(stamp, 'utf8').catch(() => '');
    if (cached !== etag) {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await this.getFile(key, file);
      await fs.writeFile(stamp, etag);
    }
    return file;
  }

  async close(): Promise<void> {}
}
