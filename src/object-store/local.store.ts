import { createReadStream, createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { notFound } from '../common/errors';
import { checkKey, type ObjectStore } from './object-store';

/**
 * The embedded object store: one folder per bucket (`<objectStoreDir>/<bucket>/<key>`).
 * Every write goes to a temporary file in the same folder and is renamed into place, so a
 * reader never sees half an object.
 */
export class LocalObjectStore implements ObjectStore {
  readonly location: string;
  private readonly root: string;

  constructor(dir: string, bucket: string) {
    this.root = path.resolve(dir, bucket);
    this.location = pathToFileURL(this.root).href;
  }

  uri(key: string): string {
    return pathToFileURL(this.file(key)).href;
  }

  private file(key: string): string {
    return path.join(this.root, ...checkKey(key).split('/'));
  }

  private async atomically(key: string, write: (tmp: string) => Promise<void>): Promise<void> {
    const dest = this.file(key);
    await fs.mkdir(path.dirname(dest), { recursive: true });
    const tmp = `${dest}.tmp-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
    try {
      await write(tmp);
      await fs.rename(tmp, dest);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async put(key: string, body: Buffer | string): Promise<void> {
    await this.atomically(key, (tmp) => fs.writeFile(tmp, body));
  }

  async putFile(key: string, filePath: string): Promise<void> {
    if (path.resolve(filePath) === this.file(key)) return;
    await this.atomically(key, (tmp) => fs.copyFile(filePath, tmp));
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.file(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`object ${key} not found in ${this.location}`);
      throw err;
    }
  }

  async getFile(key: string, filePath: string): Promise<void> {
    await this.localPath(key);
    await pipeline(createReadStream(this.file(key)), createWriteStream(filePath));
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await fs.stat(this.file(key))).isFile();
    } catch {
      return false;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const k = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) await walk(path.join(dir, e.name), k);
        else if (e.isFile() && !e.name.includes('.tmp-') && k.startsWith(prefix)) out.push(k);
      }
    };
    await walk(this.root, '');
    return out.sort();
  }

  async deletePrefix(prefix: string): Promise<void> {
    for (const k of await this.list(prefix)) await fs.rm(this.file(k), { force: true });
  }

  async localPath(key: string): Promise<string> {
    const f = this.file(key);
    if (!(await this.exists(key))) throw notFound(`object ${key} not found in ${this.location}`);
    return f;
  }

  async close(): Promise<void> {}
}
