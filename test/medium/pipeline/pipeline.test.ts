/**
 * The pipeline through `createPipeline`, each asset in a fresh pipeline instance (as when
 * Dagster runs a subset in its own process): missing upstream named, replay determinism,
 * the ope protocol table, conclude into the embedded event store, the local run folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCode } from '../../../src/common/errors';
import { openDataSource } from '../../../src/event-store/data-source';
import { createPipeline, type PipelineOptions } from '../../../src/pipeline';
import type { AssetKey } from '../../../src/pipeline/asset-graph';
import type { ConcludeResult } from '../../../src/pipeline/conclude.asset';
import { keys } from '../../../src/pipeline/layout';
import type { CampaignOpe } from '../../../src/pipeline/ope.asset';
import type { CampaignReplay, ReplaySummary } from '../../../src/pipeline/replay.asset';
import { createObjectStore, getJson } from '../../../src/object-store';
import { describeIf, hasDataset, OBD_PATH } from '../../support/env';
import { recordingContext, tempConfig } from './helpers';

jest.setTimeout(300_000);

describeIf(() => hasDataset(OBD_PATH))('pipeline assets', () => {
  const env = tempConfig({ BANDIT_OBD_PATH: OBD_PATH });
  const store = createObjectStore(env.config);
  afterAll(() => env.cleanup());
  const run = async (key: AssetKey, options: PipelineOptions = {}) => {
    const p = await createPipeline(env.config);
    try {
      return await p.run(key, recordingContext(), options);
    } finally {
      await p.close();
    }
  };

  it('names the upstream asset that was never materialized', async () => {
    await expect(run('replay')).rejects.toMatchObject({ code: ErrorCode.NotFound, message: expect.stringMatching(/upstream asset ingest_obp was never materialized/) });
    await run('ingest_obp');
    await expect(run('ope')).rejects.toMatchObject({ code: ErrorCode.NotFound, message: expect.stringMatching(/upstream asset replay was never materialized/) });
    await expect(run('conclude')).rejects.toThrow(/upstream asset replay was never materialized/);
  });

  it('replay is deterministic for a seed and differs across seeds', async () => {
    const read = async () => Promise.all(['men', 'women'].map((c) => getJson<CampaignReplay>(store, keys.replay(c))));
    await run('replay', { seed: 11 });
    const first = await read();
    await run('replay', { seed: 11 });
    expect(await read()).toEqual(first);
    await run('replay', { seed: 12 });
    expect(await read()).not.toEqual(first);
    for (const r of first) {
      // uniform prior: every matched row moved one posterior by one
      const learned = r.alpha.reduce((s, a) => s + a - 1, 0) + r.beta.reduce((s, b) => s + b - 1, 0);
      expect(learned).toBe(r.matched);
      expect(r.rows).toBe(10_000);
      expect(r.curve.at(-1)).toMatchObject({ step: r.matched, cumulativeReward: r.clicks });
    }
  });

  it('replay with the zozotown prior starts from it', async () => {
    const out = await run('replay', { seed: 1, priorPath: path.join(OBD_PATH, 'zozotown_prior_bts.json'), campaigns: ['men'] });
    const summary = out.value as ReplaySummary;
    expect(summary.campaigns.map((c) => c.campaign)).toEqual(['men']);
    const r = await getJson<CampaignReplay>(store, keys.replay('men'));
    const prior = JSON.parse(fs.readFileSync(path.join(OBD_PATH, 'zozotown_prior_bts.json'), 'utf8')) as { men: { alpha: number[] } };
    expect(r.prior.alpha).toEqual(prior.men.alpha);
    expect(r.alpha.reduce((s, a, k) => s + a - prior.men.alpha[k], 0)).toBe(r.clicks);
    await run('replay', { seed: 11 }); // back to both campaigns for what follows
  });

  it('ope estimates the BTS policy and our sampler with intervals and the protocol table', async () => {
    const out = await run('ope', { bootstrap: 200, nSim: 20_000, seed: 2 });
    const v = out.value as { campaigns: CampaignOpe[]; table: string };
    expect(v.campaigns.map((c) => c.campaign)).toEqual(['men', 'women']);
    for (const c of v.campaigns) {
      expect(c.rows).toBe(10_000);
      expect(c.btsOnPolicyCtr).toBe(c.campaign === 'men' ? 0.0069 : 0.0046); // SOURCE.md: bts click rates
      expect(c.evaluations.map((e) => e.policy)).toEqual(['bts', 'ours']);
      expect(c.protocol.map((p) => p.estimator)).toEqual(['rm', 'ipw', 'snipw', 'dm', 'dr', 'sndr', 'switch-dr']);
      for (const p of c.protocol) {
        expect(p.relativeError).toBeCloseTo(Math.abs(p.value - (c.btsOnPolicyCtr as number)) / (c.btsOnPolicyCtr as number), 12);
        expect(p.lower!).toBeLessThanOrEqual(p.value);
        expect(p.upper!).toBeGreaterThanOrEqual(p.value);
      }
      // random logs: p = 1/items for every row, so IPW = mean(r·π·items); a value near the logs' CTR scale
      for (const e of c.evaluations.flatMap((x) => x.estimates)) expect(e.value).toBeGreaterThan(0.001);
    }
    expect(v.table).toMatch(/\| estimator \| V̂ \| 95% CI \| relative error/);
    expect((await store.get(keys.opeTable())).toString()).toBe(v.table);
    expect(out.metadata.protocol_table).toEqual({ type: 'md', value: v.table });
  });

  it('conclude records a decision per replay campaign in the event store and the local run folder', async () => {
    const out = await run('conclude');
    const v = out.value as ConcludeResult;
    expect(v.verdicts.map((d) => d.experimentId)).toEqual(['replay-men', 'replay-women']);
    const ds = await openDataSource(env.config);
    try {
      const rows = await ds.query('SELECT id, experiment_id, status, trigger, leader_index FROM verdicts ORDER BY id');
      expect(rows.map((r: { experiment_id: string; trigger: string }) => [r.experiment_id, r.trigger])).toEqual([
        ['replay-men', 'pipeline'],
        ['replay-women', 'pipeline'],
      ]);
      const men = await getJson<CampaignReplay>(store, keys.replay('men'));
      const snaps = await ds.query('SELECT arm_index, alpha, beta, assignments, observations, prob_best FROM posterior_snapshots WHERE experiment_id = $1 ORDER BY arm_index'.replace('$1', '?'), ['replay-men']);
      expect(snaps).toHaveLength(34);
      snaps.forEach((s: { arm_index: number; alpha: number; beta: number; assignments: number; observations: number }, k: number) => {
        expect(s.arm_index).toBe(k);
        expect(s.alpha).toBe(men.alpha[k]);
        expect(s.beta).toBe(men.beta[k]);
        expect(s.assignments).toBe(men.alpha[k] + men.beta[k] - 2);
        expect(s.observations).toBe(men.alpha[k] + men.beta[k] - 2);
      });
      const pbest = snaps.reduce((s: number, x: { prob_best: number }) => s + x.prob_best, 0);
      expect(pbest).toBeCloseTo(1, 6);
    } finally {
      await ds.destroy();
    }
    // the local run folder holds the run with its metrics
    const runDir = (out.metadata.tracking_run as { value: string }).value;
    const info = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')) as { status: string; runName: string };
    expect(info).toMatchObject({ status: 'FINISHED', runName: 'conclude' });
    expect(fs.existsSync(path.join(runDir, 'artifacts/conclude/verdicts.json'))).toBe(true);
  });
});
