/**
 * Writes the configuration table of docs/configuration.md from src/config/spec.ts, between
 * the markers below. `npm run gen:config-docs`; `--check` exits 1 when the committed
 * table differs (src/config/config-docs.spec.ts fails then too).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configTable, replaceBetweenMarkers } from '../src/config/docs-table';

const file = path.join(__dirname, '..', 'docs', 'configuration.md');
const before = fs.readFileSync(file, 'utf8');
const after = replaceBetweenMarkers(before, configTable());
if (process.argv.includes('--check')) {
  if (after !== before) {
    process.stderr.write(`${path.relative(process.cwd(), file)}: the configuration table differs from src/config/spec.ts; run npm run gen:config-docs\n`);
    process.exit(1);
  }
} else if (after !== before) {
  fs.writeFileSync(file, after);
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}
