/**
 * Worker threads from TypeScript sources, for medium tests of code that runs in workers
 * (jest's module system does not reach into worker threads, and code run inside jest's
 * sandbox is several times slower than plain Node): the bootstrap registers a require
 * hook that transpiles `.ts` files with the project's TypeScript compiler, then loads
 * the worker module.
 */
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** Code for `new Worker(code, { eval: true })` that runs the TypeScript module `file` (relative to the repository root). */
export function tsWorkerBootstrap(file: string): string {
  const hook = `
const ts = require(${JSON.stringify(path.join(ROOT, 'node_modules', 'typescript'))});
const fs = require('node:fs');
require.extensions['.ts'] = (m, f) => m._compile(ts.transpileModule(fs.readFileSync(f, 'utf8'), { fileName: f, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, resolveJsonModule: true } }).outputText, f);
`;
  return `${hook}\nrequire(${JSON.stringify(path.join(ROOT, file))});\n`;
}
