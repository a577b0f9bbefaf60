/**
 * `bandit ope --action-dist … --row-index COLUMN`: row i of action_dist belongs to the log
 * row whose COLUMN is i, whatever the file order (obp sorts rows by timestamp with an
 * unstable sort, so with tied timestamps its row order is not the file's). Without the
 * option rows are matched in timestamp order, ties in file order.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRng } from '../../../src/core/rng';
import { opeOnFiles } from '../../../src/pipeline/ope-file';
import { REPO_ROOT } from '../../support/env';

jest.setTimeout(120_000);

const FIX = path.join(REPO_ROOT, 'test/fixtures/ope');
const ACTION_DIST = path.join(FIX, 'synthetic_stochastic.action_dist.npy');
const REWARDS = path.join(FIX, 'synthetic_stochastic.estimated_rewards.npy');

describe('bandit ope --row-index', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ope-row-index-'));
  const lines = fs.readFileSync(path.join(FIX, 'synthetic_stochastic.logs.csv'), 'utf8').trim().split('\n');
  const header = lines[0];
  const rows = lines.slice(1).map((line, i) => ({ line, i }));
  // a fixed shuffle of the rows, each keeping its action_dist index in row_index
  const rng = createRng('row-index');
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(rng.nextFloat() * (i + 1));
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  const shuffled = path.join(dir, 'shuffled.csv');
  fs.writeFileSync(shuffled, [`${header},row_index`, ...rows.map((r) => `${r.line},${r.i}`)].join('\n') + '\n');
  const run = (logs: string, rowIndex?: string) => opeOnFiles({ logs, actionDist: ACTION_DIST, estimatedRewards: REWARDS, bootstrap: 0, rowIndex });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('shuffled logs with their row index give the estimates of the original order; without it they do not', async () => {
    const original = await run(path.join(FIX, 'synthetic_stochastic.logs.csv'));
    const indexed = await run(shuffled, 'row_index');
    const misaligned = await run(shuffled);
    indexed.estimates.forEach((e, k) => expect(e.value).toBeCloseTo(original.estimates[k].value, 12));
    const ipw = (r: typeof original) => r.estimates.find((e) => e.estimator === 'ipw')!.value;
    expect(Math.abs(ipw(misaligned) - ipw(original))).toBeGreaterThan(1e-6);
  });

  it('a missing or invalid index column is a clear error', async () => {
    await expect(run(shuffled, 'nope')).rejects.toThrow(/no column "nope" for --row-index/);
    await expect(run(shuffled, 'item_id')).rejects.toThrow(/--row-index column item_id must hold the distinct integers 0\.\.399/);
  });
});
