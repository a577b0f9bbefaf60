/**
 * Processes for the benchmarks: servers started in their own process group (stopped
 * with the whole group: gunicorn / uvicorn workers included), free loopback ports,
 * readiness polling, and bounded child runs that report wall time and peak memory.
 */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts a long-running server in its own process group with a minimal environment
 * (PATH, HOME plus `env`). `stop()` sends SIGTERM to the group, SIGKILL after 5 s.
 */
function startServer(label, cmd, args, { env = {}, cwd } = {}) {
  const child = spawn(cmd, args, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME || os.tmpdir(), ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let log = '';
  const keep = (d) => {
    log = (log + d).slice(-20000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  live.add(child);
  child.once('exit', () => live.delete(child));
  return {
    label,
    child,
    log: () => log,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        killGroup(child.pid, 'SIGTERM');
        setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5000).unref();
      }),
  };
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    /* gone */
  }
}

// servers still running when the harness is interrupted are stopped with it
const live = new Set();
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    for (const c of live) killGroup(c.pid, 'SIGKILL');
    process.exit(130);
  });
}
process.once('exit', () => {
  for (const c of live) killGroup(c.pid, 'SIGKILL');
});

/** Polls `probe()` (resolving true when ready) until it is, or throws after `ms` with the server log. */
async function waitUntil(server, probe, ms = 60000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (server.child.exitCode !== null) throw new Error(`${server.label} exited (code ${server.child.exitCode}):\n${server.log().slice(-3000)}`);
    try {
      if (await probe()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`${server.label} not ready within ${ms} ms:\n${server.log().slice(-3000)}`);
    await sleep(200);
  }
}

/** POSTs JSON; resolves { status, body } (body parsed when JSON). */
async function postJson(url, body, headers = {}) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal: AbortSignal.timeout(30000) });
  const text = await r.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* text */
  }
  return { status: r.status, body: parsed };
}

/**
 * Runs a command to completion under GNU time, bounded by `timeoutMs` (the process group
 * is killed then). Resolves { code, stdout, stderr, seconds (wall), cpuSeconds (user +
 * system), peakRssMiB, timedOut }.
 * Peak memory is the maximum resident set of the process (GNU time's %M, of the largest
 * process in the tree that waited for its children).
 */
function runMeasured(cmd, args, { env = process.env, cwd, timeoutMs = 600000, onStderr } = {}) {
  const timeFile = `${os.tmpdir()}/bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`;
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%M %U %S', '-o', timeFile, cmd, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-50000);
      onStderr?.(String(d));
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      live.delete(child);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      let peakRssMiB = NaN;
      let cpuSeconds = NaN;
      try {
        const [kb, user, sys] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
        peakRssMiB = kb / 1024;
        cpuSeconds = user + sys;
        fs.rmSync(timeFile, { force: true });
      } catch {
        /* killed before time wrote it */
      }
      resolve({ code, stdout, stderr, seconds, cpuSeconds, peakRssMiB, timedOut });
    });
  });
}

/** runMeasured that throws on a non-zero exit or a timeout, with the tail of stderr. */
async function runChecked(cmd, args, opts = {}) {
  const r = await runMeasured(cmd, args, opts);
  if (r.timedOut) throw new Error(`${cmd} ${args.join(' ')}: stopped after ${opts.timeoutMs ?? 600000} ms`);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.code}\n${r.stderr.slice(-3000)}`);
  return r;
}

module.exports = { sleep, freePort, startServer, waitUntil, postJson, runMeasured, runChecked };
