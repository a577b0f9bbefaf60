/** Three tiers (see docs/testing.md): small next to the code, medium against real
 * services on this machine, e2e against the built CLI / servers and real peers. */
// transpile-only: tsconfig.test.json sets isolatedModules, which ts-jest reads (its own option of that name is deprecated)
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.test.json' }];
const common = { testEnvironment: 'node', transform: { '^.+\\.ts$': tsJest }, moduleFileExtensions: ['ts', 'js', 'json'] };
module.exports = {
  // Jest's default is one worker per core minus one: a single worker on a 2-core machine, so
  // every file ran one after another. The files are independent (each medium file has its own
  // database and Redis index, every server a free port), and most of their time is spent
  // waiting on servers and peers. BANDIT_TEST_WORKERS (or --maxWorkers) overrides.
  maxWorkers: process.env.BANDIT_TEST_WORKERS ?? '100%',
  reporters: ['default', '<rootDir>/test/support/skipped-reporter.js'],
  projects: [
    { ...common, displayName: 'small', roots: ['<rootDir>/src'], testMatch: ['**/*.spec.ts'] },
    { ...common, displayName: 'medium', roots: ['<rootDir>/test/medium'], testMatch: ['**/*.test.ts'], testTimeout: 120000 },
    { ...common, displayName: 'e2e', roots: ['<rootDir>/test/e2e'], testMatch: ['**/*.e2e.ts'], testTimeout: 600000 },
  ],
};
