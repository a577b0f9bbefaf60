/**
 * The product's version: package.json's `version`, read once. The CLI's --version, the
 * OpenAPI document, the Seldon router's /health/status and an arm's metadata all show it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '../common/paths';

export function readPackageVersion(root: string = projectRoot()): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string' || pkg.version === '') throw new Error(`package.json in ${root} has no version`);
  return pkg.version;
}

export const VERSION: string = readPackageVersion();
