#!/usr/bin/env node
/**
 * The event drain's insert into Postgres, alone: batches of 1,000 queued events (the
 * consumer's batch) stored by the built repository (INSERT … SELECT FROM unnest of eight
 * column arrays) against the previous statement (multi-row VALUES, 8 parameters per row,
 * 500 rows per statement, in one transaction), each also without the secondary index
 * (experiment_id, event_type, arm_index) to show what that index costs. Fresh database,
 * interleaved rounds, medians. CPU seconds per 10k events of this process (building and
 * sending the statements) and of its Postgres backend (/proc), beside wall time.
 *
 *   node bench/event-insert.bench.js [--quick] [--out FILE]
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createDatabase, postgresReachable } = require('./lib/postgres');
const { cpuSeconds } = require('./lib/cpu');
const { median } = require('./lib/report');

const ROOT = path.resolve(__dirname, '..');
const BATCH = 1000;

/** The statement before the change: multi-row VALUES, 500 rows (4,000 parameters) per statement, one transaction. */
async function insertValues(ds, batch) {
  await ds.transaction(async (m) => {
    for (let i = 0; i < batch.length; i += 500) {
      const rows = batch.slice(i, i + 500);
      const params = [];
      const tuples = rows.map((e) => {
        params.push(e.experimentId, e.decisionId, e.type, e.arm, e.propensity, e.reward, e.unitId, new Date(e.at));
        const n = params.length - 8;
        return `($${n + 1},$${n + 2},$${n + 3},$${n + 4},$${n + 5},$${n + 6},$${n + 7},$${n + 8})`;
      });
      await m.query(
        `INSERT INTO bandit_events (experiment_id, decision_id, event_type, arm_index, propensity, reward, unit_id, created_at) VALUES ${tuples.join(',')} ON CONFLICT (decision_id, event_type) DO NOTHING`,
        params,
      );
    }
  });
}

function events(n, seq) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const reward = i % 3 === 2;
    out.push({ queueId: '0', experimentId: 'bench-insert', type: reward ? 'reward' : 'select', decisionId: `bench-insert.${i % 3}.${seq}-${i}-AAAAAAAAAAAAAAAA`, arm: i % 3, propensity: 1 / 3, reward: reward ? 1 : null, unitId: null, at: Date.now() });
  }
  return out;
}

async function run(ctx) {
  if (!(await postgresReachable())) throw new Error('Postgres is not reachable');
  const { openDataSource } = require(path.join(ctx.dist, 'event-store', 'data-source.js'));
  const { EventRepository } = require(path.join(ctx.dist, 'event-store', 'event.repository.js'));
  const batches = ctx.quick ? 20 : 100;
  const rounds = ctx.quick ? 1 : 3;
  const db = await createDatabase('bandit_bench_insert');
  const ds = await openDataSource({ databaseUrl: db.url, sqlitePath: '' });
  const repo = new EventRepository(ds);
  const variants = [
    { key: 'values', label: 'multi-row VALUES, 500 rows per statement (before)', insert: (b) => insertValues(ds, b), index: true },
    { key: 'unnest', label: 'INSERT … SELECT FROM unnest (now)', insert: (b) => repo.insertEvents(b), index: true },
    { key: 'values-noindex', label: 'multi-row VALUES, without the experiment index', insert: (b) => insertValues(ds, b), index: false },
    { key: 'unnest-noindex', label: 'unnest, without the experiment index', insert: (b) => repo.insertEvents(b), index: false },
  ];
  let seq = 0;
  const rows = [];
  try {
    const backend = async () => {
      // one pooled connection serves the sequential inserts; take every backend of this database
      const r = await ds.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
      return r.map((x) => x.pid);
    };
    for (let round = 1; round <= rounds; round++) {
      for (const v of variants) {
        await ds.query('TRUNCATE bandit_events');
        await ds.query(v.index ? 'CREATE INDEX IF NOT EXISTS bandit_events_experiment ON bandit_events (experiment_id, event_type, arm_index)' : 'DROP INDEX IF EXISTS bandit_events_experiment');
        // warm: the table and the statement paths
        for (let i = 0; i < 3; i++) await v.insert(events(BATCH, seq++));
        const pids = await backend();
        const pg0 = pids.map(cpuSeconds);
        const me0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < batches; i++) await v.insert(events(BATCH, seq++));
        const wall = Number(process.hrtime.bigint() - t0) / 1e9;
        const me = process.cpuUsage(me0);
        const pg = pids.map(cpuSeconds).reduce((s, x, i) => (Number.isFinite(x) && Number.isFinite(pg0[i]) ? s + (x - pg0[i]) : s), 0);
        const n = batches * BATCH;
        const row = { round, variant: v.key, events: n, wallSeconds: wall, eventsPerSecond: n / wall, clientCpuPer10k: ((me.user + me.system) / 1e6 / n) * 1e4, postgresCpuPer10k: (pg / n) * 1e4, load1: os.loadavg()[0] };
        rows.push(row);
        ctx.log(`round ${round} ${v.key}: ${row.eventsPerSecond.toFixed(0)} events/s, CPU s/10k client ${row.clientCpuPer10k.toFixed(3)} postgres ${row.postgresCpuPer10k.toFixed(3)}, load ${row.load1.toFixed(1)}`);
      }
    }
  } finally {
    await ds.destroy();
    await db.drop();
  }
  const summary = variants.map((v) => {
    const rs = rows.filter((r) => r.variant === v.key);
    return { key: v.key, label: v.label, eventsPerSecond: median(rs.map((r) => r.eventsPerSecond)), clientCpuPer10k: median(rs.map((r) => r.clientCpuPer10k)), postgresCpuPer10k: median(rs.map((r) => r.postgresCpuPer10k)), load1: [Math.min(...rs.map((r) => r.load1)), Math.max(...rs.map((r) => r.load1))] };
  });
  return { settings: { batch: BATCH, batchesPerRound: batches, rounds }, rows, summary };
}

module.exports = { run };

if (require.main === module) {
  const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : undefined;
  const dist = path.resolve(ROOT, process.env.BANDIT_DIST || 'dist');
  const ctx = { root: ROOT, dist, quick: process.argv.includes('--quick'), log: (s) => process.stderr.write(`${s}\n`) };
  run(ctx).then(
    (r) => (out ? fs.writeFileSync(out, `${JSON.stringify(r, null, 2)}\n`) : process.stdout.write(`${JSON.stringify(r, null, 2)}\n`)),
    (err) => {
      process.stderr.write(`event-insert.bench: ${err.stack || err}\n`);
      process.exit(1);
    },
  );
}
