#!/usr/bin/env node
/**
 * /route throughput: bandit-service as a Seldon ROUTER against a Python Thompson router
 * built the way Seldon Core v1's own component is (numpy Beta draws in a class with
 * route() / send_feedback(), served by `seldon-core-microservice` under gunicorn; see
 * bench/peers/seldon-router/ThompsonRouter.py), side by side on this machine, with
 * autocannon and with a closed-loop fetch client (see fetchLoad). Targets run one at a
 * time, interleaved over the rounds, so drift of a shared machine hits all of them alike;
 * the median round is reported.
 *
 *   node bench/seldon-router.bench.js [--duration 10] [--connections 16] [--rounds 3] [--executor MINIEXEC] [--baseline MAIN_JS] [--out FILE]
 *
 * With --executor (or BANDIT_SELDON_MINIEXEC): the path of `miniexec`, Seldon Core v1.17.1's
 * executor built by ../shared/tools/seldon-executor/build.sh. Then the Python router (1
 * worker) and the Redis-backed bandit router are also measured behind it, each in the
 * graph a SeldonDeployment runs: the executor takes the prediction, asks the ROUTER for a
 * branch and calls that MODEL child (three `bandit arm` processes, the same ones for both
 * graphs); the figure is the executor's predictions per second with bandit as the router ÷
 * with the Python router. A constant router (node:http answering branch 1 at once) behind the
 * same executor and children shows what the executor and its children alone allow here.
 *
 * With --baseline (the `dist/main.js` of another build, e.g. the main branch's): the bandit
 * routers of that build are measured too, in the same rounds (behind the executor too), and
 * each row of this build gets its ratio to the same row of the baseline — a before/after on
 * one machine, interleaved so the machine's drift hits both alike.
 *
 * Needs the built CLI (BANDIT_BIN, default dist/main.js) and the seldon peer venv
 * (`bash test/peers/venv.sh seldon`). With Redis at BANDIT_BENCH_REDIS_URL (default
 * redis://127.0.0.1:6379/14, flushed) the Redis-backed router is measured too.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');
const { freePort, startServer, waitUntil } = require('./lib/proc');
const { peerVenv } = require('./lib/venv');

const ROOT = path.resolve(__dirname, '..');
const BIN = process.env.BANDIT_BIN || path.join(ROOT, 'dist', 'main.js');
const PEER_DIR = path.join(__dirname, 'peers', 'seldon-router');
const REDIS_URL = process.env.BANDIT_BENCH_REDIS_URL || 'redis://127.0.0.1:6379/14';
const ARMS = ['control', 'treatment-a', 'treatment-b'];
const BODY = JSON.stringify({ data: { names: ['f0', 'f1'], ndarray: [[1.0, 2.0]] } });

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const DURATION = Number(arg('duration', '10'));
const CONNECTIONS = Number(arg('connections', '16'));
const ROUNDS = Number(arg('rounds', '3'));
const OUT = arg('out', undefined);
const EXECUTOR = arg('executor', process.env.BANDIT_SELDON_MINIEXEC);
const BASELINE = arg('baseline', undefined);
const BASELINE_TAG = ' [baseline build]';

/** Ready once a /route answers 200. */
function routeAnswers(url) {
  return async () => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY, signal: AbortSignal.timeout(5000) })).status === 200;
}

async function pythonRouter(workers) {
  const [http, grpc, metrics] = [await freePort(), await freePort(), await freePort()];
  const bin = path.join(peerVenv('seldon'), 'bin');
  const proc = startServer(
    `Python Thompson router (seldon-core-microservice, gunicorn, ${workers} worker${workers > 1 ? 's' : ''})`,
    path.join(bin, 'seldon-core-microservice'),
    ['ThompsonRouter', '--service-type', 'ROUTER', '--http-port', String(http), '--grpc-port', String(grpc), '--metrics-port', String(metrics), '--workers', String(workers)],
    {
      env: { PREDICTIVE_UNIT_PARAMETERS: JSON.stringify([{ name: 'n_branches', value: String(ARMS.length), type: 'INT' }]), PREDICTIVE_UNIT_ID: 'py-router', SELDON_LOG_LEVEL: 'WARNING' },
      cwd: PEER_DIR,
    },
  );
  proc.url = `http://127.0.0.1:${http}/route`;
  return proc;
}

