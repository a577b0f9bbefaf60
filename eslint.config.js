// @ts-check
const path = require('node:path');
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

const CORE = path.join(__dirname, 'src', 'core');
const FIXTURES = path.join(__dirname, 'test', 'fixtures');

/** src/core is pure math: it may import only other files of src/core — no packages, no
 * Node built-ins (no I/O), nothing from the rest of src/. */
const coreIsPure = {
  meta: { type: 'problem', messages: { impure: "src/core must stay pure: '{{source}}' {{why}}" }, schema: [] },
  create(context) {
    const check = (node, source) => {
      if (typeof source !== 'string') return;
      if (!source.startsWith('.')) {
        context.report({ node, messageId: 'impure', data: { source, why: 'is a package or Node built-in' } });
        return;
      }
      const target = path.resolve(path.dirname(context.filename), source);
      // small tests next to the core may read committed reference fixtures
      if (context.filename.endsWith('.spec.ts') && target.startsWith(FIXTURES + path.sep) && target.endsWith('.json')) return;
      if (target !== CORE && !target.startsWith(CORE + path.sep)) {
        context.report({ node, messageId: 'impure', data: { source, why: 'is outside src/core' } });
      }
    };
    return {
      ImportDeclaration: (n) => check(n, n.source.value),
      ExportAllDeclaration: (n) => check(n, n.source.value),
      ExportNamedDeclaration: (n) => n.source && check(n, n.source.value),
      ImportExpression: (n) => n.source.type === 'Literal' && check(n, n.source.value),
      CallExpression: (n) =>
        n.callee.type === 'Identifier' && n.callee.name === 'require' && n.arguments[0]?.type === 'Literal' && check(n, n.arguments[0].value),
    };
  },
};

const HOOKS = new Set(['it', 'test', 'itIf', 'beforeAll', 'beforeEach']);
/** The name a test call hangs from: it / it.each(...) / itIf(...)(...) / beforeAll → it, it, itIf, beforeAll. */
function rootName(callee) {
  for (let n = callee; n; ) {
    if (n.type === 'Identifier') return n.name;
    n = n.type === 'MemberExpression' ? n.object : n.type === 'CallExpression' ? n.callee : null;
  }
  return null;
}
const isBareReturn = (n) => n.type === 'ReturnStatement' || (n.type === 'BlockStatement' && n.body.length > 0 && n.body[n.body.length - 1].type === 'ReturnStatement' && !n.body[n.body.length - 1].argument);

/**
 * A test or setup hook that returns early when something is missing passes without testing.
 * Suites declare what they need with describeIf / itIf (test/support/env.ts), which skip
 * visibly, or fail under CI=true.
 */
const noEarlyReturnGuard = {
  meta: {
    type: 'problem',
    messages: {
      guard: "an early 'return' in {{hook}}() makes the test pass without testing: declare what the suite needs with describeIf / itIf (test/support/env.ts)",
      always: 'describeIf(() => true) decides nothing: name what the suite needs (hasRedis, hasPostgres, hasPeer, hasDataset, hasBuiltCli)',
    },
    schema: [],
  },
  create(context) {
    return {
      CallExpression(node) {
        const name = rootName(node.callee);
        if (name === 'describeIf' && node.callee.type === 'Identifier') {
          const f = node.arguments[0];
          if (f && f.type === 'ArrowFunctionExpression' && f.body.type === 'Literal' && f.body.value === true) context.report({ node, messageId: 'always' });
          return;
        }
        if (!HOOKS.has(name)) return;
        for (const fn of node.arguments) {
          if ((fn.type !== 'ArrowFunctionExpression' && fn.type !== 'FunctionExpression') || fn.body.type !== 'BlockStatement') continue;
          for (const st of fn.body.body) {
            if (st.type === 'IfStatement' && isBareReturn(st.consequent) && !(st.consequent.type === 'ReturnStatement' && st.consequent.argument)) {
              context.report({ node: st, messageId: 'guard', data: { hook: name } });
            }
          }
        }
      },
    };
  },
};

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '!eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    plugins: { bandit: { rules: { 'core-is-pure': coreIsPure } } },
    rules: {
      'bandit/core-is-pure': 'error',
      'no-restricted-globals': ['error', 'process', 'require', 'Buffer', 'fetch', 'setTimeout', 'setInterval'],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now' }, { object: 'Math', property: 'random' }],
    },
  },
  {
    files: ['test/**/*.ts', 'src/**/*.spec.ts'],
    plugins: { 'bandit-tests': { rules: { 'no-early-return-guard': noEarlyReturnGuard } } },
    rules: { 'bandit-tests/no-early-return-guard': 'error' },
  },
  { files: ['eslint.config.js'], languageOptions: { globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' } }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
