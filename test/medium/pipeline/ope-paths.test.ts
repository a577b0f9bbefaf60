/**
 * The two OPE paths on the same file agree: `opeOfPriorPolicy` (DuckDB cells, multinomial
 * bootstrap) and `opeOnFiles` (per row, obp-shaped arrays) given the very same policy
 * (the prior's simulated action distribution, tiled per row) and the same cross-fitted
 * reward model — point estimates equal to 1e-12, intervals close.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { topKActionDist } from '../../../src/core/ope/top-k-action-dist';
import { createRng } from '../../../src/core/rng';
import { genObd } from '../../../src/pipeline/gen-obd';
import { opeOfPriorPolicy, opeOnFiles } from '../../../src/pipeline/ope-file';
import { writeNpy } from '../../../src/object-store/npy';

jest.setTimeout(300_000);

describe('cell path and per-row path on one log file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-ope-paths-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('give the same estimates', async () => {
    const rows = 6000;
    const items = 8;
    await genObd({ rows, items, seed: 4, out: dir, campaign: 'men', behaviors: ['random'] });
    const logs = path.join(dir, 'random/men/men.csv');
    const prior = path.join(dir, 'zozotown_prior_bts.json');
    const nSim = 5000;
    const cells = await opeOfPriorPolicy({ logs, priorPath: prior, campaign: 'men', nSim, bootstrap: 2000, seed: 0 });
    // the same simulated policy (same seeded stream), tiled over every row
    const p = JSON.parse(fs.readFileSync(prior, 'utf8')) as { men: { alpha: number[]; beta: number[] } };
    const pi = topKActionDist(p.men.alpha, p.men.beta, 3, nSim, createRng('ope-prior/0'));
    const dist = new Float64Array(rows * items * 3);
    for (let i = 0; i < rows; i++) dist.set(pi, i * items * 3);
    const npy = path.join(dir, 'dist.npy');
    fs.writeFileSync(npy, writeNpy({ shape: [rows, items, 3], data: dist }));
    const perRow = await opeOnFiles({ logs, actionDist: npy, bootstrap: 2000, seed: 1, estimators: ['ipw', 'snipw', 'dm', 'dr', 'sndr', 'switch-dr'] });
    for (const e of perRow.estimates) {
      const c = cells.estimates.find((x) => x.estimator === e.estimator);
      expect(c).toBeDefined();
      expect(Math.abs(c!.value - e.value)).toBeLessThan(1e-12);
      if (e.estimator !== 'dm') {
        const width = e.ci!.upper - e.ci!.lower;
        expect(Math.abs(c!.ci!.lower - e.ci!.lower)).toBeLessThan(0.1 * width);
        expect(Math.abs(c!.ci!.upper - e.ci!.upper)).toBeLessThan(0.1 * width);
      }
    }
    expect(cells.rows).toBe(rows);
  });
});