async function banditRouter(store, bin = BIN, tag = '') {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-bench-seldon-'));
  const env = {
    BANDIT_DATA_DIR: dataDir,
    BANDIT_LOG_LEVEL: 'warn',
    PREDICTIVE_UNIT_ID: 'bandit-router',
    PREDICTIVE_UNIT_PARAMETERS: JSON.stringify([
      { name: 'experiment_id', value: `bench-${store}${tag ? '-baseline' : ''}`, type: 'STRING' },
      { name: 'arms', value: ARMS.join(','), type: 'STRING' },
    ]),
  };
  if (store === 'redis') env.BANDIT_REDIS_URL = REDIS_URL;
  const proc = startServer(`bandit serve as ROUTER (${store === 'redis' ? 'Redis posterior store' : 'in-process store'}, SQLite event log)${tag}`, process.execPath, [bin, 'serve', '--port', String(port), '--host', '127.0.0.1'], { env, cwd: ROOT });
  proc.url = `http://127.0.0.1:${port}/route`;
  proc.dataDir = dataDir;
  return proc;
}

async function redisAvailable() {
  try {
    const Redis = require('ioredis');
    const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await r.connect();
    await r.flushdb();
    r.disconnect();
    return true;
  } catch {
    return false;
  }
}

/** A MODEL child of the executor's graph: `bandit arm` answering its name. */
async function armChild(name) {
  const proc = startServer(`bandit arm ${name}`, process.execPath, [BIN, 'arm', '--name', name, '--payload', JSON.stringify({ arm: name }), '--port', '0', '--host', '127.0.0.1'], { cwd: ROOT });
  await waitUntil(proc, async () => /listening on http:\/\/127\.0\.0\.1:\d+/.test(proc.log()), 30000);
  proc.port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(proc.log())[1]);
  return proc;
}

/** Seldon's executor in front of `router` (its /route URL) with the MODEL children, as a SeldonDeployment runs it. */
async function executorFor(router, children) {
  const port = await freePort();
  const u = new URL(router.url);
  const graph = { name: 'router', type: 'ROUTER', host: '127.0.0.1', port: Number(u.port), children: children.map((c, i) => ({ name: ARMS[i], type: 'MODEL', host: '127.0.0.1', port: c.port })) };
  const proc = startServer(`${router.label} behind Seldon's executor (miniexec, Seldon Core v1.17.1)`, EXECUTOR, ['-http_port', String(port), '-graph', JSON.stringify(graph)], {});
  proc.url = `http://127.0.0.1:${port}/api/v1.0/predictions`;
  proc.behind = router.label;
  return proc;
}

function cannon(url) {
  return autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY, connections: CONNECTIONS, duration: DURATION });
}

function pct(sorted, q) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * A closed loop of CONNECTIONS workers posting /route with Node's fetch for DURATION
 * seconds. Unlike autocannon it copes with servers that close the connection after every
 * response (gunicorn's sync worker, which seldon-core-microservice uses, sends
 * `Connection: close`): each request then opens a new connection, as any real client must.
 */
