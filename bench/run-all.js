#!/usr/bin/env node
/**
 * Runs every benchmark and rewrites docs/benchmarks.md (and the plots docs/img/bench-*.svg)
 * from the results. Nothing here is a pass/fail test: each goal is printed beside its
 * figure as met or missed.
 *
 *   npm run bench                          build, then every section
 *   node bench/run-all.js [--only service,core] [--quick] [--resume] [--report-only] [--list]
 *
 *   --only A,B      run these sections; the report still shows the stored results of the
 *                   others (each with the time it was measured)
 *   --quick         short durations and small sizes: a smoke run (its report says so)
 *   --resume        skip sections that already have a stored result of this mode
 *   --report-only   measure nothing, rewrite the report from the stored results
 *   --list          print the sections and exit
 *   --doc FILE      write the report there (plots in img/ beside it) instead of docs/benchmarks.md
 *
 * BANDIT_DIST names the build to measure (default dist: `npm run bench` builds it first).
 * Results are kept per mode in bench/results/<full|quick>/<section>.json (not committed).
 * Everything runs on loopback; every load is bounded in time; servers started are stopped.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { describeMachine, loadAverage } = require('./lib/machine');
const { redisReachable } = require('./lib/redis');
const { writeReport } = require('./lib/report');
const scripts = require('./lib/scripts');

const ROOT = path.resolve(__dirname, '..');

/** In run order: the cheap and the CPU-bound ones first, the long ones last. */
const SECTIONS = [
  { name: 'core', script: 'bench/core.bench.js', what: 'Beta sampling against numpy; P(best) by integration against Monte Carlo', run: scripts.core },
  { name: 'store', script: 'bench/lib/redis-bench.js', what: 'redis-benchmark: MGET of an experiment and the select / reward scripts', needs: 'redis', run: (ctx) => require('./lib/redis-bench').run(ctx) },
  { name: 'service', script: 'bench/service.bench.js, bench/lib/service.js', what: '/select and /reward: ceiling, bandit-service, FastAPI + redis-py at 16/64/256 connections', needs: 'redis', run: (ctx) => require('./lib/service').run(ctx) },
  { name: 'seldon', script: 'bench/seldon-router.bench.js', what: '/route: bandit as a Seldon ROUTER against the Python Thompson router', needs: 'redis', run: scripts.seldon },
  { name: 'select-arms', script: 'bench/select-arms.js', what: '/select latency against the number of arms', needs: 'redis', run: (ctx) => require('./select-arms').run(ctx) },
  { name: 'demo', script: 'bench/demo.js', what: "the demo's time to a winner for 2, 5 and 20 arms", run: (ctx) => require('./demo').run(ctx) },
  { name: 'ope', script: 'bench/ope.bench.js', what: 'OPE against obp on 1M rows; time and peak memory against rows up to 26.7M', run: scripts.ope },
  { name: 'ceiling', script: 'bench/ceiling.bench.js', what: '/select against its realistic ceiling (bare Fastify + ioredis + select.lua), node:http and bare Fastify; pinned and unpinned; CPU per 10k requests', needs: 'redis', run: (ctx) => require('./ceiling.bench').run(ctx) },
  { name: 'insert', script: 'bench/event-insert.bench.js', what: "the event drain's Postgres insert: unnest against multi-row VALUES, with and without the experiment index", run: (ctx) => require('./event-insert.bench').run(ctx) },
  {
    name: 'alloc',
    script: 'bench/alloc.bench.js, bench/lib/alloc-probe.js',
    what: 'bytes allocated and CPU per /select request: realistic ceiling, bandit serve (drain in-process, drain apart, embedded)',
    needs: 'redis',
    run: (ctx) => require('./alloc.bench').run({ rounds: ctx.quick ? 1 : 3, duration: ctx.quick ? 2 : 5, setups: ['bandit', 'split', 'embedded'], builds: [], realistic: true, dist: ctx.dist }),
  },
  { name: 'ioredis', script: 'bench/ioredis-write.bench.js', what: "ioredis's write path for the select script: bytes and CPU per call, four ways of calling it", needs: 'redis', run: (ctx) => require('./ioredis-write.bench').run(ctx) },
];

