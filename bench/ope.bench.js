#!/usr/bin/env node
/**
 * Off-policy evaluation at the full Open Bandit Dataset's size, and against obp.
 *
 *  1. `bandit gen-obd` writes a 26.7M-row uniformly random log (80 items, Parquet) and the
 *     Beta prior of a Thompson policy; `bandit ope --prior` then runs all seven estimators
 *     with B = 1000 bootstrap replicates on it (DuckDB aggregates the rows into cells; the
 *     estimators and the multinomial cell bootstrap run on the cells). Wall time and peak
 *     resident memory of the whole command under GNU time.
 *  2. Side by side on one 1M-row CSV (34 items): the same command, and obp 0.5.7's
 *     estimators + estimate_interval (B bootstrap samples) in the obp peer venv.
 *
 *   node bench/ope.bench.js [--rows 26700000] [--obp-rows 1000000] [--bootstrap 1000]
 *                           [--obp-bootstrap 1000] [--skip-obp] [--out FILE]
 *
 * --rows takes a comma-separated list (e.g. 1000000,5000000,26700000) to measure how the
 * time grows: each size is generated and evaluated in turn (results.growth); the largest
 * is results.full.
 *
 * Needs the built CLI (BANDIT_BIN, default dist/main.js); the obp peer is built by
 * test/peers/obp/install-obp.sh.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runChecked } = require('./lib/proc');

const ROOT = path.resolve(__dirname, '..');
const BIN = process.env.BANDIT_BIN || path.join(ROOT, 'dist', 'main.js');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const ROW_COUNTS = arg('rows', '26700000').split(',').map(Number).sort((a, b) => a - b);
const OBP_ROWS = Number(arg('obp-rows', '1000000'));
const B = Number(arg('bootstrap', '1000'));
const OBP_B = Number(arg('obp-bootstrap', String(B)));
const SKIP_OBP = process.argv.includes('--skip-obp');
const OUT = arg('out', undefined);

async function bandit(args, timeoutMs = 900000) {
  return runChecked(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, BANDIT_LOG_LEVEL: 'warn' }, timeoutMs });
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-bench-ope-'));
  const results = { machine: `${os.cpus().length} cores (${os.cpus()[0]?.model}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`, node: process.version, date: new Date().toISOString() };
  try {
    // 1. full size (and, with several --rows, each smaller size first)
    results.growth = [];
    for (const ROWS of ROW_COUNTS) {
      const big = path.join(tmp, 'big');
      const gen = await bandit(['gen-obd', '--rows', String(ROWS), '--items', '80', '--seed', '1', '--out', big, '--behaviors', 'random', '--format', 'parquet', '--json']);
      const truth = JSON.parse(gen.stdout);
      results.generate = { rows: ROWS, seconds: gen.seconds, peakRssMiB: gen.peakRssMiB, parquetMiB: fs.statSync(path.join(big, 'random/all/all.parquet')).size / 2 ** 20 };
      process.stderr.write(`generated ${ROWS} rows in ${gen.seconds.toFixed(1)} s\n`);
      const full = await bandit(['ope', '--logs', path.join(big, 'random/all/all.parquet'), '--prior', path.join(big, 'zozotown_prior_bts.json'), '--campaign', 'all', '--bootstrap', String(B), '--json']);
      const fullOut = JSON.parse(full.stdout);
      results.full = { rows: fullOut.rows, cells: fullOut.cells, bootstrap: B, seconds: full.seconds, peakRssMiB: full.peakRssMiB, rowsPerSecond: fullOut.rows / full.seconds, truth: truth.btsCtr, estimates: fullOut.estimates };
      results.growth.push({ rows: fullOut.rows, cells: fullOut.cells, seconds: full.seconds, peakRssMiB: full.peakRssMiB, generateSeconds: gen.seconds });
      process.stderr.write(`ope on ${fullOut.rows} rows: ${full.seconds.toFixed(1)} s, ${full.peakRssMiB.toFixed(0)} MiB\n`);
      fs.rmSync(big, { recursive: true, force: true });
    }

    // 2. side by side on 1M rows
    const small = path.join(tmp, 'small');
    await bandit(['gen-obd', '--rows', String(OBP_ROWS), '--items', '34', '--seed', '2', '--out', small, '--behaviors', 'random', '--campaign', 'men']);
    const csv = path.join(small, 'random/men/men.csv');
    const prior = path.join(small, 'zozotown_prior_bts.json');
    const ours = await bandit(['ope', '--logs', csv, '--prior', prior, '--campaign', 'men', '--bootstrap', String(B), '--json']);
    const oursOut = JSON.parse(ours.stdout);
    results.sideBySide = { rows: OBP_ROWS, items: 34, ours: { bootstrap: B, seconds: ours.seconds, peakRssMiB: ours.peakRssMiB, estimates: oursOut.estimates } };
    process.stderr.write(`ours on ${OBP_ROWS} rows: ${ours.seconds.toFixed(1)} s\n`);
    if (!SKIP_OBP) {
      const py = execFileSync('bash', [path.join(ROOT, 'test/peers/obp/install-obp.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
      const obp = await runChecked(py, [path.join(__dirname, 'peers/obp/ope_bench.py'), '--logs', csv, '--prior', prior, '--campaign', 'men', '--bootstrap', String(OBP_B)], {
        timeoutMs: 3600000,
        onStderr: (s) => process.stderr.write(`  obp: ${s}`),
      });
      const o = JSON.parse(obp.stdout.trim().split('\n').pop());
      results.sideBySide.obp = { bootstrap: OBP_B, seconds: obp.seconds, secondsEstimators: o.seconds_estimators, peakRssMiB: obp.peakRssMiB, estimates: o.estimates };
      // throughput = rows × replicates per second, so runs with different B compare fairly
      const oursRate = (OBP_ROWS * B) / ours.seconds;
      const obpRate = (OBP_ROWS * OBP_B) / o.seconds_estimators;
      results.sideBySide.throughputRatio = oursRate / obpRate;
      results.sideBySide.throughputRatioWholeProcess = oursRate / ((OBP_ROWS * OBP_B) / obp.seconds);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const json = JSON.stringify(results, null, 2);
  if (OUT) fs.writeFileSync(OUT, json + '\n');
  process.stdout.write(json + '\n');
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exitCode = 1;
});
