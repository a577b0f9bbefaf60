import { createRng, DEFAULT_STOPPING, probabilityOfBest } from '../core';
import { InProcessBanditClient } from './bandit-client';
import { runSimulation } from './simulation';

const arms = [
  { name: 'low', rate: 0.02 },
  { name: 'high', rate: 0.1 },
];

async function run(seed: string) {
  const client = new InProcessBanditClient(
    arms.map((a) => a.name),
    { rng: createRng(`${seed}:policy`), policy: { algorithm: 'thompson', burnIn: DEFAULT_STOPPING.minSamplesPerArm } },
  );
  return runSimulation({ client, arms, rng: createRng(`${seed}:visitors`), stopping: DEFAULT_STOPPING, maxSamples: 20_000, checkEvery: 50 });
}

describe('runSimulation with the in-process client', () => {
  it('finds the better arm, with regret that only grows and stays below an equal split', async () => {
    const r = await run('a');
    expect(r.verdict.status).toBe('winner');
    expect(r.verdict.winnerName).toBe('high');
    expect(r.samples % 50).toBe(0);
    expect(r.state.reduce((s, a) => s + a.assignments, 0)).toBe(r.samples);
    expect(r.state.reduce((s, a) => s + a.alpha - 1, 0)).toBe(r.clicks);
    for (let t = 1; t < r.regret.length; t++) expect(r.regret[t]).toBeGreaterThanOrEqual(r.regret[t - 1]);
    expect(r.regret[r.regret.length - 1]).toBeLessThan(r.samples * r.equalSplitRegretPerVisitor);
    // the regret is (0.1 − 0.02) per pull of the worse arm
    expect(r.regret[r.regret.length - 1]).toBeCloseTo(0.08 * r.state[0].assignments, 9);
  });
  it('is reproducible from the seeds', async () => {
    const [a, b] = [await run('same'), await run('same')];
    expect(a.state).toEqual(b.state);
    expect(Array.from(a.regret)).toEqual(Array.from(b.regret));
  });
  it('stops without a winner at maxSamples when the arms are equal', async () => {
    const client = new InProcessBanditClient(['x', 'y']);
    const r = await runSimulation({
      client,
      arms: [
        { name: 'x', rate: 0.05 },
        { name: 'y', rate: 0.05 },
      ],
      rng: createRng(1),
      stopping: { ...DEFAULT_STOPPING, probBest: 0.999999 },
      maxSamples: 500,
    });
    expect(r.verdict.status).toBe('no_winner');
    expect(r.samples).toBe(500);
  });
});

describe('InProcessBanditClient', () => {
  it('reports the exact propensity and rejects unknown or repeated rewards', async () => {
    const client = new InProcessBanditClient(['a', 'b'], { rng: createRng(3) });
    const before = await client.state();
    const sel = await client.select();
    expect(sel.propensity).toBe(probabilityOfBest(before)[sel.arm === 'a' ? 0 : 1]);
    await client.reward(sel.decisionId, 1);
    await expect(client.reward(sel.decisionId, 1)).rejects.toThrow(/unknown or already rewarded decision/);
    await expect(client.reward('nope', 0)).rejects.toThrow(/unknown/);
    const after = await client.state();
    expect(after.find((a) => a.name === sel.arm)).toMatchObject({ alpha: 2, beta: 1, assignments: 1, observations: 1 });
  });
});
