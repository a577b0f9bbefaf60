/**
 * Preloaded into a server (`node -r bench/lib/alloc-probe.js …`, with BANDIT_ALLOC_PROBE=DIR)
 * to measure the bytes it allocates on the JavaScript heap and the CPU it uses between two
 * marks. Every SIGUSR2 is a mark: the probe writes FILE = DIR/<pid>.json (atomically) with
 * its cumulative figures since it started:
 *
 *   { marks, allocated, cpuUser, cpuSystem, gcs, gcMs }
 *
 * allocated = (heap used now − heap used at start) + Σ over collections (used before − used
 * after): every byte allocated is either still on the heap or was freed by a collection.
 * The collections come from v8.GCProfiler, which records the heap before and after each one.
 *
 * With BANDIT_ALLOC_PROBE_SAMPLE=1 the inspector's sampling heap profiler also runs (objects
 * collected by scavenges and mark-compacts kept in the profile, so it counts what was
 * allocated, not only what survived); at each mark the profile since the previous mark is
 * written to FILE.heapprofile (bench/alloc-report.js reads it) and sampling starts again.
 */
'use strict';
const fs = require('node:fs');
const v8 = require('node:v8');

const dir = process.env.BANDIT_ALLOC_PROBE;
if (dir) install(`${dir}/${process.pid}.json`);

/**
 * A meter of this process: meter() answers the cumulative figures since it was made
 * ({ allocated, cpuUser, cpuSystem, gcs, gcMs }, bytes and seconds).
 */
function allocationMeter() {
  const startUsed = v8.getHeapStatistics().used_heap_size;
  let freed = 0;
  let gcs = 0;
  let gcMs = 0;
  let profiler = new v8.GCProfiler();
  profiler.start();
  return () => {
    const data = profiler.stop();
    profiler = new v8.GCProfiler();
    profiler.start();
    for (const s of data.statistics) {
      freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
      gcs++;
      gcMs += s.cost / 1000;
    }
    const cpu = process.cpuUsage();
    return { allocated: v8.getHeapStatistics().used_heap_size - startUsed + freed, cpuUser: cpu.user / 1e6, cpuSystem: cpu.system / 1e6, gcs, gcMs };
  };
}

function install(out) {
  const meter = allocationMeter();
  let marks = 0;
  const sample = process.env.BANDIT_ALLOC_PROBE_SAMPLE === '1';
  let session;
  if (sample) {
    const inspector = require('node:inspector');
    session = new inspector.Session();
    session.connect();
    startSampling(session);
  }
  const write = (name, text) => {
    fs.writeFileSync(`${name}.tmp`, text);
    fs.renameSync(`${name}.tmp`, name);
  };
  const mark = () => {
    marks++;
    const figures = { marks, ...meter() };
    if (!session) return write(out, JSON.stringify(figures));
    session.post('HeapProfiler.getSamplingProfile', (err, r) => {
      if (!err) write(`${out}.heapprofile`, JSON.stringify(r.profile));
      session.post('HeapProfiler.stopSampling', () => {
        startSampling(session);
        write(out, JSON.stringify(figures));
      });
    });
  };
  process.on('SIGUSR2', mark);
}

function startSampling(session) {
  session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}

module.exports = { allocationMeter };
