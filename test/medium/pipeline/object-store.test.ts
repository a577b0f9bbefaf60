/**
 * The object store's two implementations against the same checks: the local folder and
 * MinIO / S3 through the minio client against moto's S3-compatible server.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCode } from '../../../src/common/errors';
import { LocalObjectStore, MinioObjectStore, type ObjectStore } from '../../../src/object-store';
import { createPipeline } from '../../../src/pipeline';
import type { IngestResult } from '../../../src/pipeline/ingest-obp';
import { createObjectStore } from '../../../src/object-store';
import { describeIf, hasPeer } from '../../support/env';
import { obdShaped } from '../../support/obd';
import { recordingContext, smallObd, tempConfig } from './helpers';
import { startMoto, type Peer } from './peers';

jest.setTimeout(300_000);

function contract(name: string, make: () => Promise<ObjectStore>) {
  describe(name, () => {
    let store: ObjectStore;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-store-test-'));
    beforeAll(async () => {
      store = await make();
    });
    afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it('puts, gets, lists and deletes objects', async () => {
      await store.put('a/b/one.json', '{"x":1}');
      await store.put('a/b/two.bin', Buffer.from([0, 1, 2, 255]));
      const src = path.join(tmp, 'src.txt');
      fs.writeFileSync(src, 'hello file');
      await store.putFile('a/c/three.txt', src);
      expect((await store.get('a/b/one.json')).toString()).toBe('{"x":1}');
      expect([...(await store.get('a/b/two.bin'))]).toEqual([0, 1, 2, 255]);
      expect(await store.list('a/')).toEqual(['a/b/one.json', 'a/b/two.bin', 'a/c/three.txt']);
      expect(await store.list('a/b/')).toEqual(['a/b/one.json', 'a/b/two.bin']);
      expect(await store.exists('a/c/three.txt')).toBe(true);
      expect(await store.exists('a/c/nope.txt')).toBe(false);
      const local = await store.localPath('a/c/three.txt');
      expect(fs.readFileSync(local, 'utf8')).toBe('hello file');
      const dest = path.join(tmp, 'copy.txt');
      await store.getFile('a/c/three.txt', dest);
      expect(fs.readFileSync(dest, 'utf8')).toBe('hello file');
      await store.deletePrefix('a/b/');
      expect(await store.list('a/')).toEqual(['a/c/three.txt']);
    });

    it('overwrites in place and refreshes the local copy', async () => {
      await store.put('x/v.txt', 'v1');
      expect(fs.readFileSync(await store.localPath('x/v.txt'), 'utf8')).toBe('v1');
      await store.put('x/v.txt', 'v2');
      expect(fs.readFileSync(await store.localPath('x/v.txt'), 'utf8')).toBe('v2');
    });

    it('reports a missing key as NotFound naming it', async () => {
      await expect(store.get('missing/key.json')).rejects.toMatchObject({ code: ErrorCode.NotFound, message: expect.stringContaining('missing/key.json') });
      await expect(store.localPath('missing/key.json')).rejects.toMatchObject({ code: ErrorCode.NotFound });
    });

    it('refuses keys that escape the bucket', async () => {
      await expect(store.put('../evil', 'x')).rejects.toThrow(/invalid object key/);
      await expect(store.put('/abs', 'x')).rejects.toThrow(/invalid object key/);
    });
  });
}

contract('LocalObjectStore', async () => new LocalObjectStore(fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-local-store-')), 'bandit'));

describeIf(() => hasPeer('moto'))('MinioObjectStore against moto', () => {
  let moto: Peer;
  beforeAll(async () => {
    moto = await startMoto();
  }, 120_000);
  afterAll(async () => moto?.stop());
  describe('the pipeline on S3', () => {
    it('ingests and replays with every object in the bucket, and re-ingesting changes nothing', async () => {
      const obd = smallObd(await obdShaped(), ['men'], 2000);
      const env = tempConfig({ MINIO_ENDPOINT: `http://127.0.0.1:${moto.port}`, MINIO_ACCESS_KEY: 'testing', MINIO_SECRET_KEY: 'testing', MINIO_BUCKET: 'bandit-pipeline', BANDIT_OBD_PATH: obd });
      try {
        const p = await createPipeline(env.config);
        const first = await p.run('ingest_obp', recordingContext(), {});
        await p.run('replay', recordingContext(), { seed: 1 });
        const again = await p.run('ingest_obp', recordingContext(), {});
        await p.close();
        expect((first.value as IngestResult).store).toBe('s3://bandit-pipeline');
        expect((again.value as IngestResult).datasets.map((d) => d.status)).toEqual(['unchanged']);
        const s3 = createObjectStore(env.config);
        expect(await s3.list('')).toEqual([
          'raw/obp/random/men/item_context.csv',
          'raw/obp/random/men/men.csv',
          'silver/obp/manifest.json',
          'silver/obp/random/men/item_context.parquet',
          'silver/obp/random/men/logs.parquet',
          'silver/obp/random/men/manifest.json',
          'silver/replay/manifest.json',
          'silver/replay/men/result.json',
        ]);
        expect(fs.existsSync(path.join(env.config.objectStoreDir))).toBe(false); // nothing went to the local folder
      } finally {
        env.cleanup();
        fs.rmSync(obd, { recursive: true, force: true });
      }
    });
  });

  contract('minio client', async () =>
    new MinioObjectStore({ endPoint: '127.0.0.1', port: moto.port, useSSL: false, accessKey: 'testing', secretKey: 'testing', bucket: 'bandit-test', region: 'us-east-1' }, fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-s3-cache-'))),
  );
});
