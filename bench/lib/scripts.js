/**
 * Sections measured by the per-area bench scripts (bench/*.bench.js), run as child
 * processes with the harness's build and a claimed Redis database; each writes its JSON
 * with `--out FILE`, which becomes the section's result.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runChecked } = require('./proc');
const { claimRedisDb } = require('./redis');

async function benchScript(ctx, script, args, { env = {}, timeoutMs = 1800000 } = {}) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-bench-out-')), 'result.json');
  try {
    await runChecked(process.execPath, [path.join(ctx.root, 'bench', script), ...args, '--out', out], {
      env: { ...process.env, BANDIT_BIN: ctx.bin, BANDIT_DIST: ctx.dist, ...env },
      cwd: ctx.root,
      timeoutMs,
      onStderr: (s) => s.trim() && ctx.log(`  ${script}: ${s.trim()}`),
    });
    return JSON.parse(fs.readFileSync(out, 'utf8'));
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}

/** /route: bandit as a Seldon ROUTER against the Python Thompson router, per connection count. */
async function seldon(ctx) {
  const connections = ctx.quick ? [16, 64] : [16, 64, 256];
  const duration = ctx.quick ? 2 : 5;
  const db = await claimRedisDb();
  try {
    const runs = [];
    for (const c of connections) {
      const r = await benchScript(ctx, 'seldon-router.bench.js', ['--duration', String(duration), '--connections', String(c), '--rounds', '1'], { env: { BANDIT_BENCH_REDIS_URL: db.url } });
      runs.push({ connections: c, ...r });
    }
    return { settings: { durationSeconds: duration, rounds: 1, connections }, runs };
  } finally {
    await db.release();
  }
}

/** OPE: all estimators with B = 1000 at the full OBD size (and smaller sizes), obp on the same 1M-row file. */
async function ope(ctx) {
  const rows = ctx.quick ? [200000, 1000000] : [1000000, 5000000, 10000000, 26700000];
  const args = ['--rows', rows.join(','), '--bootstrap', '1000', '--obp-rows', '1000000', '--obp-bootstrap', ctx.quick ? '5' : '200'];
  const r = await benchScript(ctx, 'ope.bench.js', args, { timeoutMs: 2400000 });
  return { settings: { rows, obpRows: 1000000 }, ...r };
}

/** Beta sampling against numpy; P(best) by integration against Monte Carlo. */
async function core(ctx) {
  return benchScript(ctx, 'core.bench.js', ctx.quick ? ['--quick'] : [], { timeoutMs: 900000 });
}

module.exports = { benchScript, seldon, ope, core };