function usageError(message) {
  return Object.assign(new Error(message), { usage: true });
}

function parseArgs(argv) {
  const o = { only: undefined, quick: false, resume: false, reportOnly: false, list: false, doc: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--only') o.only = (argv[++i] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    else if (a.startsWith('--only=')) o.only = a.slice(7).split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--quick') o.quick = true;
    else if (a === '--resume') o.resume = true;
    else if (a === '--report-only') o.reportOnly = true;
    else if (a === '--list') o.list = true;
    else if (a === '--doc') o.doc = path.resolve(argv[++i] ?? '');
    else throw usageError(`unknown argument ${a} (see the comment at the top of bench/run-all.js)`);
  }
  const names = SECTIONS.map((s) => s.name);
  for (const n of o.only ?? []) if (!names.includes(n)) throw usageError(`unknown section ${JSON.stringify(n)} (sections: ${names.join(', ')})`);
  return o;
}

const stamp = () => new Date().toISOString();

/** The commit the build came from (the build may hold uncommitted changes of the work tree too). */
function headCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.list) {
    for (const s of SECTIONS) process.stdout.write(`${s.name.padEnd(12)} ${s.what}\n`);
    return;
  }
  const mode = opts.quick ? 'quick' : 'full';
  const dist = path.resolve(ROOT, process.env.BANDIT_DIST || 'dist');
  const bin = path.join(dist, 'main.js');
  if (!opts.reportOnly && !fs.existsSync(bin)) throw new Error(`no build at ${dist} (npm run build, or set BANDIT_DIST)`);
  const resultsDir = path.join(ROOT, 'bench', 'results', mode);
  fs.mkdirSync(resultsDir, { recursive: true });
  const log = (s) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);
  const ctx = { root: ROOT, dist, bin, quick: opts.quick, log };
  const redisUp = await redisReachable();

  const selected = opts.reportOnly ? [] : SECTIONS.filter((s) => !opts.only || opts.only.includes(s.name));
  for (const s of selected) {
    const file = path.join(resultsDir, `${s.name}.json`);
    if (opts.resume && fs.existsSync(file) && !JSON.parse(fs.readFileSync(file, 'utf8')).error) {
      log(`${s.name}: kept the stored result (--resume)`);
      continue;
    }
    const record = { section: s.name, mode, startedAt: stamp(), loadStart: loadAverage(), build: path.relative(ROOT, dist), commit: headCommit() };
    log(`${s.name}: ${s.what} (${mode}), load average ${record.loadStart.join(' ')}`);
    try {
      if (s.needs === 'redis' && !redisUp) throw new Error('Redis is not reachable (BANDIT_BENCH_REDIS_URL / REDIS_URL, default redis://127.0.0.1:6379)');
      record.result = await s.run(ctx);
    } catch (err) {
      record.error = String(err.stack || err).slice(0, 4000);
      log(`${s.name}: FAILED: ${String(err.message || err).split('\n')[0]}`);
    }
    record.finishedAt = stamp();
    record.loadEnd = loadAverage();
    record.seconds = (Date.parse(record.finishedAt) - Date.parse(record.startedAt)) / 1000;
    fs.writeFileSync(file, JSON.stringify(record, null, 2) + '\n');
    log(`${s.name}: done in ${record.seconds.toFixed(0)} s`);
  }

  const records = SECTIONS.map((s) => {
    const file = path.join(resultsDir, `${s.name}.json`);
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : { section: s.name, missing: true };
  });
  const written = writeReport({ root: ROOT, dist, mode, machine: describeMachine(), records, sections: SECTIONS, doc: opts.doc });
  log(`wrote ${written.map((f) => path.relative(ROOT, f)).join(', ')}`);
}

main().catch((err) => {
  process.stderr.write(`${err.usage ? `run-all: ${err.message}` : err.stack || err}\n`);
  process.exit(err.usage ? 2 : 1);
});
