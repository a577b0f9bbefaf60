#!/usr/bin/env node
/**
 * Runs a TypeScript file of this project without a build: `node scripts/run-ts.js
 * scripts/gen-config-docs.ts [args]`. Each .ts file required is transpiled on load with the
 * project's TypeScript (transpile only, no type check: `npm run typecheck` does that).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, experimentalDecorators: true, emitDecoratorMetadata: true },
  });
  module._compile(out.outputText, filename);
};

const [file, ...args] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node scripts/run-ts.js <file.ts> [args]\n');
  process.exit(2);
}
process.argv = [process.argv[0], path.resolve(file), ...args];
require(path.resolve(file));
