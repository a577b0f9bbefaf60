import { createHash } from 'node:crypto';
import { dataVersionTags, logicalDataVersion } from './data-version';

describe('data versions and provenance tags', () => {
  it('computes Dagster\'s logical version: SHA-256 of the code version then the inputs\' versions by key', () => {
    // dagster compute_logical_data_version("1", {AssetKey("replay"): DataVersion("b"), AssetKey("ingest_obp"): DataVersion("a")})
    expect(logicalDataVersion('1', [{ asset: 'replay', dataVersion: 'b', storageId: 2 }, { asset: 'ingest_obp', dataVersion: 'a', storageId: 1 }])).toBe(createHash('sha256').update('1ab').digest('hex'));
    // an input never materialized counts as INITIAL; a new input version changes the result
    expect(logicalDataVersion('1', [{ asset: 'ingest_obp', dataVersion: null, storageId: null }])).toBe(createHash('sha256').update('1INITIAL').digest('hex'));
    expect(logicalDataVersion('1', [{ asset: 'ingest_obp', dataVersion: 'x', storageId: 1 }])).not.toBe(logicalDataVersion('1', [{ asset: 'ingest_obp', dataVersion: 'y', storageId: 1 }]));
    expect(logicalDataVersion('2', [{ asset: 'ingest_obp', dataVersion: 'x', storageId: 1 }])).not.toBe(logicalDataVersion('1', [{ asset: 'ingest_obp', dataVersion: 'x', storageId: 1 }]));
  });

  it('tags each input\'s version and event, and says whether the data version was the asset\'s own', () => {
    expect(dataVersionTags('1', undefined, [{ asset: 'ingest_obp', dataVersion: 'abc', storageId: 17 }, { asset: 'replay', dataVersion: null, storageId: null }])).toEqual({
      'dagster/code_version': '1',
      'dagster/input_data_version/ingest_obp': 'abc',
      'dagster/input_event_pointer/ingest_obp': '17',
      'dagster/input_data_version/replay': 'INITIAL',
      'dagster/input_event_pointer/replay': 'NULL',
      'dagster/data_version': createHash('sha256').update('1abcINITIAL').digest('hex'),
    });
    expect(dataVersionTags('1', 'own', [])).toEqual({ 'dagster/code_version': '1', 'dagster/data_version': 'own', 'dagster/data_version_is_user_provided': 'true' });
  });
});
