/** What the benchmarks ran on: cores, CPU model, memory, Node, Python, Redis, load average. */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');

function cpuModel() {
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    /* not Linux */
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function version(cmd, args, pattern) {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10000 });
    return pattern.exec(out)?.[1] ?? out.trim();
  } catch {
    return 'not found';
  }
}

const loadAverage = () => os.loadavg().map((l) => Number(l.toFixed(2)));

function describeMachine() {
  return {
    cores: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    cpu: cpuModel(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    python: version(process.env.BANDIT_PYTHON || 'python3', ['--version'], /Python (\S+)/),
    redis: version('redis-server', ['--version'], /v=(\S+)/),
    postgres: version('psql', ['--version'], /(\d+(?:\.\d+)+)/),
  };
}

module.exports = { describeMachine, loadAverage };
