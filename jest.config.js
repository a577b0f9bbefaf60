/** Three tiers (see docs/testing.md): small next to the code, medium against real
 * services on this machine, e2e against the built CLI / servers and real peers. */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.test.json', isolatedModules: true }];
const common = { testEnvironment: 'node', transform: { '^.+\\.ts$': tsJest }, moduleFileExtensions: ['ts', 'js', 'json'] };
module.exports = {
  reporters: ['default', '<rootDir>/test/support/skipped-reporter.js'],
  projects: [
    { ...common, displayName: 'small', roots: ['<rootDir>/src'], testMatch: ['**/*.spec.ts'] },
    { ...common, displayName: 'medium', roots: ['<rootDir>/test/medium'], testMatch: ['**/*.test.ts'], testTimeout: 120000 },
    { ...common, displayName: 'e2e', roots: ['<rootDir>/test/e2e'], testMatch: ['**/*.e2e.ts'], testTimeout: 600000 },
  ],
};
