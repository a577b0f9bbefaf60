/**
 * conclude on Postgres: live experiments of the event store (definitions + events written
 * through the service's repositories) get the stopping rule; the decision and the
 * posterior snapshot of every arm land in `verdicts` / `posterior_snapshots`, with
 * posteriors equal to prior + the events' sums (computed here from the inserted events).
 */
import { openDataSource } from '../../../src/event-store/data-source';
import { EventRepository } from '../../../src/event-store/event.repository';
import { upgradeDefinition } from '../../../src/experiments/experiment.dto';
import { ExperimentRepository } from '../../../src/experiments/experiment.repository';
import { createPipeline } from '../../../src/pipeline';
import type { ConcludeResult } from '../../../src/pipeline/conclude.asset';
import type { QueuedEvent } from '../../../src/event-queue/event-queue';
import { describeIf } from '../../support/env';
import { obdShaped } from '../../support/obd';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../../support/services';
import { recordingContext, smallObd, tempConfig } from './helpers';
import * as fs from 'node:fs';

jest.setTimeout(300_000);

describeIf(() => hasPostgres())('conclude on Postgres', () => {
  let db: TestDatabase;
  let env: ReturnType<typeof tempConfig>;
  let obd: string;
  const arms = ['control', 'variant'];
  const rates = [0.05, 0.3];
  const pulls = [600, 600];
  const clicks = [0, 0];

  beforeAll(async () => {
    db = await createTestDatabase('bandit_pipeline');
    obd = smallObd(await obdShaped(), ['men'], 3000);
    env = tempConfig({ BANDIT_DATABASE_URL: db.url, BANDIT_OBD_PATH: obd });
    const ds = await openDataSource(env.config);
    try {
      // a definition as stored before the lifecycle fields: upgradeDefinition fills them in
      const definition = upgradeDefinition({
        arms,
        prior: [
          { alpha: 1, beta: 1 },
          { alpha: 2, beta: 3 },
        ],
        algorithm: 'thompson',
        topTwoBeta: 0.5,
        stopping: { probBest: 0.95, expectedLoss: 0.001, minSamplesPerArm: 100, maxDurationHours: null },
        floors: null,
        caps: null,
        sticky: false,
        exploration: 0,
      });
      const now = new Date();
      await new ExperimentRepository(ds).insert({ id: 'live-exp', definition, status: 'running', winnerIndex: null, createdAt: now, updatedAt: now });
      await new ExperimentRepository(ds).insert({ id: 'stopped-exp', definition, status: 'stopped', winnerIndex: null, createdAt: now, updatedAt: now });
      const events: QueuedEvent[] = [];
      let x = 12345;
      const rand = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
      for (let k = 0; k < 2; k++) {
        for (let i = 0; i < pulls[k]; i++) {
          const id = `d-${k}-${i}`;
          events.push({ queueId: id, experimentId: 'live-exp', type: 'select', decisionId: id, arm: k, propensity: 0.5, reward: null, unitId: null, at: now.getTime() });
          const r = rand() < rates[k] ? 1 : 0;
          clicks[k] += r;
          events.push({ queueId: `${id}r`, experimentId: 'live-exp', type: 'reward', decisionId: id, arm: k, propensity: 0.5, reward: r, unitId: null, at: now.getTime() });
        }
      }
      await new EventRepository(ds).insertEvents(events);
    } finally {
      await ds.destroy();
    }
  });
  afterAll(async () => {
    await db?.drop();
    env?.cleanup();
    if (obd) fs.rmSync(obd, { recursive: true, force: true });
  });

  it('decides the live experiment and the replay, and stores verdicts with snapshots', async () => {
    const p = await createPipeline(env.config);
    try {
      for (const key of ['ingest_obp', 'replay', 'ope'] as const) await p.run(key, recordingContext(), { bootstrap: 50, nSim: 2000 });
      const out = await p.run('conclude', recordingContext(), {});
      const v = out.value as ConcludeResult;
      expect(v.verdicts.map((d) => [d.experimentId, d.source])).toEqual([
        ['replay-men', 'replay'],
        ['live-exp', 'live'],
      ]);
      const live = v.verdicts[1];
      expect(live).toMatchObject({ status: 'winner', winner: 'variant', leader: 'variant' });
      expect(live.probBestOfLeader).toBeGreaterThan(0.95);
    } finally {
      await p.close();
    }
    const ds = await openDataSource(env.config);
    try {
      const [d] = await ds.query(`SELECT id, status, trigger, winner_index, total_samples FROM verdicts WHERE experiment_id = 'live-exp'`);
      expect(d).toMatchObject({ status: 'winner', trigger: 'pipeline', winner_index: 1, total_samples: 1200 });
      const snaps = await ds.query(`SELECT arm_index, arm_name, alpha, beta, assignments, observations, rewards, verdict_id FROM posterior_snapshots WHERE experiment_id = 'live-exp' ORDER BY arm_index`);
      expect(snaps).toEqual([
        { arm_index: 0, arm_name: 'control', alpha: 1 + clicks[0], beta: 1 + pulls[0] - clicks[0], assignments: pulls[0], observations: pulls[0], rewards: clicks[0], verdict_id: d.id },
        { arm_index: 1, arm_name: 'variant', alpha: 2 + clicks[1], beta: 3 + pulls[1] - clicks[1], assignments: pulls[1], observations: pulls[1], rewards: clicks[1], verdict_id: d.id },
      ]);
      // recording a decision does not end the live experiment (the service does)
      const [e] = await ds.query(`SELECT status FROM experiments WHERE id = 'live-exp'`);
      expect(e.status).toBe('running');
    } finally {
      await ds.destroy();
    }
  });

  it('names an unknown experiment', async () => {
    const p = await createPipeline(env.config);
    try {
      await expect(p.run('conclude', recordingContext(), { experiments: ['nope'] })).rejects.toThrow(/experiment "nope" not found/);
    } finally {
      await p.close();
    }
  });
});
