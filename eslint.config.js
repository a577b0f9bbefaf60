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
  { files: ['eslint.config.js'], languageOptions: { globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' } }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
