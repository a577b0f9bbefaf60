import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AssetKey } from '../pipeline/asset-graph';
import { computeLogPath, LocalStepLogCapture } from './compute-logs';
import { assetEventTags } from './storage/run-body';
import type { RunEvent } from './events';
import { logicalDataVersion } from './data-version';
import { executeRun, materializes, runSelection, stepOptions, type PipelinePort } from './run-worker';
import { parsePyJson, type SerdesObject } from './serdes';
import type { DagsterInstanceStorage, StoredRun } from './storage/instance-storage';

/** Event storage in memory, slow on purpose so unawaited writes would reorder if not queued. */
class MemoryStorage implements DagsterInstanceStorage {
  readonly description = 'memory';
  readonly events: RunEvent[] = [];
  private logs = 0;
  constructor(private readonly run: StoredRun | null) {}
  async getRun(): Promise<StoredRun | null> {
    return this.run;
  }
  async storeEvent(e: RunEvent): Promise<number | null> {
    // earlier log lines take longer to store than later ones
    await new Promise((r) => setTimeout(r, e.type === null ? Math.max(0, 25 - 5 * this.logs++) : 0));
    this.events.push(e);
    return e.type === 'ASSET_MATERIALIZATION' || e.check ? 100 + this.events.length : null;
  }
  async latestMaterialization(assetKey: string): Promise<{ storageId: number; dataVersion: string | null } | null> {
    const i = this.events.map((e) => e.type === 'ASSET_MATERIALIZATION' && e.assetKey === assetKey).lastIndexOf(true);
    if (i < 0) return null;
    const tags = (((this.events[i].entry.dagster_event as SerdesObject).event_specific_data as SerdesObject).materialization as SerdesObject).tags as Record<string, string>;
    return { storageId: 101 + i, dataVersion: tags['dagster/data_version'] ?? null };
  }
  /** Materializations stored by earlier runs: what a check-only run evaluates. */
  readonly earlier: Array<{ assetKey: string; partition: string | null; storageId: number; timestamp: number; runId: string }> = [];
  async materializationOf(assetKey: string, partition: string | null) {
    const m = this.earlier.filter((e) => e.assetKey === assetKey && (partition === null || e.partition === partition)).pop();
    return m ? { storageId: m.storageId, timestamp: m.timestamp, runId: m.runId } : null;
  }
  async stepsInProgress(): Promise<string[]> {
    return [];
  }
  async close(): Promise<void> {}
}

const body = (extra: Record<string, unknown> = {}): SerdesObject =>
  parsePyJson(JSON.stringify({ __class__: 'PipelineRun', pipeline_name: '__ASSET_JOB', run_config: {}, asset_selection: null, step_keys_to_execute: null, tags: {}, ...extra })) as SerdesObject;

function pipeline(behavior: Partial<Record<AssetKey, 'fail' | 'block' | 'log'>> = {}, seen: Array<[string, Record<string, unknown>]> = []): () => Promise<PipelinePort> {
  return async () => ({
    async run(key, ctx, options) {
      seen.push([key, options]);
      if (behavior[key] === 'log') for (let i = 0; i < 5; i++) ctx.log.info(`line ${i}`);
      if (behavior[key] === 'fail') throw new Error(`${key} broke`);
      if (behavior[key] === 'block') await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
      return { value: null, metadata: { rows: { type: 'int', value: 1 } } };
    },
  });
}

const types = (s: MemoryStorage) => s.events.map((e) => (e.type ?? 'LOG') + (e.stepKey ? `:${e.stepKey}` : ''));

