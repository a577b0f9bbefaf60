/**
 * The partition-set answers against what Python Dagster answers for the same
 * MultiPartitionsDefinition, per supported line (scripts/reference/dagster_golden.py →
 * test/fixtures/dagster/<line>/).
 */
import { golden, GOLDEN_LINES } from '../../test/support/dagster-golden';
import { OBD_PARTITIONS } from '../pipeline/asset-graph';
import { protocolMismatch } from './protocol-version';
import {
  partitionConfigResult,
  partitionDimensions,
  partitionExecutionParamsResult,
  partitionKey,
  partitionKeys,
  partitionNamesResult,
  partitionTagsResult,
} from './partitions';
import { runPartition } from './run-worker';
import { parsePyJson, pyJson, type SerdesObject } from './serdes';

const { fixture } = golden('1.13');
const plain = (v: SerdesObject) => parsePyJson(pyJson(v)) as SerdesObject;

describe('partitions of ingest_obp (campaign × policy)', () => {
  it('lists the keys in Dagster\'s order and splits them back by dimension', () => {
    expect(partitionKeys(OBD_PARTITIONS)).toEqual(['all|random', 'all|bts', 'men|random', 'men|bts', 'women|random', 'women|bts']);
    expect(partitionDimensions(OBD_PARTITIONS, 'men|bts')).toEqual({ campaign: 'men', policy: 'bts' });
    expect(partitionKey({ policy: 'bts', campaign: 'men' })).toBe('men|bts');
    for (const bad of ['men', 'bts|men', 'men|bts|x', 'kids|random', '']) expect(partitionDimensions(OBD_PARTITIONS, bad)).toBeNull();
  });

  describe.each(GOLDEN_LINES.map((l) => [l]))('against Python Dagster %s', (line) => {
    const g = golden(line);
    it.each([
      ['names', () => partitionNamesResult(g.fixture('partition_names_args')), 'partition_names'],
      ['config', () => partitionConfigResult(g.fixture('partition_args')), 'partition_config'],
      ['tags', () => partitionTagsResult(g.fixture('partition_args')), 'partition_tags'],
      ['execution params', () => partitionExecutionParamsResult(g.fixture('partition_execution_params_args')), 'partition_execution_params'],
    ])('answers %s as Python Dagster does', (_name, ours, py) => {
      expect(plain(ours())).toEqual(g.fixture(py));
    });

    it('knows the request fields Python sent', () => {
      for (const f of ['partition_names_args', 'partition_args', 'partition_execution_params_args']) expect(protocolMismatch(g.fixture(f), line)).toBeNull();
    });
  });

  it('answers an unknown partition or job with error data naming it (Python would make up tags)', () => {
    const unknown = partitionTagsResult({ ...fixture('partition_args'), partition_name: 'nope|nope' });
    expect(unknown.__class__).toBe('ExternalPartitionExecutionErrorData');
    expect(String((unknown.error as SerdesObject).message)).toContain('unknown partition "nope|nope" of __ASSET_JOB: expected one of all|random, all|bts');
    const exec = partitionExecutionParamsResult({ ...fixture('partition_execution_params_args'), partition_names: ['men|random', 'x|y'] });
    expect(exec.__class__).toBe('ExternalPartitionExecutionErrorData');
    const job = partitionNamesResult({ ...fixture('partition_names_args'), job_name: 'other_job' });
    expect(String((job.error as SerdesObject).message)).toContain('no job other_job');
  });

  it('reads a run\'s partition from its dagster/partition tag, refusing an unknown key', () => {
    expect(runPartition({ tags: {} })).toBeNull();
    expect(runPartition({ tags: { 'dagster/partition': 'women|random' } })).toEqual({ key: 'women|random', dimensions: { campaign: 'women', policy: 'random' } });
    expect(() => runPartition({ tags: { 'dagster/partition': 'women' } })).toThrow('unknown partition "women" (expected one of all|random');
  });
});