async function fetchLoad(url) {
  const latencies = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  const t0 = process.hrtime.bigint();
  const end = Date.now() + DURATION * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < end) {
        const s = process.hrtime.bigint();
        try {
          const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY, signal: AbortSignal.timeout(10_000) });
          await r.arrayBuffer();
          if (r.status === 200) ok++;
          else non2xx++;
        } catch {
          errors++;
        }
        latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  latencies.sort((a, b) => a - b);
  return { requests: { average: ok / seconds }, latency: { p50: Number(pct(latencies, 0.5).toFixed(1)), p99: Number(pct(latencies, 0.99).toFixed(1)) }, non2xx, errors };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  if (BASELINE && !fs.existsSync(BASELINE)) throw new Error(`--baseline ${BASELINE}: no such file (the dist/main.js of the build to compare with)`);
  const targets = [await pythonRouter(1), await pythonRouter(2), await banditRouter('memory')];
  if (BASELINE) targets.push(await banditRouter('memory', BASELINE, BASELINE_TAG));
  if (await redisAvailable()) {
    targets.push(await banditRouter('redis'));
    if (BASELINE) targets.push(await banditRouter('redis', BASELINE, BASELINE_TAG));
  } else process.stderr.write(`Redis at ${REDIS_URL} not reachable: the Redis-backed router is not measured\n`);
  const helpers = [];
  if (EXECUTOR) {
    if (!fs.existsSync(EXECUTOR)) throw new Error(`--executor ${EXECUTOR}: no such file (build it with ../shared/tools/seldon-executor/build.sh OUTDIR)`);
    const children = [];
    for (const a of ARMS) children.push(await armChild(a));
    helpers.push(...children);
    // the executor's own ceiling here: a router that answers a constant branch at once (node:http)
    const port = await freePort();
    const constant = startServer('constant router (node:http, always branch 1)', process.execPath, [path.join(__dirname, 'lib', 'ceiling-server.js'), String(port), JSON.stringify({ data: { names: [], ndarray: [[1]] } })], { cwd: ROOT });
    constant.url = `http://127.0.0.1:${port}/route`;
    helpers.push(constant);
    const redisRouters = targets.filter((x) => /Redis/.test(x.label));
    for (const t of [targets[0], ...redisRouters, constant]) {
      await waitUntil(t, routeAnswers(t.url), 60000);
      targets.push(await executorFor(t, children));
    }
  }
  const tools = { autocannon: cannon, fetch: fetchLoad };
  const results = new Map(targets.flatMap((t) => Object.keys(tools).map((tool) => [`${t.label}|${tool}`, []])));
  try {
    for (const t of targets) {
      await waitUntil(t, routeAnswers(t.url), 60000);
      await autocannon({ url: t.url, method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY, connections: CONNECTIONS, duration: 2 }); // warm-up
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const [tool, run] of Object.entries(tools)) {
        for (const t of targets) {
          const r = await run(t.url);
          const ok = r.non2xx === 0 && r.errors === 0;
          results.get(`${t.label}|${tool}`).push({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors, ok });
          process.stderr.write(
            `round ${round + 1} (${tool}): ${t.label}: ${r.requests.average.toFixed(0)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms${ok ? '' : `, ${r.non2xx} non-2xx, ${r.errors} errors`}\n`,
          );
        }
      }
    }
  } finally {
    await Promise.all([...targets, ...helpers].map((t) => t.stop()));
    for (const t of targets) if (t.dataDir) fs.rmSync(t.dataDir, { recursive: true, force: true });
  }
  const rows = targets.flatMap((t) =>
    Object.keys(tools).map((tool) => {
      const rs = results.get(`${t.label}|${tool}`);
      return { target: t.label, tool, rps: median(rs.map((x) => x.rps)), p50: median(rs.map((x) => x.p50)), p99: median(rs.map((x) => x.p99)), failed: rs.reduce((n, x) => n + x.non2xx + x.errors, 0) };
    }),
  );
  const base = (tool) => rows.find((r) => r.tool === tool).rps;
  // behind the executor: against the Python router behind the same executor and children
  const viaExecutor = (r) => / behind Seldon's executor/.test(r.target);
  const pyExec = (tool) => rows.find((r) => r.tool === tool && viaExecutor(r) && /^Python/.test(r.target))?.rps;
  // the same target of the baseline build (its label carries the tag, behind the executor too)
  const baselineOf = (r) => (BASELINE && !r.target.includes(BASELINE_TAG) && /^bandit/.test(r.target) ? rows.find((b) => b.tool === r.tool && b.target === tagged(r.target)) : undefined);
  // round by round (each round measures both builds one after the other): the paired ratios
  const roundRatios = (r) => results.get(`${r.target}|${r.tool}`).map((x, i) => Number((x.rps / results.get(`${tagged(r.target)}|${r.tool}`)[i].rps).toFixed(3)));
  const tagged = (label) => (label.includes(' behind Seldon') ? label.replace(' behind Seldon', `${BASELINE_TAG} behind Seldon`) : label + BASELINE_TAG);
  const summary = {
    machine: `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, shared with other work (load average ${os.loadavg()[0].toFixed(1)} at the end); node ${process.version}`,
    settings: { durationSeconds: DURATION, connections: CONNECTIONS, rounds: ROUNDS, body: BODY },
    executor: EXECUTOR ? 'miniexec (Seldon Core v1.17.1 executor, REST), MODEL children: three `bandit arm` processes' : null,
    baseline: BASELINE ?? null,
    rows: rows.map((r) => ({
      ...r,
      ratioToPython1: r.rps / base(r.tool),
      ...(viaExecutor(r) && pyExec(r.tool) ? { ratioToPythonBehindExecutor: r.rps / pyExec(r.tool) } : {}),
      ...(baselineOf(r) ? { ratioToBaseline: r.rps / baselineOf(r).rps, ratioToBaselineByRound: roundRatios(r) } : {}),
    })),
  };
  const lines = [
    `| target | load tool | req/s (median of ${ROUNDS}) | p50 ms | p99 ms | failed requests | × Python (1 worker) | × Python behind the executor |${BASELINE ? ' × baseline build |' : ''}`,
    `|---|---|---:|---:|---:|---:|---:|---:|${BASELINE ? '---:|' : ''}`,
    ...summary.rows.map(
      (r) =>
        `| ${r.target} | ${r.tool} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.failed} | ${r.ratioToPython1.toFixed(2)} | ${r.ratioToPythonBehindExecutor?.toFixed(2) ?? ''} |${BASELINE ? ` ${r.ratioToBaseline === undefined ? '' : `${r.ratioToBaseline.toFixed(2)} (rounds ${r.ratioToBaselineByRound.join(', ')})`} |` : ''}`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (OUT) fs.writeFileSync(OUT, JSON.stringify(summary, null, 2));
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
