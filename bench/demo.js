#!/usr/bin/env node
/**
 * The demo's time to a winner: `bandit demo` (simulated visitors served by bandit-service
 * started in the same process on its embedded defaults, over HTTP; Thompson sampling; the
 * default stopping rule: P(best) ≥ 0.95, expected loss ≤ 0.001, 100 pulls per arm) for
 * 2, 5 and 20 arms, over several seeds. Reports the visitors (samples) and the wall time
 * and CPU time of the CLI process (Node start-up included) until the winner, and whether
 * the winner is the truly best arm.
 *
 * True click rates: control 4%, the best arm 6%, the others evenly spaced in [2%, 4.5%].
 *
 *   node bench/demo.js [--quick]      (BANDIT_DIST, default dist: the built CLI)
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runChecked } = require('./lib/proc');

const ARM_COUNTS = [2, 5, 20];
// seeds per arm count in a full run (a 20-arm run costs minutes on a busy 2-core machine)
const FULL_SEEDS = { 2: [1, 2, 3], 5: [1, 2, 3], 20: [1] };

/** Names and true rates of a K-arm demo; the last arm is the best. */
function demoArms(k) {
  const others = k - 2;
  const rates = [0.04, ...Array.from({ length: others }, (_, i) => (others === 1 ? 0.03 : 0.02 + (0.025 * i) / (others - 1))), 0.06];
  const names = rates.map((_, i) => (i === 0 ? 'control' : i === k - 1 ? 'best' : `arm-${i}`));
  return { names, rates: rates.map((r) => Number(r.toFixed(5))) };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function run(ctx) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-bench-demo-'));
  const rows = [];
  try {
    for (const k of ARM_COUNTS) {
      const { names, rates } = demoArms(k);
      const runs = [];
      for (const seed of ctx.quick ? [1] : FULL_SEEDS[k]) {
        const r = await runChecked(process.execPath, [ctx.bin, 'demo', '--seed', String(seed), '--arms', names.join(','), '--ctr', rates.join(','), '--max-samples', '1000000', '--json', '--quiet', '--out', out], {
          timeoutMs: 400000,
          env: { ...process.env, BANDIT_DATA_DIR: out },
        });
        const rep = JSON.parse(r.stdout);
        runs.push({ seed, samples: rep.samples, seconds: r.seconds, cpuSeconds: r.cpuSeconds, status: rep.status, winner: rep.winner ?? null, correct: rep.winner === 'best', regret: rep.cumulativeRegret, equalSplitRegret: rep.equalSplitRegret });
        ctx.log(`demo ${k} arms seed ${seed}: ${rep.status} ${rep.winner ?? ''} after ${rep.samples} visitors, ${r.seconds.toFixed(1)} s (${r.cpuSeconds.toFixed(1)} s CPU)`);
      }
      rows.push({
        arms: k,
        rates,
        runs,
        medianSamples: median(runs.map((x) => x.samples)),
        medianSeconds: median(runs.map((x) => x.seconds)),
        medianCpuSeconds: median(runs.map((x) => x.cpuSeconds)),
        winners: runs.filter((x) => x.status === 'winner').length,
        correct: runs.filter((x) => x.correct).length,
        medianRegretShare: median(runs.map((x) => x.regret / (x.equalSplitRegret || 1))),
      });
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
  return { settings: { seeds: ctx.quick ? { 2: [1], 5: [1], 20: [1] } : FULL_SEEDS, stopping: 'P(best) >= 0.95, expected loss <= 0.001, >= 100 pulls per arm (defaults)', maxSamples: 1000000 }, rows };
}

module.exports = { run, demoArms };

if (require.main === module) require('./lib/standalone').runStandalone(run);
