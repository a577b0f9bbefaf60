#!/usr/bin/env node
/**
 * Benchmark of the stopping-rule simulator (not a test): simulated visitors per CPU-second
 * for the A/A and +10% lift scenarios with the default rule (one thread), and the wall time
 * of `runDesign` (200 runs per scenario) with 1 and 2 worker threads. Uses the compiled
 * build (BANDIT_DIST, default ./dist; `npm run -s build` first).
 *
 *   node bench/design.bench.js            print the results as Markdown
 *   node bench/design.bench.js --quick    50 runs instead of 200
 *   node bench/design.bench.js --out FILE also write the figures as JSON
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.resolve(ROOT, process.env.BANDIT_DIST || 'dist');
const core = require(path.join(DIST, 'core'));
const { runDesign } = require(path.join(DIST, 'design', 'runner'));
const QUICK = process.argv.includes('--quick');
const outIndex = process.argv.indexOf('--out');
const OUT = outIndex > 0 ? process.argv[outIndex + 1] : undefined;
const RUNS = QUICK ? 50 : 200;

function cpuSeconds(fn) {
  const t0 = process.cpuUsage();
  const r = fn();
  const c = process.cpuUsage(t0);
  return { r, s: (c.user + c.system) / 1e6 };
}

async function main() {
  const plan = core.designPlan({});
  const rows = [];
  for (const kind of ['aa', 'lift']) {
    const { r, s } = cpuSeconds(() => core.simulateRuns(plan, kind, 'bench', 0, RUNS));
    const visitors = r.reduce((a, x) => a + x.visitors, 0);
    rows.push({ scenario: kind, runs: RUNS, visitors, cpuSeconds: s, visitorsPerCpuSecond: visitors / s, msPerRun: (1000 * s) / RUNS });
  }
  const wall = [];
  for (const threads of [1, 2]) {
    const t0 = Date.now();
    await runDesign({ plans: [plan], seed: 'bench', runs: RUNS, threads });
    wall.push({ threads, seconds: (Date.now() - t0) / 1000 });
  }
  const load = os.loadavg()[0].toFixed(1);
  const lines = [
    `## Design simulator`,
    '',
    `${RUNS} runs per scenario, default rule (P(best) ≥ ${core.DEFAULT_STOPPING.probBest}, ${core.DEFAULT_STOPPING.minSamplesPerArm} observations per arm), 5% baseline, horizon 50,000, checks every 100 visitors; ${os.cpus().length} CPUs, load average ${load} at the end.`,
    '',
    '| scenario | visitors simulated | CPU s | visitors per CPU-second | ms per run |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((x) => `| ${x.scenario} | ${x.visitors} | ${x.cpuSeconds.toFixed(2)} | ${(x.visitorsPerCpuSecond / 1e6).toFixed(2)} M | ${x.msPerRun.toFixed(1)} |`),
    '',
    '| runDesign, both scenarios | wall time |',
    '| --- | --- |',
    ...wall.map((w) => `| ${w.threads} thread${w.threads > 1 ? 's' : ''} | ${w.seconds.toFixed(1)} s |`),
    '',
  ];
  process.stdout.write(lines.join('\n'));
  if (OUT) fs.writeFileSync(OUT, JSON.stringify({ runs: RUNS, rows, wall, load: Number(load) }, null, 2));
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
