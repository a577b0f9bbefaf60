import { createRng, LEGACY_STOPPING, type AllocationPolicy, type StoppingConfig } from '../core';
import { InProcessBanditClient } from './bandit-client';
import { runSimulation } from './simulation';

// `bandit demo --in-process --seed 3 --arms a,b --ctr 0.05,0.08 --max-samples 20000`
function demo(policy: AllocationPolicy, stopping: StoppingConfig) {
  const arms = [
    { name: 'a', rate: 0.05 },
    { name: 'b', rate: 0.08 },
  ];
  const client = new InProcessBanditClient(['a', 'b'], { policy, rng: createRng('3:policy') });
  return runSimulation({ client, arms, rng: createRng('3:visitors'), stopping, maxSamples: 20_000, checkEvery: 100 });
}

describe('burn-in: a rule with a minimum sample can always conclude', () => {
  it('without burn-in, Thompson sampling starves the worse arm below the minimum and the run stalls', async () => {
    const r = await demo({ algorithm: 'thompson' }, LEGACY_STOPPING);
    expect(r.verdict.verdict).toBe('no_winner');
    expect(r.verdict.probBest[1]).toBeGreaterThan(0.99);
    expect(r.state[0].observations).toBeLessThan(100);
  });
  it('with burn-in, the same run reaches the minimum and names the better arm', async () => {
    const r = await demo({ algorithm: 'thompson', burnIn: LEGACY_STOPPING.minSamplesPerArm }, LEGACY_STOPPING);
    expect(r.verdict.verdict).toBe('winner');
    expect(r.verdict.winnerName).toBe('b');
    expect(r.state[0].observations).toBeGreaterThanOrEqual(100);
  });
});
