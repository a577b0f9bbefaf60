/**
 * The dashboard's static files (HTML, CSS, JS, SVG), read once into memory from
 * `dashboard/static` beside this module (dist, where the build copies them) or, failing
 * that, from the project's src/dashboard/static (running from src, or a tsc-only build).
 * Only files listed in that folder are served: a name is looked up, never joined to a path.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '../common/paths';

export interface StaticAsset {
  name: string;
  body: Buffer;
  contentType: string;
  etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};

/** The folder holding the static files. */
export function staticDir(): string {
  const candidates = [path.join(__dirname, 'static'), path.join(projectRoot(), 'src', 'dashboard', 'static')];
  for (const c of candidates) if (fs.existsSync(path.join(c, 'experiment.html'))) return c;
  throw new Error(`dashboard static files not found in ${candidates.join(' or ')}`);
}

export function loadStaticAssets(dir: string = staticDir()): Map<string, StaticAsset> {
  const assets = new Map<string, StaticAsset>();
  for (const name of fs.readdirSync(dir)) {
    const contentType = CONTENT_TYPES[path.extname(name)];
    if (!contentType) continue;
    const body = fs.readFileSync(path.join(dir, name));
    assets.set(name, { name, body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return assets;
}

/**
 * Content-Security-Policy of the pages: everything from this origin, nothing inline, no
 * other host (the pages work offline and cannot be made to load foreign code).
 */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'; form-action 'none'";