describe('run worker', () => {
  it('writes start, per-step events and success in order, logs in emission order', async () => {
    const storage = new MemoryStorage({ body: body({ asset_selection: { __frozenset__: [{ __class__: 'AssetKey', path: ['ingest_obp'] }, { __class__: 'AssetKey', path: ['replay'] }] } }), status: 'STARTING' });
    const result = await executeRun('r1', { storage, pipeline: pipeline({ ingest_obp: 'log' }), signal: new AbortController().signal, now: () => 1, pid: 7 });
    expect(result).toBe('SUCCESS');
    expect(types(storage)).toEqual([
      'PIPELINE_START',
      'ENGINE_EVENT',
      'STEP_START:ingest_obp',
      ...Array.from({ length: 5 }, () => 'LOG:ingest_obp'),
      'STEP_OUTPUT:ingest_obp',
      'ASSET_MATERIALIZATION:ingest_obp',
      'STEP_SUCCESS:ingest_obp',
      'STEP_START:replay',
      'STEP_OUTPUT:replay',
      'ASSET_MATERIALIZATION:replay',
      'STEP_SUCCESS:replay',
      'ENGINE_EVENT',
      'PIPELINE_SUCCESS',
    ]);
    expect(storage.events.filter((e) => e.type === null).map((e) => e.entry.user_message)).toEqual(['line 0', 'line 1', 'line 2', 'line 3', 'line 4']);
  });

  it('fails the run after a step failure and does not run what depends on it', async () => {
    const storage = new MemoryStorage({ body: body(), status: 'STARTING' });
    const seen: Array<[string, Record<string, unknown>]> = [];
    expect(await executeRun('r2', { storage, pipeline: pipeline({ replay: 'fail' }, seen), signal: new AbortController().signal })).toBe('FAILURE');
    expect(seen.map(([k]) => k)).toEqual(['ingest_obp', 'replay']);
    const last = storage.events.at(-1)!;
    expect(last.type).toBe('PIPELINE_FAILURE');
    expect(last.entry.user_message).toBe(`Execution of run for "__ASSET_JOB" failed. Steps failed: ['replay'].`);
    expect(types(storage)).toContain('LOG:ope');
    expect(types(storage)).toContain('LOG:conclude');
  });

  it('cancels on abort and records the run CANCELED', async () => {
    const storage = new MemoryStorage({ body: body(), status: 'STARTING' });
    const abort = new AbortController();
    const done = executeRun('r3', { storage, pipeline: pipeline({ replay: 'block' }), signal: abort.signal });
    await new Promise((r) => setTimeout(r, 50));
    abort.abort();
    expect(await done).toBe('CANCELED');
    expect(storage.events.at(-1)?.type).toBe('PIPELINE_CANCELED');
    // the step is not left in progress
    expect(types(storage).slice(-2)).toEqual(['STEP_FAILURE:replay', 'PIPELINE_CANCELED']);
    expect(types(storage)).not.toContain('STEP_START:ope');
  });

  it('does not wait for a step that ignores the abort signal', async () => {
    const storage = new MemoryStorage({ body: body(), status: 'STARTING' });
    const abort = new AbortController();
    const stuck = async () => ({ run: () => new Promise<never>(() => undefined) }) as PipelinePort;
    const done = executeRun('r6', { storage, pipeline: stuck, signal: abort.signal });
    while (!types(storage).includes('STEP_START:ingest_obp')) await new Promise((r) => setTimeout(r, 5));
    abort.abort();
    expect(await done).toBe('CANCELED');
    expect(types(storage).slice(-2)).toEqual(['STEP_FAILURE:ingest_obp', 'PIPELINE_CANCELED']);
  });

  it('captures each step: LOGS_CAPTURED before its start, log lines teed to the step files', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-compute-logs-'));
    try {
      const storage = new MemoryStorage({ body: body({ asset_selection: { __frozenset__: [{ __class__: 'AssetKey', path: ['ingest_obp'] }, { __class__: 'AssetKey', path: ['replay'] }] } }), status: 'STARTING' });
      const printing = async (): Promise<PipelinePort> => ({
        async run(key, ctx) {
          process.stdout.write(`stdout of ${key}\n`);
          ctx.log.info(`info of ${key}`);
          return { value: null, metadata: {} };
        },
      });
      const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
      const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
      try {
        expect(await executeRun('r7', { storage, pipeline: printing, signal: new AbortController().signal, capture: new LocalStepLogCapture(dir, 'r7') })).toBe('SUCCESS');
      } finally {
        stderr.mockRestore();
        stdout.mockRestore();
      }
      const t = types(storage);
      expect(t.indexOf('LOGS_CAPTURED')).toBe(t.indexOf('STEP_START:ingest_obp') - 1);
      expect(t.filter((x) => x === 'LOGS_CAPTURED')).toHaveLength(2);
      const file = (step: string, ext: 'out' | 'err' | 'complete') => fs.readFileSync(computeLogPath(dir, 'r7', step, ext), 'utf8');
      expect(file('ingest_obp', 'out')).toBe('stdout of ingest_obp\n');
      expect(file('replay', 'out')).toBe('stdout of replay\n');
      expect(file('replay', 'err')).toMatch(/ - dagster - INFO - __ASSET_JOB - r7 - replay - info of replay\n$/);
      expect(file('replay', 'err')).not.toContain('ingest_obp');
      expect(file('replay', 'complete')).toBe('');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a run that is missing or already finished', async () => {
    await expect(executeRun('nope', { storage: new MemoryStorage(null), pipeline: pipeline(), signal: new AbortController().signal })).rejects.toThrow('is not in memory');
    await expect(executeRun('done', { storage: new MemoryStorage({ body: body(), status: 'SUCCESS' }), pipeline: pipeline(), signal: new AbortController().signal })).rejects.toThrow('already finished');
  });

  it('selects assets by asset selection narrowed by step keys, in dependency order', () => {
    const keys = (...k: string[]) => ({ __set__: k.map((x) => ({ __class__: 'AssetKey', path: [x] })) });
    expect(runSelection(body())).toEqual(['ingest_obp', 'replay', 'ope', 'conclude']);
    expect(runSelection(body({ asset_selection: keys('conclude', 'ope') }))).toEqual(['ope', 'conclude']);
    expect(runSelection(body({ asset_selection: keys('conclude', 'ope', 'replay'), step_keys_to_execute: ['ope', 'conclude'] }))).toEqual(['ope', 'conclude']);
    expect(() => runSelection(body({ asset_selection: keys('unknown') }))).toThrow('no asset ["unknown"]');
    expect(runSelection(body({ solids_to_execute: { __frozenset__: ['conclude', 'replay'] } }))).toEqual(['replay', 'conclude']);
    expect(() => runSelection(body({ solids_to_execute: { __frozenset__: ['x'] } }))).toThrow('no op "x"');
  });

  it('passes ops.<asset>.config as camelCase pipeline options', () => {
    const b = body({ run_config: { ops: { ope: { config: { n_sim: 2000, bootstrap: 50, obd_path: '/x' } } } } });
    expect(stepOptions(b, 'ope')).toEqual({ nSim: 2000, bootstrap: 50, obdPath: '/x' });
    expect(stepOptions(b, 'replay')).toEqual({});
    const f = parsePyJson('{"__class__": "PipelineRun", "run_config": {"ops": {"ope": {"config": {"alpha": 1.0}}}}}') as SerdesObject;
    expect(stepOptions(f, 'ope')).toEqual({ alpha: 1 });
    expect(() => stepOptions(body({ run_config: { ops: { ope: { config: 'x' } } } }), 'ope')).toThrow('ops.ope.config must be a mapping');
  });

  it.each([
    [{ bootstrap: 'abc' }, 'run config ops.ope.config.bootstrap: expected an Int, got "abc"'],
    [{ bootstrap: 2.5 }, 'ops.ope.config.bootstrap: expected an Int, got 2.5'],
    [{ n_sim: true }, 'ops.ope.config.n_sim: expected an Int, got true'],
    [{ alpha: 'x' }, 'ops.ope.config.alpha: expected a finite Float, got "x"'],
    [{ campaigns: ['men', 3] }, 'ops.ope.config.campaigns: expected a list of Strings'],
    [{ bts_prior: '/p.json' }, 'ops.ope.config: unknown key "bts_prior" (ope takes seed, bootstrap, n_sim, folds, alpha, lambda, bts_prior_path, obd_path, campaigns)'],
    [{ seed: null }, 'ops.ope.config.seed: expected an Int, got null'],
  ])('refuses ops.ope.config %j, naming the key and what was expected', (config, message) => {
    expect(() => stepOptions(body({ run_config: { ops: { ope: { config } } } }), 'ope')).toThrow(message);
  });

  it('accepts typed values, ints for floats, and null for optional keys', () => {
    const b = body({ run_config: { ops: { ope: { config: { lambda: 10, alpha: 0.1, campaigns: ['men'], bts_prior_path: null } }, conclude: { config: { experiments: ['e1'] } } } } });
    expect(stepOptions(b, 'ope')).toEqual({ lambda: 10, alpha: 0.1, campaigns: ['men'] });
    expect(stepOptions(b, 'conclude')).toEqual({ experiments: ['e1'] });
    expect(() => stepOptions(body({ run_config: { ops: { conclude: { config: { seed: 1 } } } } }), 'conclude')).toThrow('unknown key "seed" (conclude takes experiments)');
  });

  it('fails a run with a wrongly typed config before any step runs (nothing materialized)', async () => {
    const storage = new MemoryStorage({ body: body({ run_config: { ops: { ope: { config: { bootstrap: 'abc' } } } } }), status: 'STARTING' });
    const seen: Array<[string, Record<string, unknown>]> = [];
    expect(await executeRun('r5', { storage, pipeline: pipeline({}, seen), signal: new AbortController().signal })).toBe('FAILURE');
    expect(seen).toEqual([]);
    expect(types(storage)).not.toContain('ASSET_MATERIALIZATION:ope');
    expect(String(storage.events.at(-1)?.entry.user_message)).toContain('ops.ope.config.bootstrap: expected an Int, got "abc"');
  });
  describe('partitions', () => {
    const ingestOnly = { asset_selection: { __frozenset__: [{ __class__: 'AssetKey', path: ['ingest_obp'] }] } };
    const slices = async () => ({
      async run() {
        return {
          value: null,
          metadata: { rows: { type: 'int' as const, value: 3 } },
          partitions: [
            { dimensions: { campaign: 'men', policy: 'random' }, metadata: { rows: { type: 'int' as const, value: 1 } }, dataVersion: 'a' },
            { dimensions: { campaign: 'women', policy: 'bts' }, metadata: { rows: { type: 'int' as const, value: 2 } }, dataVersion: 'b' },
          ],
        };
      },
    });
    const materialized = (s: MemoryStorage) => s.events.filter((e) => e.type === 'ASSET_MATERIALIZATION').map((e) => e.partition);

    it('a run for one partition passes the slice to the asset and materializes that partition', async () => {
      const seen: Array<[string, Record<string, unknown>]> = [];
      const storage = new MemoryStorage({ body: body({ ...ingestOnly, tags: { 'dagster/partition': 'men|random' } }), status: 'STARTING' });
      expect(await executeRun('p1', { storage, pipeline: pipeline({}, seen), signal: new AbortController().signal, now: () => 1 })).toBe('SUCCESS');
      expect(seen).toEqual([['ingest_obp', { campaigns: ['men'], behaviors: ['random'] }]]);
      expect(materialized(storage)).toEqual(['men|random']);
      const m = storage.events.find((e) => e.type === 'ASSET_MATERIALIZATION')!;
      expect(((m.entry.dagster_event as SerdesObject).event_specific_data as SerdesObject).materialization).toMatchObject({ partition: 'men|random' });
    });

    it('a run of no partition records one materialization per partition the asset wrote; a partition run only its own', async () => {
      const whole = new MemoryStorage({ body: body(ingestOnly), status: 'STARTING' });
      await executeRun('p2', { storage: whole, pipeline: slices, signal: new AbortController().signal, now: () => 1 });
      expect(materialized(whole)).toEqual(['men|random', 'women|bts']);
      // each carries its dimensions as Dagster's multi-partition tags, and those and the data version are what asset_event_tags indexes
      const indexed = whole.events.filter((e) => e.type === 'ASSET_MATERIALIZATION').map((e) => Object.fromEntries(assetEventTags(e).map((t) => [t.key, t.value])));
      expect(indexed).toEqual([
        { 'dagster/data_version': expect.any(String), 'dagster/partition/campaign': 'men', 'dagster/partition/policy': 'random' },
        { 'dagster/data_version': expect.any(String), 'dagster/partition/campaign': 'women', 'dagster/partition/policy': 'bts' },
      ]);
      const one = new MemoryStorage({ body: body({ ...ingestOnly, tags: { 'dagster/partition': 'women|bts' } }), status: 'STARTING' });
      await executeRun('p3', { storage: one, pipeline: slices, signal: new AbortController().signal, now: () => 1 });
      expect(materialized(one)).toEqual(['women|bts']);
    });

    it('fails a run tagged with an unknown partition before any step, naming the valid keys', async () => {
      const storage = new MemoryStorage({ body: body({ ...ingestOnly, tags: { 'dagster/partition': 'kids|random' } }), status: 'STARTING' });
      expect(await executeRun('p4', { storage, pipeline: pipeline(), signal: new AbortController().signal, now: () => 1 })).toBe('FAILURE');
      expect(types(storage)).toEqual(['PIPELINE_START', 'PIPELINE_FAILURE']);
      expect(String(storage.events[1].entry.user_message)).toContain('unknown partition "kids|random" (expected one of all|random');
    });
  });
  it('evaluates the asset checks after the materialization, against its storage id', async () => {
    const storage = new MemoryStorage({ body: body({ asset_selection: { __frozenset__: [{ __class__: 'AssetKey', path: ['replay'] }] } }), status: 'STARTING' });
    const checked = async () => ({
      async run() {
        return { value: null, metadata: {}, checks: [{ name: 'matched_rows', passed: false, description: 'no matched rows for men', metadata: { 'men.matched_rows': { type: 'int' as const, value: 0 } } }] };
      },
    });
    expect(await executeRun('c1', { storage, pipeline: checked, signal: new AbortController().signal, now: () => 5 })).toBe('SUCCESS');
    expect(types(storage)).toEqual(['PIPELINE_START', 'ENGINE_EVENT', 'STEP_START:replay', 'STEP_OUTPUT:replay', 'ASSET_MATERIALIZATION:replay', 'STEP_OUTPUT:replay', 'ASSET_CHECK_EVALUATION:replay', 'STEP_SUCCESS:replay', 'ENGINE_EVENT', 'PIPELINE_SUCCESS']);
    const ev = storage.events.find((e) => e.type === 'ASSET_CHECK_EVALUATION')!;
    const data = (ev.entry.dagster_event as SerdesObject).event_specific_data as SerdesObject;
    expect(data).toMatchObject({ check_name: 'matched_rows', success: false, description: 'no matched rows for men', metadata: { 'men.matched_rows': { __class__: 'IntMetadataEntryData', value: 0 } } });
    expect(data.target_materialization_data).toMatchObject({ run_id: 'c1', storage_id: 105 });
    expect(ev.check).toEqual({ assetKey: '["replay"]', name: 'matched_rows', passed: false, partition: null, materializationStorageId: 105 });
    expect((ev.entry.dagster_event as SerdesObject).message).toBe("Asset check 'matched_rows' on 'replay' did not pass. Description: 'no matched rows for men'");
  });
  const checkKey = (asset: string, name: string) => ({ __class__: 'AssetCheckKey', asset_key: { __class__: 'AssetKey', path: [asset] }, name });
  const propensity = (passed: boolean, slice: string) => ({ name: 'propensities_valid', passed, description: passed ? '1 dataset(s): fine' : `${slice}: 3 propensities outside (0, 1]`, metadata: {} });
  const evaluations = (s: MemoryStorage) =>
    s.events
      .filter((e) => e.type === 'ASSET_CHECK_EVALUATION')
      .map((e) => {
        const d = (e.entry.dagster_event as SerdesObject).event_specific_data as SerdesObject;
        return { partition: d.partition, success: d.success, target: d.target_materialization_data === null ? null : (d.target_materialization_data as SerdesObject).storage_id, row: e.check?.partition };
      });

  it('evaluates the check of a partitioned asset per partition written, each against that partition\'s materialization', async () => {
    const storage = new MemoryStorage({ body: body({ asset_selection: { __frozenset__: [{ __class__: 'AssetKey', path: ['ingest_obp'] }] }, tags: { 'dagster/partition': 'men|random' } }), status: 'STARTING' });
    const sliced = async () => ({
      async run() {
        return {
          value: null,
          metadata: {},
          checks: [propensity(false, 'random/men')],
          partitions: [{ dimensions: { campaign: 'men', policy: 'random' }, metadata: {}, checks: [propensity(false, 'random/men')] }],
        };
      },
    });
    expect(await executeRun('pc1', { storage, pipeline: sliced, signal: new AbortController().signal, now: () => 1 })).toBe('SUCCESS');
    const mat = 101 + storage.events.findIndex((e) => e.type === 'ASSET_MATERIALIZATION');
    expect(evaluations(storage)).toEqual([{ partition: 'men|random', success: false, target: mat, row: 'men|random' }]);
  });

  it('a run of no partition evaluates each partition written and the whole asset', async () => {
    const storage = new MemoryStorage({ body: body({ asset_selection: { __frozenset__: [{ __class__: 'AssetKey', path: ['ingest_obp'] }] } }), status: 'STARTING' });
    const two = async () => ({
      async run() {
        return {
          value: null,
          metadata: {},
          checks: [propensity(true, 'all')],
          partitions: ['men', 'women'].map((c) => ({ dimensions: { campaign: c, policy: 'random' }, metadata: {}, checks: [propensity(true, `random/${c}`)] })),
        };
      },
    });
    expect(await executeRun('pc2', { storage, pipeline: two, signal: new AbortController().signal, now: () => 1 })).toBe('SUCCESS');
    expect(evaluations(storage).map((e) => e.partition)).toEqual(['men|random', 'women|random', null]);
  });

  describe('a run of checks only (asset_check_selection without the asset)', () => {
    const checkOnly = (extra: Record<string, unknown> = {}) =>
      body({ asset_selection: { __frozenset__: [] }, asset_check_selection: { __frozenset__: [checkKey('ingest_obp', 'propensities_valid')] }, ...extra });
    const stored = (seen: unknown[]) => async () => ({
      async run(): Promise<never> {
        throw new Error('a check-only run must not materialize');
      },
      async check(key: AssetKey, partition: { campaign: string; policy: string } | null) {
        seen.push([key, partition]);
        return [{ dimensions: partition, result: propensity(false, `${partition?.policy}/${partition?.campaign}`) }];
      },
    });

    it('runs the step for the check alone and evaluates the stored partition, pointing at its earlier materialization', async () => {
      const storage = new MemoryStorage({ body: checkOnly({ tags: { 'dagster/partition': 'men|random' } }), status: 'STARTING' });
      storage.earlier.push({ assetKey: '["ingest_obp"]', partition: 'men|random', storageId: 42, timestamp: 3.5, runId: 'earlier-run' });
      storage.earlier.push({ assetKey: '["ingest_obp"]', partition: 'all|bts', storageId: 43, timestamp: 3.6, runId: 'other-run' });
      const seen: unknown[] = [];
      expect(runSelection(storage['run']!.body)).toEqual(['ingest_obp']);
      expect(await executeRun('co1', { storage, pipeline: stored(seen), signal: new AbortController().signal, now: () => 9 })).toBe('SUCCESS');
      expect(seen).toEqual([['ingest_obp', { campaign: 'men', policy: 'random' }]]);
      expect(types(storage)).toEqual(['PIPELINE_START', 'ENGINE_EVENT', 'STEP_START:ingest_obp', 'STEP_OUTPUT:ingest_obp', 'ASSET_CHECK_EVALUATION:ingest_obp', 'STEP_SUCCESS:ingest_obp', 'ENGINE_EVENT', 'PIPELINE_SUCCESS']);
      const output = (storage.events[3].entry.dagster_event as SerdesObject).event_specific_data as SerdesObject;
      expect((output.step_output_handle as SerdesObject).output_name).toBe('ingest_obp_propensities_valid');
      expect(evaluations(storage)).toEqual([{ partition: 'men|random', success: false, target: 42, row: 'men|random' }]);
      const data = (storage.events[4].entry.dagster_event as SerdesObject).event_specific_data as SerdesObject;
      expect(data.target_materialization_data).toMatchObject({ run_id: 'earlier-run', storage_id: 42 });
    });

    it('a failing read (never materialized) fails the step and the run, naming what is missing', async () => {
      const storage = new MemoryStorage({ body: checkOnly(), status: 'STARTING' });
      const missing = async () => ({
        async run(): Promise<never> {
          throw new Error('no');
        },
        async check(): Promise<never> {
          throw new Error('upstream asset ingest_obp was never materialized');
        },
      });
      expect(await executeRun('co2', { storage, pipeline: missing, signal: new AbortController().signal, now: () => 1 })).toBe('FAILURE');
      expect(types(storage)).toContain('STEP_FAILURE:ingest_obp');
      expect(types(storage)).not.toContain('ASSET_MATERIALIZATION:ingest_obp');
    });

    it('a check selection with no asset selection (what the webserver stores for "Execute" on a check) is check-only too', () => {
      const b = body({ asset_selection: null, asset_check_selection: { __frozenset__: [checkKey('replay', 'matched_rows')] } });
      expect(runSelection(b)).toEqual(['replay']);
      expect(materializes(b, 'replay')).toBe(false);
    });

    it('refuses an unknown check naming the checks there are', () => {
      expect(() => runSelection(body({ asset_selection: { __frozenset__: [] }, asset_check_selection: { __frozenset__: [checkKey('ingest_obp', 'nope')] } }))).toThrow(
        'no asset check ingest_obp.nope in __repository__ (checks: ingest_obp.propensities_valid, replay.matched_rows, ope.estimators_agree)',
      );
    });

    it('a run of an asset and not its check materializes without evaluating the check', async () => {
      const storage = new MemoryStorage({ body: body({ asset_selection: { __frozenset__: [{ __class__: 'AssetKey', path: ['replay'] }] }, asset_check_selection: { __frozenset__: [] } }), status: 'STARTING' });
      const checked = async () => ({
        async run() {
          return { value: null, metadata: {}, checks: [{ name: 'matched_rows', passed: true, description: 'ok', metadata: {} }] };
        },
      });
      expect(await executeRun('co3', { storage, pipeline: checked, signal: new AbortController().signal, now: () => 1 })).toBe('SUCCESS');
      expect(types(storage)).toContain('ASSET_MATERIALIZATION:replay');
      expect(types(storage)).not.toContain('ASSET_CHECK_EVALUATION:replay');
    });
  });

  it('tags each materialization with its inputs\' data versions and events, and a logical data version when the asset has none', async () => {
    const storage = new MemoryStorage({ body: body({ asset_selection: { __frozenset__: ['ingest_obp', 'replay', 'ope'].map((k) => ({ __class__: 'AssetKey', path: [k] })) } }), status: 'STARTING' });
    const versioned = async () => ({
      async run(key: AssetKey) {
        return { value: null, metadata: {}, dataVersion: key === 'ingest_obp' ? 'files-v1' : undefined };
      },
    });
    expect(await executeRun('d1', { storage, pipeline: versioned, signal: new AbortController().signal, now: () => 1 })).toBe('SUCCESS');
    const tagsOf = (asset: string) => {
      const e = storage.events.find((x) => x.type === 'ASSET_MATERIALIZATION' && x.assetKey === `["${asset}"]`)!;
      return { tags: (((e.entry.dagster_event as SerdesObject).event_specific_data as SerdesObject).materialization as SerdesObject).tags as Record<string, string>, id: 101 + storage.events.indexOf(e) };
    };
    const ingest = tagsOf('ingest_obp');
    const replay = tagsOf('replay');
    expect(ingest.tags).toEqual({ 'dagster/code_version': '1', 'dagster/data_version': 'files-v1', 'dagster/data_version_is_user_provided': 'true' });
    expect(replay.tags).toEqual({
      'dagster/code_version': '1',
      'dagster/input_data_version/ingest_obp': 'files-v1',
      'dagster/input_event_pointer/ingest_obp': String(ingest.id),
      'dagster/data_version': logicalDataVersion('1', [{ asset: 'ingest_obp', dataVersion: 'files-v1', storageId: ingest.id }]),
    });
    expect(tagsOf('ope').tags).toMatchObject({
      'dagster/input_data_version/ingest_obp': 'files-v1',
      'dagster/input_data_version/replay': replay.tags['dagster/data_version'],
      'dagster/input_event_pointer/replay': String(replay.id),
    });
  });
});
