/**
 * Writes src/dashboard/static/bandit-math.js (window.BanditMath: Beta densities and axis
 * ticks for the dashboard) from src/dashboard/browser-math.ts and the src/core modules it
 * imports. `npm run gen:dashboard-math`; `--check` exits 1 when the committed file differs
 * (src/dashboard/static-scripts.spec.ts fails then too).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleForBrowser } from './bundle-browser';

export const ROOT = path.join(__dirname, '..');
export const ENTRY = path.join(ROOT, 'src', 'dashboard', 'browser-math.ts');
export const OUTPUT = path.join(ROOT, 'src', 'dashboard', 'static', 'bandit-math.js');
export const GLOBAL_NAME = 'BanditMath';

export const dashboardMath = (): string => bundleForBrowser(ENTRY, GLOBAL_NAME, ROOT);

// run as a script (node scripts/run-ts.js scripts/gen-dashboard-math.ts), not when a test imports it
if (process.argv[1] === __filename) {
  const text = dashboardMath();
  const before = fs.existsSync(OUTPUT) ? fs.readFileSync(OUTPUT, 'utf8') : '';
  if (process.argv.includes('--check')) {
    if (text !== before) {
      process.stderr.write(`${path.relative(process.cwd(), OUTPUT)} differs from what its TypeScript generates; run npm run gen:dashboard-math\n`);
      process.exit(1);
    }
  } else if (text !== before) {
    fs.writeFileSync(OUTPUT, text);
    process.stdout.write(`wrote ${path.relative(process.cwd(), OUTPUT)}\n`);
  }
}
