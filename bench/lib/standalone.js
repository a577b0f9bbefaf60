/**
 * Runs one benchmark section on its own (`node bench/<name>.js [--quick]`): the built CLI
 * from BANDIT_DIST (default dist), progress on stderr, the result as JSON on stdout.
 */
'use strict';
const path = require('node:path');

function runStandalone(run) {
  const root = path.resolve(__dirname, '..', '..');
  const dist = path.resolve(root, process.env.BANDIT_DIST || 'dist');
  const ctx = { root, dist, bin: path.join(dist, 'main.js'), quick: process.argv.includes('--quick'), log: (s) => process.stderr.write(`${s}\n`) };
  run(ctx).then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (err) => {
      process.stderr.write(`${err.stack || err}\n`);
      process.exit(1);
    },
  );
}

module.exports = { runStandalone };
