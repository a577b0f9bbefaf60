/** Worker thread of the design runner: simulates the slices of runs it is sent. */
import { parentPort } from 'node:worker_threads';
import { simulateRuns } from '../core/design';
import type { DesignUnit } from './runner';

parentPort?.on('message', (u: DesignUnit) => {
  parentPort?.postMessage({ id: u.id, results: simulateRuns(u.plan, u.kind, u.seed, u.from, u.to) });
});
