/**
 * The OPE core against obp 0.5.7 (fixtures by scripts/reference/obp_reference.py):
 * every point estimate equal to obp's to 1e-9, given the same logs, action_dist and
 * estimated_rewards (.npy and JSON), plus a statistical check of our simulated BTS
 * action distribution against obp's.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { topKActionDist } from '../../../src/core/ope/top-k-action-dist';
import { createRng } from '../../../src/core/rng';
import { opeOnFiles, readTensor3 } from '../../../src/pipeline/ope-file';
import { writeNpy } from '../../../src/object-store/npy';
import { describeIf, hasDataset, OBD_PATH, REPO_ROOT } from '../../support/env';

jest.setTimeout(300_000);

const FIX = path.join(REPO_ROOT, 'test/fixtures/ope');
interface Case {
  name: string;
  logs: string;
  action_dist: string;
  estimated_rewards: string;
  runs: Array<{ lambda: number | null; estimates: Record<string, number> }>;
}
const ref = JSON.parse(fs.readFileSync(path.join(FIX, 'obp_reference.json'), 'utf8')) as {
  obp: string;
  cases: Case[];
  bts_action_dist: Record<string, { n_sim: number; action_dist: number[][] }>;
};

describe(`OPE estimators equal obp ${ref.obp}`, () => {
  for (const c of ref.cases) {
    for (const run of c.runs) {
      it(`${c.name}, λ = ${run.lambda ?? '∞'}`, async () => {
        const r = await opeOnFiles({
          logs: path.join(FIX, c.logs),
          actionDist: path.join(FIX, c.action_dist),
          estimatedRewards: path.join(FIX, c.estimated_rewards),
          lambda: run.lambda ?? undefined,
          bootstrap: 0,
        });
        const got = Object.fromEntries(r.estimates.map((e) => [e.estimator, e.value]));
        expect(Object.keys(got).sort()).toEqual(Object.keys(run.estimates).sort());
        for (const [k, v] of Object.entries(run.estimates)) expect(Math.abs(got[k] - v)).toBeLessThanOrEqual(1e-9);
      });
    }
  }

  it('reads the same arrays from JSON as from .npy', async () => {
    const c = ref.cases.find((x) => x.name === 'synthetic_stochastic') as Case;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-ope-json-'));
    try {
      const toJson = async (f: string) => {
        const t = await readTensor3(path.join(FIX, f), 'x');
        const nested = Array.from({ length: t.rows }, (_, i) => Array.from({ length: t.items }, (_, a) => Array.from(t.data.subarray((i * t.items + a) * t.lenList, (i * t.items + a + 1) * t.lenList))));
        const out = path.join(dir, f.replace('.npy', '.json'));
        fs.writeFileSync(out, JSON.stringify(nested));
        return out;
      };
      const r = await opeOnFiles({ logs: path.join(FIX, c.logs), actionDist: await toJson(c.action_dist), estimatedRewards: await toJson(c.estimated_rewards), bootstrap: 0 });
      for (const e of r.estimates) expect(Math.abs(e.value - c.runs[0].estimates[e.estimator])).toBeLessThanOrEqual(1e-9);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an action distribution that is not one (naming row and slot), and shape mismatches', async () => {
    const c = ref.cases.find((x) => x.name === 'synthetic_stochastic') as Case;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-ope-bad-'));
    try {
      const t = await readTensor3(path.join(FIX, c.action_dist), 'x');
      t.data[(17 * t.items + 2) * t.lenList + 1] += 0.3;
      const bad = path.join(dir, 'bad.npy');
      fs.writeFileSync(bad, writeNpy({ shape: [t.rows, t.items, t.lenList], data: t.data }));
      await expect(opeOnFiles({ logs: path.join(FIX, c.logs), actionDist: bad, bootstrap: 0 })).rejects.toThrow(/action_dist\[17, :, 1\] sums to 1\.3/);
      const short = path.join(dir, 'short.npy');
      fs.writeFileSync(short, writeNpy({ shape: [10, t.items, t.lenList], data: t.data.subarray(0, 10 * t.items * t.lenList) }));
      await expect(opeOnFiles({ logs: path.join(FIX, c.logs), actionDist: short, bootstrap: 0 })).rejects.toThrow(/action_dist has 10 rows but the logs have 400/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives bootstrap intervals that contain the estimate (B = 500)", async () => {
    const c = ref.cases[0];
    const r = await opeOnFiles({ logs: path.join(FIX, c.logs), actionDist: path.join(FIX, c.action_dist), estimatedRewards: path.join(FIX, c.estimated_rewards), bootstrap: 500, seed: 3 });
    for (const e of r.estimates.filter((x) => x.estimator !== 'rm')) {
      expect(e.ci!.lower).toBeLessThanOrEqual(e.value);
      expect(e.ci!.upper).toBeGreaterThanOrEqual(e.value);
      expect(e.ci!.upper).toBeGreaterThan(e.ci!.lower);
    }
  });
});

// obp simulated its reference from the dataset's own BTS prior, read from ../shared (skips visibly without it)
const PRIOR = path.join(OBD_PATH, 'zozotown_prior_bts.json');
describeIf(() => hasDataset(PRIOR))("simulated BTS action distribution against obp's", () => {
  let prior: Record<string, { alpha: number[]; beta: number[] }>;
  beforeAll(() => {
    prior = JSON.parse(fs.readFileSync(PRIOR, 'utf8')) as Record<string, { alpha: number[]; beta: number[] }>;
  });
  it.each(['men', 'women'])('%s: every π(a|k) within 5 standard errors of obp (two independent simulations)', (campaign) => {
    const theirs = ref.bts_action_dist[campaign];
    const n = theirs.n_sim;
    const ours = topKActionDist(prior[campaign].alpha, prior[campaign].beta, 3, n, createRng(`test/${campaign}`));
    theirs.action_dist.forEach((row, a) =>
      row.forEach((p, k) => {
        const q = ours[a * 3 + k];
        const pooled = (p + q) / 2;
        const se = Math.sqrt((2 * pooled * (1 - pooled)) / n) + 1e-12;
        expect(Math.abs(p - q)).toBeLessThanOrEqual(5 * se + 2 / n);
      }),
    );
  });
});
