/**
 * ingest_obp on the shared OBD sample (when present) and on edited copies of generated OBD-shaped logs: silver contents against the
 * sample's published statistics (SOURCE.md), idempotency, one error per bad-row kind
 * naming file / line / column, and nothing half-written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCode } from '../../../src/common/errors';
import { Duck, sqlString } from '../../../src/pipeline/duckdb';
import { ingestObp, type DatasetManifest, type IngestManifest } from '../../../src/pipeline/ingest-obp';
import { propensityCheck } from '../../../src/pipeline/checks';
import { storedChecks } from '../../../src/pipeline/stored-checks';
import { keys } from '../../../src/pipeline/layout';
import { createObjectStore, getJson, type ObjectStore } from '../../../src/object-store';
import { hasDataset, itIf, OBD_PATH } from '../../support/env';
import { obdShaped } from '../../support/obd';
import { recordingContext, setCell, smallObd, tempConfig } from './helpers';

jest.setTimeout(300_000);

// SOURCE.md, "Statistics of this sample"
const SAMPLE = {
  'random/men': { rows: 10_000, clicks: 46, items: 34 },
  'random/women': { rows: 10_000, clicks: 46, items: 46 },
  'bts/men': { rows: 10_000, clicks: 69, items: 34 },
  'bts/women': { rows: 10_000, clicks: 46, items: 46 },
} as const;

describe('ingest_obp', () => {
  const env = tempConfig();
  const store: ObjectStore = createObjectStore(env.config);
  const made: string[] = [];
  afterAll(() => {
    env.cleanup();
    for (const d of made) fs.rmSync(d, { recursive: true, force: true });
  });

  itIf(() => hasDataset(OBD_PATH))('writes bronze and silver with a manifest matching the published sample statistics', async () => {
    const r = await ingestObp(store, recordingContext(), { obdPath: OBD_PATH });
    const got = Object.fromEntries(r.datasets.map((d) => [`${d.behavior}/${d.campaign}`, { rows: d.rows, clicks: d.clicks, items: d.items }]));
    for (const [k, v] of Object.entries(SAMPLE)) expect(got[k]).toEqual(v);
    // "all" logs are not in the shared sample: only what is present is ingested
    expect(r.datasets.every((d) => d.status === 'written')).toBe(true);
    const m = await getJson<DatasetManifest>(store, keys.manifest('random', 'men'));
    expect(m.inputs[0].sha256.slice(0, 16)).toBe('ede6d08c6877f99c'); // SOURCE.md
    // bronze is byte-identical to the input
    expect((await store.get(keys.raw('random', 'men', 'men.csv'))).equals(fs.readFileSync(path.join(OBD_PATH, 'random/men/men.csv')))).toBe(true);
    // silver: typed, time-ordered rows
    const duck = await Duck.open();
    try {
      const file = sqlString(await store.localPath(keys.logs('random', 'men')));
      const s = await duck.one<{ n: number; clicks: number; unordered: number; p: number; pos: string }>(
        `SELECT count(*)::INTEGER AS n, sum(click)::INTEGER AS clicks,
                sum(CASE WHEN prev > "timestamp" THEN 1 ELSE 0 END)::INTEGER AS unordered, max(propensity_score) AS p,
                string_agg(DISTINCT position::VARCHAR, ',' ORDER BY position::VARCHAR) AS pos
         FROM (SELECT *, lag("timestamp") OVER (ORDER BY "row") AS prev FROM read_parquet(${file}))`,
      );
      expect(s).toEqual({ n: 10_000, clicks: 46, unordered: 0, p: 1 / 34, pos: '1,2,3' });
      const types = await duck.all<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM read_parquet(${file})`);
      expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toMatchObject({ item_id: 'INTEGER', click: 'TINYINT', propensity_score: 'DOUBLE', position: 'TINYINT' });
    } finally {
      duck.close();
    }
  });

  itIf(() => hasDataset(OBD_PATH))('changes nothing when run again on the same input', async () => {
    const files = await store.list('');
    const before = files.map((k) => fs.statSync(path.join(env.config.objectStoreDir, env.config.bucket, k)).mtimeMs);
    const r = await ingestObp(store, recordingContext(), { obdPath: OBD_PATH });
    expect(r.datasets.map((d) => d.status)).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged']);
    expect(await store.list('')).toEqual(files);
    expect(files.map((k) => fs.statSync(path.join(env.config.objectStoreDir, env.config.bucket, k)).mtimeMs)).toEqual(before);
  });

  const bad: Array<[string, number, string, string, RegExp]> = [
    ['click', 7, 'click', '2', /line 7, column click: expected a click in \{0, 1\}, got "2"/],
    ['propensity zero', 12, 'propensity_score', '0', /line 12, column propensity_score: expected a propensity score with 0 < p <= 1, got "0"/],
    ['propensity above one', 3, 'propensity_score', '1.5', /line 3, column propensity_score: .*got "1\.5"/],
    ['position', 9, 'position', '4', /line 9, column position: expected a position in \{1, 2, 3\}, got "4"/],
    ['unknown item', 15, 'item_id', '99', /line 15, column item_id: expected an item id of random\/men\/item_context\.csv \(0\.\.33\), got "99"/],
    ['non-integer item', 5, 'item_id', 'abc', /line 5, column item_id: expected an integer item id, got "abc"/],
    ['timestamp', 20, 'timestamp', 'yesterday', /line 20, column timestamp: expected a timestamp/],
    ['empty click', 4, 'click', '', /line 4, column click: .*got an empty value/],
  ];
  it.each(bad)('rejects a bad %s naming file, line and column, writing nothing', async (_kind, line, column, value, message) => {
    const obd = smallObd(await obdShaped(), ['men', 'women'], 30, (c, lines) => c === 'men' && setCell(lines, line - 1, column, value));
    made.push(obd);
    const fresh = tempConfig();
    try {
      const s = createObjectStore(fresh.config);
      const err = await ingestObp(s, recordingContext(), { obdPath: obd }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: ErrorCode.InvalidInput });
      expect((err as Error).message).toMatch(/^random\/men\/men\.csv: /);
      expect((err as Error).message).toMatch(message);
      expect(await s.list('')).toEqual([]); // the valid women file was not written either
    } finally {
      fresh.cleanup();
    }
  });

  it('rejects a missing column and leaves an earlier good ingest as it was', async () => {
    const obd = smallObd(await obdShaped(), ['men'], 30, (_c, lines) => {
      for (let i = 0; i < lines.length; i++) lines[i] = lines[i].split(',').filter((_, j) => j !== 4).join(','); // drop "click"
    });
    made.push(obd);
    const before = (await store.list('')).map((k) => [k, fs.statSync(path.join(env.config.objectStoreDir, env.config.bucket, k)).mtimeMs]);
    await expect(ingestObp(store, recordingContext(), { obdPath: obd })).rejects.toThrow(/random\/men\/men\.csv: missing column click/);
    expect((await store.list('')).map((k) => [k, fs.statSync(path.join(env.config.objectStoreDir, env.config.bucket, k)).mtimeMs])).toEqual(before);
  });

  it('names the folder when there are no logs, and a requested campaign that is absent', async () => {
    const empty = fs.mkdtempSync(path.join(env.dir, 'empty-'));
    await expect(ingestObp(store, recordingContext(), { obdPath: empty })).rejects.toThrow(/no OBD logs under .*empty-/);
    await expect(ingestObp(store, recordingContext(), { obdPath: path.join(env.dir, 'nope') })).rejects.toThrow(/does not exist/);
    await expect(ingestObp(store, recordingContext(), { obdPath: await obdShaped(), campaigns: ['all'] })).rejects.toThrow(/no OBD logs under .* for campaign\(s\) all/);
  });
  it('ingests one slice (a Dagster partition) and keeps the other datasets in the ingest manifest', async () => {
    const obd = smallObd(await obdShaped(), ['men', 'women'], 30, () => undefined);
    made.push(obd);
    const fresh = tempConfig();
    try {
      const s = createObjectStore(fresh.config);
      await ingestObp(s, recordingContext(), { obdPath: obd });
      const all = await getJson<IngestManifest>(s, keys.ingestManifest());
      expect(all.datasets.map((d) => `${d.behavior}/${d.campaign}`)).toEqual(['random/men', 'random/women']);
      // one slice: only random/women is read, the manifest still lists random/men
      fs.appendFileSync(path.join(obd, 'random', 'women', 'women.csv'), fs.readFileSync(path.join(obd, 'random', 'women', 'women.csv'), 'utf8').split('\n').filter(Boolean).at(-1)!.replace(/^\d+/, '30') + '\n');
      const ctx = recordingContext();
      const r = await ingestObp(s, ctx, { obdPath: obd, campaigns: ['women'], behaviors: ['random'] });
      expect(r.datasets.map((d) => [`${d.behavior}/${d.campaign}`, d.status, d.rows])).toEqual([['random/women', 'written', 31]]);
      const after = await getJson<IngestManifest>(s, keys.ingestManifest());
      expect(after.datasets.map((d) => `${d.behavior}/${d.campaign}:${d.rows}`)).toEqual(['random/men:30', 'random/women:31']);
      // a slice without logs is named
      await expect(ingestObp(s, recordingContext(), { obdPath: obd, campaigns: ['men'], behaviors: ['bts'] })).rejects.toThrow(/no OBD logs under .* for bts\/men \(expected bts\/men\/men\.csv\)/);
    } finally {
      fresh.cleanup();
    }
  });
  it('checks the propensities of the silver logs: in (0, 1], and 1/items under the random policy', async () => {
    const obd = smallObd(await obdShaped(), ['men'], 30, (_c, lines) => setCell(lines, 5, 'propensity_score', '0.5'));
    made.push(obd);
    const fresh = tempConfig();
    try {
      const s = createObjectStore(fresh.config);
      const good = await ingestObp(s, recordingContext(), { obdPath: await obdShaped() });
      const ok = await propensityCheck(s, good.datasets);
      expect(ok).toMatchObject({ name: 'propensities_valid', passed: true, metadata: { 'random/men.not_one_over_items': { type: 'int', value: 0 } } });
      expect((ok.metadata['random/men.propensity_max'] as { value: number }).value).toBeCloseTo(1 / 34, 12);
      const edited = await ingestObp(s, recordingContext(), { obdPath: obd });
      const bad = await propensityCheck(s, edited.datasets);
      expect(bad).toMatchObject({ passed: false, description: 'random/men: 1 propensities differ from 1/34 under the uniform policy' });
      // the same check evaluated on what is stored (a check-only run): per slice, or one slice, or a slice never ingested
      const all = await storedChecks(s, 'ingest_obp');
      expect(all.map((c) => [c.dimensions, c.result.passed])).toEqual(edited.datasets.map((d) => [{ campaign: d.campaign, policy: d.behavior }, !(d.behavior === 'random' && d.campaign === 'men')]));
      const men = await storedChecks(s, 'ingest_obp', { campaign: 'men', policy: 'random' });
      expect(men).toEqual([{ dimensions: { campaign: 'men', policy: 'random' }, result: bad }]);
      await expect(storedChecks(s, 'ingest_obp', { campaign: 'kids', policy: 'bts' })).rejects.toThrow(/partition kids\|bts of ingest_obp was never materialized \(the last ingest holds .*men\|random/);
      await expect(storedChecks(s, 'replay')).rejects.toThrow(/replay was never materialized/);
    } finally {
      fresh.cleanup();
    }
  });
});
