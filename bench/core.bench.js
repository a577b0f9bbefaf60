#!/usr/bin/env node
/**
 * Benchmark of the numeric core (not a test): Beta sampling against numpy's
 * Generator.beta side by side in one run, and P(best) by integration vs Monte Carlo for
 * K = 2, 10, 100. Uses the compiled core (BANDIT_DIST, default ./dist; e.g.
 * BANDIT_DIST=dist-core after `npx tsc --outDir dist-core`).
 *
 *   node bench/core.bench.js            print the results as Markdown
 *   node bench/core.bench.js --write    also replace the "## Core" section of docs/benchmarks.md
 *   node bench/core.bench.js --out FILE also write the figures as JSON (bench/run-all.js reads them)
 *   node bench/core.bench.js --quick    a tenth of the samples (a smoke run)
 *
 * The numpy peer runs in a venv built from bench/peers/numpy/requirements.txt, cached
 * under ~/.cache/bandit/venvs/numpy-<hash> (bench/lib/venv.js).
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.resolve(ROOT, process.env.BANDIT_DIST || 'dist');
const core = require(path.join(DIST, 'core'));
const { peerVenv } = require('./lib/venv');
const QUICK = process.argv.includes('--quick');
const outIndex = process.argv.indexOf('--out');
const OUT = outIndex > 0 ? process.argv[outIndex + 1] : undefined;
/** Beta samples per parameter set, ours and numpy's. */
const N = QUICK ? 200_000 : 2_000_000;

function numpyPython() {
  return path.join(peerVenv('numpy'), 'bin', 'python');
}

/** Best wall time (ms) of `reps` runs of fn, after one warm-up. */
function bestMs(reps, fn) {
  fn();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return best;
}

