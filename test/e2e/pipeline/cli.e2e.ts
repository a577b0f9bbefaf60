/**
 * The built `bandit` CLI end to end: `materialize --all --json` on the shared OBD sample
 * and on generated logs with known click rates, `ope` against the obp fixtures, bad input
 * (one line on stderr, exit code 2), `gen-obd` determinism, `retail-arms`.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BANDIT_BIN, describeIf, hasBuiltCli, hasDataset, itIf, OBD_PATH, REPO_ROOT } from '../../support/env';
import { obdShaped } from '../../support/obd';

jest.setTimeout(600_000);

function bandit(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(process.execPath, [BANDIT_BIN, ...args], {
    encoding: 'utf8',
    timeout: 500_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', BANDIT_LOG_LEVEL: 'warn', ...env },
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

interface MaterializeJson {
  ingest_obp: { datasets: Array<{ behavior: string; campaign: string; rows: number; clicks: number; status: string }> };
  replay: { campaigns: Array<{ campaign: string }> };
  ope: { table: string; campaigns: Array<{ protocol: unknown[] }> };
  conclude: { verdicts: Array<{ experimentId: string }> };
}


describeIf(() => hasBuiltCli())('bandit materialize / ope / gen-obd / retail-arms', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-e2e-pipeline-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  itIf(() => hasDataset(OBD_PATH))('materialize --all --json prints one object keyed by asset on the OBD sample', () => {
    const data = path.join(tmp, 'sample');
    const r = bandit(['materialize', '--all', '--json', '--obd-path', OBD_PATH, '--bootstrap', '200', '--n-sim', '10000', '--seed', '4'], { BANDIT_DATA_DIR: data });
    expect(r.stderr).not.toMatch(/bandit: /);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as MaterializeJson;
    expect(Object.keys(out)).toEqual(['ingest_obp', 'replay', 'ope', 'conclude']);
    expect(out.ingest_obp.datasets.map((d) => `${d.behavior}/${d.campaign}:${d.rows}:${d.clicks}`)).toEqual(['bts/men:10000:69', 'bts/women:10000:46', 'random/men:10000:46', 'random/women:10000:46']);
    expect(out.replay.campaigns.map((c) => c.campaign)).toEqual(['men', 'women']);
    expect(out.ope.table).toMatch(/### men: BTS policy estimated from the random logs/);
    expect(out.ope.campaigns[0].protocol).toHaveLength(7);
    expect(out.conclude.verdicts.map((d) => d.experimentId)).toEqual(['replay-men', 'replay-women']);
    // silver layout on disk
    for (const k of ['silver/obp/random/men/logs.parquet', 'silver/obp/bts/women/manifest.json', 'raw/obp/random/men/men.csv', 'silver/replay/men/result.json', 'silver/ope/table.md', 'silver/conclude/verdicts.json']) {
      expect(fs.existsSync(path.join(data, 'objects', 'bandit', k))).toBe(true);
    }
    // again: ingest changes nothing, the same seed gives the same replay
    const again = JSON.parse(bandit(['materialize', 'replay', '--json', '--obd-path', OBD_PATH, '--seed', '4'], { BANDIT_DATA_DIR: data }).stdout) as MaterializeJson;
    expect(again.ingest_obp.datasets.every((d) => d.status === 'unchanged')).toBe(true);
    expect(again.replay).toEqual(out.replay);
  });

  it('ope on obp fixtures prints estimates equal to obp', () => {
    const fix = path.join(REPO_ROOT, 'test/fixtures/ope');
    const ref = JSON.parse(fs.readFileSync(path.join(fix, 'obp_reference.json'), 'utf8')) as { cases: Array<{ name: string; logs: string; action_dist: string; estimated_rewards: string; runs: Array<{ lambda: number | null; estimates: Record<string, number> }> }> };
    const c = ref.cases[0];
    const run = c.runs[1];
    const r = bandit(['ope', '--logs', path.join(fix, c.logs), '--action-dist', path.join(fix, c.action_dist), '--estimated-rewards', path.join(fix, c.estimated_rewards), '--lambda', String(run.lambda), '--bootstrap', '100', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { estimates: Array<{ estimator: string; value: number; ci: { lower: number; upper: number } }> };
    for (const e of out.estimates) expect(Math.abs(e.value - run.estimates[e.estimator])).toBeLessThanOrEqual(1e-9);
    const table = bandit(['ope', '--logs', path.join(fix, c.logs), '--action-dist', path.join(fix, c.action_dist), '--estimators', 'ipw,snipw', '--bootstrap', '0']);
    expect(table.stdout).toMatch(/^ipw\s+0\.004021/m);
  });

  it('reports bad input as one line on stderr with exit code 2', async () => {
    const shaped = await obdShaped();
    const fix = path.join(REPO_ROOT, 'test/fixtures/ope');
    const unknown = bandit(['ope', '--logs', path.join(fix, 'obd_men_bts.logs.csv'), '--action-dist', path.join(fix, 'obd_men_bts.action_dist.npy'), '--estimators', 'ipw,magic']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe('bandit: unknown estimator "magic" (known: rm, ipw, snipw, dm, dr, sndr, switch-dr)');
    const mismatch = bandit(['ope', '--logs', path.join(fix, 'synthetic_stochastic.logs.csv'), '--action-dist', path.join(fix, 'obd_men_bts.action_dist.npy')]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/action_dist has 1000 rows but the logs have 400/);
    // a bad OBD row: file, line and column
    const obd = path.join(tmp, 'bad-obd');
    fs.mkdirSync(path.join(obd, 'random/men'), { recursive: true });
    const lines = fs.readFileSync(path.join(shaped, 'random/men/men.csv'), 'utf8').split('\n').slice(0, 11);
    lines[8] = lines[8].replace(/,(\d),(0\.029411764705882353)/, ',7,$2'); // click column of file line 9
    fs.writeFileSync(path.join(obd, 'random/men/men.csv'), lines.join('\n') + '\n');
    fs.copyFileSync(path.join(shaped, 'random/men/item_context.csv'), path.join(obd, 'random/men/item_context.csv'));
    const bad = bandit(['materialize', 'ingest_obp', '--obd-path', obd, '--quiet'], { BANDIT_DATA_DIR: path.join(tmp, 'bad-data') });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('bandit: random/men/men.csv: line 9, column click: expected a click in {0, 1}, got "7"');
    expect(fs.existsSync(path.join(tmp, 'bad-data', 'objects', 'bandit', 'silver'))).toBe(false);
    const noAsset = bandit(['materialize', 'nonsense']);
    expect(noAsset.code).toBe(2);
    expect(noAsset.stderr).toMatch(/unknown asset "nonsense"/);
  });

  it('gen-obd writes the same files for a seed, and the ope of its BTS policy finds the known click rate', () => {
    const gen = (dir: string) => bandit(['gen-obd', '--rows', '200000', '--items', '20', '--seed', '9', '--out', dir, '--json']);
    const a = gen(path.join(tmp, 'gen-a'));
    expect(a.code).toBe(0);
    expect(gen(path.join(tmp, 'gen-b')).code).toBe(0);
    const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');
    for (const f of ['random/all/all.csv', 'bts/all/all.csv', 'truth.json']) expect(sha(path.join(tmp, 'gen-a', f))).toBe(sha(path.join(tmp, 'gen-b', f)));
    const truth = JSON.parse(a.stdout) as { btsCtr: number; randomCtr: number };
    const r = bandit(['materialize', 'ope', '--json', '--obd-path', path.join(tmp, 'gen-a'), '--bootstrap', '300', '--n-sim', '20000', '--quiet'], { BANDIT_DATA_DIR: path.join(tmp, 'gen-data') });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { ope: { campaigns: Array<{ protocol: Array<{ estimator: string; value: number; lower: number; upper: number }>; btsOnPolicyCtr: number }> } };
    const c = out.ope.campaigns[0];
    // the BTS logs' own click rate is a 200k-row sample of the known value
    expect(Math.abs(c.btsOnPolicyCtr - truth.btsCtr)).toBeLessThan(5 * Math.sqrt(truth.btsCtr / 200_000));
    for (const p of c.protocol.filter((x) => ['ipw', 'snipw', 'dr', 'sndr'].includes(x.estimator))) {
      const half = (p.upper - p.lower) / 2;
      expect(Math.abs(p.value - truth.btsCtr)).toBeLessThan(2 * half); // ≈ 4 standard errors
    }
  });

  it('retail-arms turns an Online Retail II CSV into arms and purchase rates', () => {
    const csv = path.join(tmp, 'retail.csv');
    const rows = ['Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country'];
    // 100 invoices; MUG bought on 40 of them, BAG on 25, CANDLE on 10; cancellations ignored
    for (let i = 0; i < 100; i++) {
      rows.push(`${500000 + i},85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom`);
      if (i < 40) rows.push(`${500000 + i},22633,"HAND WARMER, RED MUG",2,2010-12-01 08:26:00,1.85,17850,United Kingdom`);
      if (i < 25) rows.push(`${500000 + i},85099B,JUMBO RED STORAGE BAG,1,2010-12-01 08:26:00,1.95,17850,United Kingdom`);
      if (i < 10) rows.push(`${500000 + i},21137,VINTAGE CANDLE,1,2010-12-01 08:26:00,1.25,,France`);
      if (i < 30) rows.push(`C${600000 + i},85099B,JUMBO RED STORAGE BAG,-1,2010-12-02 08:26:00,1.95,17850,United Kingdom`);
    }
    fs.writeFileSync(csv, rows.join('\n') + '\n');
    const r = bandit(['retail-arms', csv, '--arms', '3']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ arms: ['HOLDER', 'MUG', 'BAG'], ctr: [1, 0.4, 0.25], invoices: 100 });
    const wrong = path.join(tmp, 'wrong.csv');
    fs.writeFileSync(wrong, 'a,b\n1,2\n');
    const bad = bandit(['retail-arms', wrong]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not an Online Retail II CSV: missing column\(s\) Invoice, StockCode/);
  });
});
