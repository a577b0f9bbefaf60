/**
 * The lint rule that keeps early-return guards out of the test tree (eslint.config.js,
 * bandit-tests/no-early-return-guard): it flags `if (!up) return;` in tests and setup
 * hooks and `describeIf(() => true)`, and lets describeIf / itIf and ordinary code pass.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from '../../support/env';

jest.setTimeout(60_000);

const RULE = 'bandit-tests/no-early-return-guard';

/** Lines the rule flags in `code` linted as a test file (ESLint in a child process: its config loader needs real ES modules). */
async function flagged(code: string): Promise<number[]> {
  const eslint = path.join(REPO_ROOT, 'node_modules/eslint/bin/eslint.js');
  const r = spawnSync(process.execPath, [eslint, '--format', 'json', '--stdin', '--stdin-filename', 'test/medium/example.test.ts'], { cwd: REPO_ROOT, input: code, encoding: 'utf8' });
  const [report] = JSON.parse(r.stdout) as Array<{ messages: Array<{ ruleId: string | null; line: number }> }>;
  return report.messages.filter((m) => m.ruleId === RULE).map((m) => m.line);
}

describe('no early-return guards in tests', () => {
  it('flags a guard in a test, in it.each, in itIf(...) and in beforeAll, and describeIf(() => true)', async () => {
    const code = [
      "import { describeIf, itIf } from './env';", // 1
      'let up = false;', // 2
      "describeIf(() => true)('x', () => {", // 3
      '  beforeAll(async () => {', // 4
      '    if (!up) return;', // 5
      '  });', // 6
      "  it('a', () => {", // 7
      '    if (!up) return;', // 8
      '    expect(up).toBe(true);', // 9
      '  });', // 10
      "  it.each([1])('b %s', (n) => {", // 11
      '    if (n) {', // 12
      '      return;', // 13
      '    }', // 14
      '  });', // 15
      "  itIf(() => up)('c', () => {", // 16
      '    if (up === false) return;', // 17
      '  });', // 18
      '});', // 19
    ].join('\n');
    expect(await flagged(code)).toEqual([3, 5, 8, 12, 17]);
  });

  it('lets a declared need, a value-returning test and cleanup in afterAll pass', async () => {
    const code = [
      "import { describeIf } from './env';",
      "import { hasRedis } from './services';",
      'let db: { drop(): void } | undefined;',
      "describeIf(() => hasRedis())('x', () => {",
      '  afterAll(() => {',
      '    if (!db) return;',
      '    db.drop();',
      '  });',
      "  it('a', () => {",
      '    for (const x of [1, 2]) {',
      '      if (x > 1) return;',
      '    }',
      '    expect(db).toBeUndefined();',
      '  });',
      "  it('b', () => (db ? Promise.resolve(1) : Promise.resolve(2)));",
      '});',
    ].join('\n');
    expect(await flagged(code)).toEqual([]);
  });
});