const fmtRate = (r) => (r >= 1e6 ? `${(r / 1e6).toFixed(1)} M/s` : `${(r / 1e3).toFixed(0)} k/s`);
const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(0)} µs`);

function samplingSection(py) {
  const params = [
    [2, 3],
    [0.5, 0.5],
    [30, 970],
    [3000, 1e6],
  ];
  const rows = [];
  for (const [a, b] of params) {
    // ours: a validated sampler closure, one call per sample into a Float64Array
    const rng = core.createRng(1);
    const draw = core.makeBetaSampler(a, b);
    const out = new Float64Array(N);
    const ms = bestMs(3, () => {
      for (let i = 0; i < N; i++) out[i] = draw(rng);
    });
    // numpy in the same run, right after
    const np = JSON.parse(execFileSync(py, [path.join(__dirname, 'peers', 'numpy', 'beta_bench.py'), JSON.stringify({ params: [[a, b]], n: N, scalarN: QUICK ? 20_000 : 200_000, reps: 3 })], { encoding: 'utf8' }));
    const r = np.results[0];
    rows.push({ a, b, ours: N / (ms / 1000), numpyBulk: r.bulkPerSec, numpyScalar: r.scalarPerSec, numpyVersion: np.numpy });
  }
  return rows;
}

function pbestSection() {
  const rng = core.createRng('bench');
  const sets = {
    2: [
      { alpha: 120, beta: 9880 },
      { alpha: 140, beta: 9860 },
    ],
    10: Array.from({ length: 10 }, (_, k) => ({ alpha: 100 + 5 * k, beta: 10000 })),
    100: Array.from({ length: 100 }, (_, k) => ({ alpha: 1000 + Math.floor(1000 * Math.abs(Math.sin(k))), beta: 100000 })),
  };
  const rows = [];
  for (const [K, arms] of Object.entries(sets)) {
    const reps = Number(K) === 100 ? 20 : 200;
    const integ = bestMs(5, () => {
      for (let i = 0; i < reps; i++) core.probabilityOfBest(arms);
    }) / reps;
    const draws = Number(K) === 100 ? 20_000 : 100_000;
    const mcMs = bestMs(2, () => core.probabilityOfBestMonteCarlo(arms, rng, draws));
    const p = core.probabilityOfBest(arms);
    const pmax = Math.max(...p.map((v) => v * (1 - v)));
    // draws for a standard error of 1e-3 and of 1e-6 on the most uncertain arm
    const perDraw = mcMs / draws;
    rows.push({ K: Number(K), integ, mcMs, draws, mc1e3: perDraw * (pmax / 1e-6), mc1e6: perDraw * (pmax / 1e-12) });
  }
  return rows;
}

function machine() {
  const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) || [])[1] || os.cpus()[0]?.model || 'unknown';
  return { nproc: os.availableParallelism ? os.availableParallelism() : os.cpus().length, cpu: cpu.trim(), node: process.version, load: os.loadavg().map((l) => l.toFixed(1)).join(' ') };
}

function main() {
  const py = numpyPython();
  const m = machine();
  const sampling = samplingSection(py);
  const pbest = pbestSection();
  const lines = [];
  lines.push('## Core');
  lines.push('');
  lines.push(`Machine: ${m.nproc} cores, ${m.cpu}, Node ${m.node}, numpy ${sampling[0].numpyVersion}; load average at the start of the run: ${m.load} (the machine is shared, so absolute numbers are noisy — the ratios are measured back to back in one run). Produced by \`BANDIT_DIST=dist node bench/core.bench.js --write\` on ${new Date().toISOString().slice(0, 10)}.`);
  lines.push('');
  lines.push('### Beta sampling (samples per second, best of 3)');
  lines.push('');
  lines.push('Ours: `makeBetaSampler(α, β)` (validated once) called once per sample into a Float64Array (xoshiro128**, ziggurat normals, Marsaglia–Tsang). numpy: `Generator.beta(α, β, size=N)` (one vectorised C loop, PCG64) and `Generator.beta(α, β)` called once per sample from Python.');
  lines.push('');
  lines.push('| α, β | ours | numpy bulk | ours / numpy bulk | numpy one call per sample |');
  lines.push('| --- | ---: | ---: | ---: | ---: |');
  for (const r of sampling) lines.push(`| ${r.a}, ${r.b} | ${fmtRate(r.ours)} | ${fmtRate(r.numpyBulk)} | ${(r.ours / r.numpyBulk).toFixed(2)}× | ${fmtRate(r.numpyScalar)} |`);
  lines.push('');
  lines.push('### P(best): integration vs Monte Carlo');
  lines.push('');
  lines.push('Integration: `probabilityOfBest` (agrees with scipy/mpmath to ~1e-11). Monte Carlo: `probabilityOfBestMonteCarlo`, timed at the draws shown and extrapolated linearly to the draws needed for a standard error of 1e-3 and of 1e-6 (the integration\'s guaranteed accuracy) on the most uncertain arm.');
  lines.push('');
  lines.push('| K | integration | Monte Carlo (draws) | MC for SE 1e-3 | MC for SE 1e-6 |');
  lines.push('| ---: | ---: | ---: | ---: | ---: |');
  for (const r of pbest) lines.push(`| ${r.K} | ${fmtMs(r.integ)} | ${fmtMs(r.mcMs)} (${r.draws.toLocaleString('en-US')}) | ${fmtMs(r.mc1e3)} | ${fmtMs(r.mc1e6)} |`);
  lines.push('');
  const k10 = pbest.find((r) => r.K === 10);
  const minRatio = Math.min(...sampling.map((r) => r.ours / r.numpyBulk));
  lines.push(`Goals: P(best) for K = 10 under 1 ms — ${k10.integ < 1 ? 'met' : 'missed'} (${fmtMs(k10.integ)}); sampling at least as fast as numpy's bulk sampler — ${minRatio >= 1 ? 'met' : `missed for some parameters (lowest ratio ${minRatio.toFixed(2)}×)`}.`);
  lines.push('');
  const md = lines.join('\n');
  process.stdout.write(md + '\n');
  if (OUT) fs.writeFileSync(OUT, JSON.stringify({ machine: m, numpy: sampling[0].numpyVersion, samples: N, sampling, pbest }, null, 2) + '\n');
  if (process.argv.includes('--write')) {
    const file = path.join(ROOT, 'docs', 'benchmarks.md');
    let doc = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n\nMeasured with the scripts in bench/ (not tests). Each section names its machine; ratios are measured side by side in one run.\n\n';
    const start = doc.indexOf('## Core\n');
    if (start >= 0) {
      const next = doc.indexOf('\n## ', start + 8);
      doc = doc.slice(0, start) + md + (next >= 0 ? doc.slice(next) : '');
    } else doc = doc.trimEnd() + '\n\n' + md;
    fs.writeFileSync(file, doc.endsWith('\n') ? doc : doc + '\n');
    process.stderr.write(`updated ${path.relative(ROOT, file)}\n`);
  }
}

main();
