/**
 * `bandit demo --window`: the simulated visitors report clicks only; the service counts a 0
 * for every decision whose window closed, so at the end every visitor is one observation
 * (α+β grown by exactly the number of visitors, α by the clicks).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRng } from '../../../src/core';
import { loadConfig } from '../../../src/config/config';
import { startDemoService } from '../../../src/demo/http-client';
import { runSimulation } from '../../../src/demo/simulation';

jest.setTimeout(120_000);

describe('demo with a conversion window (clicks only)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-demo-window-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('every visitor ends as one observation, clicks as successes', async () => {
    const arms = [
      { name: 'control', rate: 0.1 },
      { name: 'variant', rate: 0.3 },
    ];
    const stopping = { probBest: 0.999999, expectedLoss: 0, minSamplesPerArm: 1e6 };
    const service = await startDemoService(loadConfig({ BANDIT_DATA_DIR: dir, BANDIT_LOG_LEVEL: 'error' }), {
      arms: arms.map((a) => a.name),
      policy: { algorithm: 'thompson' },
      stopping,
      seed: '7',
      conversionWindowSeconds: 1,
    });
    try {
      const result = await runSimulation({ client: service.client, arms, rng: createRng('7:visitors'), stopping, maxSamples: 300, checkEvery: 100, onlyClicks: true });
      expect(result.samples).toBe(300);
      const observed = result.state.reduce((s, a) => s + a.alpha + a.beta - 2, 0);
      expect(observed).toBe(300);
      expect(result.state.reduce((s, a) => s + a.alpha - 1, 0)).toBe(result.clicks);
      expect(result.clicks).toBeGreaterThan(0);
    } finally {
      await service.close();
    }
  });
});
