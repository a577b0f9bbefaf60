/**
 * The deployment files of the repository, read as data: every YAML document under k8s/,
 * the workflows, the Dockerfile and .dockerignore. Plus a small glob matcher with the
 * semantics the files use (`*` within one path segment, `**` across segments).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { REPO_ROOT } from '../../../support/env';

export const K8S_ROOT = path.join(REPO_ROOT, 'k8s');
export const APP_ROOT = path.join(K8S_ROOT, 'datasci', 'bandit');
export const WORKFLOW_DIR = path.join(REPO_ROOT, '.github', 'workflows');
export const DOCKERFILE = path.join(REPO_ROOT, 'Dockerfile');

export const IMAGES = {
  service: 'ghcr.io/ekenheim/bandit-service',
  pipeline: 'ghcr.io/ekenheim/bandit-pipeline',
} as const;

/** One YAML document of one file. `index` counts documents within the file from 0. */
export interface Manifest {
  file: string; // relative to the repository root
  index: number;
  obj: Record<string, unknown>;
}

export function walk(dir: string, keep: (file: string) => boolean): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(p, keep));
    else if (keep(p)) out.push(p);
  }
  return out.sort();
}

export const isYaml = (f: string): boolean => /\.ya?ml$/.test(f);
export const rel = (f: string): string => path.relative(REPO_ROOT, f);

/** Parses every document of a YAML file; throws with the file name on the first error. */
export function parseYamlFile(file: string): Record<string, unknown>[] {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
  const out: Record<string, unknown>[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${rel(file)}: ${doc.errors[0].message}`);
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue; // an empty document (a lone `---`)
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${rel(file)}: a document is not a mapping`);
    out.push(value as Record<string, unknown>);
  }
  return out;
}

export function loadManifests(root = K8S_ROOT): Manifest[] {
  return walk(root, isYaml).flatMap((file) => parseYamlFile(file).map((obj, index) => ({ file: rel(file), index, obj })));
}

export function kindOf(m: Manifest): string {
  return `${String(m.obj.apiVersion)}/${String(m.obj.kind)}`;
}

export function nameOf(m: Manifest): string {
  const meta = m.obj.metadata as { name?: string } | undefined;
  return meta?.name ?? '(unnamed)';
}

export function find(manifests: Manifest[], kind: string, name: string): Manifest {
  const hit = manifests.find((m) => m.obj.kind === kind && nameOf(m) === name);
  if (!hit) throw new Error(`no ${kind} named ${name} under k8s/`);
  return hit;
}

/** Glob → RegExp: `**` spans segments, `*` and `?` stay inside one. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Every file of the repository outside node_modules, dist and .git, relative paths. */
export function repoFiles(): string[] {
  const skip = new Set(['node_modules', '.git']);
  const out: string[] = [];
  const visit = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (skip.has(entry.name) || /^dist(-.*)?$/.test(entry.name)) continue;
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(p);
      else out.push(rel(p));
    }
  };
  visit(REPO_ROOT);
  return out;
}
