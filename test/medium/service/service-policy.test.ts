/**
 * The policy as served, on the embedded defaults (in-process store + SQLite) with a
 * manual clock: logged propensities equal the core's exact allocation for the posterior
 * served from (Thompson, top-two with floors and caps, the serve-winner / exploration mix),
 * the served frequencies follow them, and the maximum duration ends an experiment without
 * a winner, reporting the leader, with the decision and its snapshots stored.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../../src/app/create-app';
import { ManualClock } from '../../../src/clock/clock.repository';
import { loadConfig } from '../../../src/config/config';
import { allocationProbabilities } from '../../../src/core';
import { SnapshotRepository } from '../../../src/event-store/snapshot.repository';
import { ExperimentsService } from '../../../src/experiments/experiment.service';
import { ServingService } from '../../../src/serving/serving.service';

jest.setTimeout(120_000);

describe('served policy (in-process store + SQLite, manual clock)', () => {
  let app: NestFastifyApplication;
  let clock: ManualClock;
  let dir: string;
  let serving: ServingService;
  let experiments: ExperimentsService;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-policy-'));
    clock = new ManualClock(1_750_000_000_000, 11);
    const config = loadConfig({ BANDIT_DATA_DIR: dir, BANDIT_LOG_LEVEL: 'silent', BANDIT_SNAPSHOT_INTERVAL_SECONDS: '0', BANDIT_AUTO_CONCLUDE_INTERVAL_MS: '0' });
    app = await createApp(config, { clock });
    serving = app.get(ServingService);
    experiments = app.get(ExperimentsService);
  });
  afterAll(async () => {
    await app?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const rewardAll = async (id: string, perArm: Array<[number, number]>) => {
    // serve until each arm has the wanted (clicks, no-clicks) — rewards decide α and β exactly
    const want = perArm.map(([c, n]) => ({ c, n }));
    for (let guard = 0; guard < 20_000 && want.some((w) => w.c + w.n > 0); guard++) {
      const d = await serving.select(id);
      const w = want[d.arm_index];
      if (w.c > 0) {
        w.c--;
        await serving.reward(d.decision_id, 1);
      } else if (w.n > 0) {
        w.n--;
        await serving.reward(d.decision_id, 0);
      }
    }
  };

  it('logs the exact Thompson / top-two-with-floors-and-caps allocation as propensity, and serves by it', async () => {
    // minSamplesPerArm 0: no burn-in, the policy's own allocation from the first select
    await experiments.createFrom({ id: 'ts', arms: ['a', 'b', 'c'], prior: [{ alpha: 3, beta: 30 }, { alpha: 5, beta: 30 }, { alpha: 4, beta: 30 }], stopping: { minSamplesPerArm: 0 } });
    await experiments.createFrom({
      id: 'tt',
      arms: ['a', 'b', 'c'],
      prior: [{ alpha: 3, beta: 30 }, { alpha: 9, beta: 30 }, { alpha: 4, beta: 30 }],
      algorithm: 'top_two',
      topTwoBeta: 0.6,
      floors: { a: 0.15 },
      caps: { b: 0.7 },
      stopping: { minSamplesPerArm: 0 },
    });
    const cases: Array<[string, Parameters<typeof allocationProbabilities>[1], Array<{ alpha: number; beta: number }>]> = [
      ['ts', { algorithm: 'thompson' }, [{ alpha: 3, beta: 30 }, { alpha: 5, beta: 30 }, { alpha: 4, beta: 30 }]],
      ['tt', { algorithm: 'top_two', topTwoBeta: 0.6, floors: [0.15, 0, 0], caps: [1, 0.7, 1] }, [{ alpha: 3, beta: 30 }, { alpha: 9, beta: 30 }, { alpha: 4, beta: 30 }]],
    ];
    for (const [id, policy, arms] of cases) {
      const expected = allocationProbabilities(arms, policy);
      const counts = [0, 0, 0];
      const n = 3000;
      for (let i = 0; i < n; i++) {
        const d = await serving.select(id);
        expect(d.propensity).toBeCloseTo(expected[d.arm_index], 12);
        counts[d.arm_index]++;
      }
      // frequencies within 4.5 standard errors of the propensities
      counts.forEach((c, k) => expect(Math.abs(c / n - expected[k])).toBeLessThan(4.5 * Math.sqrt((expected[k] * (1 - expected[k])) / n) + 1e-9));
    }
  });

  it('burn-in: equal shares (within floors and caps) logged as the propensity until every arm has the minimum sample', async () => {
    await experiments.createFrom({ id: 'burn', arms: ['a', 'b', 'c'], prior: [{ alpha: 3, beta: 30 }, { alpha: 9, beta: 30 }, { alpha: 4, beta: 30 }], caps: { a: 0.2 }, stopping: { minSamplesPerArm: 3 } });
    const seen = [0, 0, 0];
    for (let i = 0; i < 60 && seen.some((n) => n < 3); i++) {
      const d = await serving.select('burn');
      expect(d.propensity).toBeCloseTo([0.2, 0.4, 0.4][d.arm_index], 12);
      seen[d.arm_index]++;
      await serving.reward(d.decision_id, 0);
    }
    expect(seen.every((n) => n >= 3)).toBe(true);
  });

  it('after a winner: the winner with propensity 1, or the exploration mix', async () => {
    await experiments.createFrom({ id: 'mix', arms: ['a', 'b'], prior: [{ alpha: 2, beta: 40 }, { alpha: 40, beta: 2 }], exploration: 0.2, stopping: { minSamplesPerArm: 0 } });
    const decided = await experiments.conclude('mix');
    expect(decided.decision).toMatchObject({ status: 'winner', winnerName: 'b', trigger: 'manual' });
    const policy = allocationProbabilities([{ alpha: 2, beta: 40 }, { alpha: 40, beta: 2 }], { algorithm: 'thompson' });
    const expected = [0.2 * policy[0], 0.8 + 0.2 * policy[1]];
    for (let i = 0; i < 200; i++) {
      const d = await serving.select('mix');
      expect(d.propensity).toBeCloseTo(expected[d.arm_index], 12);
    }
  });

  it('ends an experiment at its maximum duration without a winner, reporting the leader', async () => {
    await experiments.createFrom({ id: 'slow', arms: ['a', 'b'], stopping: { maxDurationHours: 1, minSamplesPerArm: 1000 } });
    await rewardAll('slow', [
      [2, 8],
      [4, 6],
    ]);
    expect((await experiments.get('slow')).status).toBe('running');
    clock.advance(3600_000 + 1);
    const d = await serving.select('slow');
    await serving.reward(d.decision_id, 1);
    let view = await experiments.get('slow');
    for (let i = 0; i < 100 && view.status !== 'concluded'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      view = await experiments.get('slow');
    }
    expect(view.status).toBe('concluded');
    expect(view.winner).toBeNull();
    expect(view.lastDecision).toMatchObject({ status: 'no_winner', trigger: 'max_duration', leaderName: 'b' });
    expect(view.lastDecision!.reasons.join(' ')).toMatch(/maximum duration/);
    const snaps = await app.get(SnapshotRepository).latest('slow');
    expect(snaps.filter((s) => s.verdictId === view.lastDecision!.id)).toHaveLength(2);
    // without a winner the experiment keeps serving by the policy
    expect((await serving.select('slow')).propensity).toBeLessThan(1);
  });
});
