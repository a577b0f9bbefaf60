/**
 * CPU time of processes from /proc (Linux): user + system seconds of a process (all its
 * threads), and processor affinity with taskset (pinning a running process and all its
 * threads).
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');

let ticks;
function clockTicks() {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** CPU seconds (user + system) a process has used, or NaN when it is gone. */
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which may hold spaces) start at the state, field 3
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / clockTicks();
  } catch {
    return NaN;
  }
}

/** A snapshot of several processes; `since(earlier)` gives the seconds used in between (processes present in both). */
function snapshot(pids) {
  const at = new Map(pids.map((p) => [p, cpuSeconds(p)]));
  return {
    at,
    since(earlier) {
      let s = 0;
      for (const [pid, v] of at) {
        const before = earlier.at.get(pid);
        if (Number.isFinite(v) && Number.isFinite(before)) s += v - before;
      }
      return s;
    },
  };
}

const taskset = (cpus, pid) => {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

module.exports = { cpuSeconds, snapshot, taskset };
