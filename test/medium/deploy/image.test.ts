/**
 * The container images: the Dockerfile lints clean with hadolint, builds each image on
 * node:20-slim from a production-only node_modules, runs it as a non-root user with the
 * `bandit` entry point, and the build context holds what the Dockerfile copies. The entry
 * point and each image's command are then run for real through the built CLI.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { BANDIT_BIN, hasBuiltCli, hasPeer, itIf, peerBin, REPO_ROOT } from '../../support/env';
import { chain, contextSources, effective, execForm, inContext, parseDockerfile, rootImage } from './lib/dockerfile';
import { DOCKERFILE, IMAGES, rel, walk } from './lib/repo-files';

const text = fs.readFileSync(DOCKERFILE, 'utf8');

// child processes and schema compilation can be slow on a shared 2-core machine
jest.setTimeout(60_000);
const stages = parseDockerfile(text);
const dockerignore = fs.readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8');
const TARGETS = { 'bandit-service': ['serve'], 'bandit-pipeline': ['code-server', '--port', '4000'] } as const;
const ENTRYPOINT = ['node', '/app/dist/main.js'];

describe('Dockerfile', () => {
  it('has one final stage per image, named as the image', () => {
    expect(stages.map((s) => s.name)).toEqual(expect.arrayContaining(Object.keys(TARGETS)));
    expect(Object.keys(TARGETS).map((t) => `ghcr.io/ekenheim/${t}`)).toEqual([IMAGES.service, IMAGES.pipeline]);
  });

  it('builds every stage on node:20-slim', () => {
    for (const s of stages) if (!stages.some((o) => o.name === s.base)) expect({ stage: s.name, base: s.base }).toEqual({ stage: s.name, base: 'node:20-slim' });
  });

  it.each(Object.entries(TARGETS))('%s: entry point, command, non-root user, port', (target, cmd) => {
    expect(execForm(effective(stages, target, 'ENTRYPOINT'))).toEqual(ENTRYPOINT);
    expect(execForm(effective(stages, target, 'CMD'))).toEqual([...cmd]);
    const user = effective(stages, target, 'USER') ?? 'root';
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/); // numeric, so Kubernetes can check runAsNonRoot
    expect(effective(stages, target, 'EXPOSE')).toBe(target === 'bandit-service' ? '8000' : '4000');
    expect(rootImage(stages, target)).toBe('node:20-slim');
  });

  it.each(Object.keys(TARGETS))('%s: the runtime has production dependencies only, compiled in a build stage, and no compiler', (target) => {
    const runtime = chain(stages, target);
    const runs = runtime.flatMap((s) => s.instructions.filter((i) => i.op === 'RUN').map((i) => i.args));
    expect(runs.join('\n')).not.toMatch(/apt-get install|npm (ci|install)/);
    const copyModules = runtime.flatMap((s) => s.instructions).find((i) => i.op === 'COPY' && /node_modules/.test(i.args));
    const from = /--from=(\S+)/.exec(copyModules?.args ?? '')?.[1];
    expect(from).toBeDefined();
    const depsRuns = chain(stages, from!).flatMap((s) => s.instructions.filter((i) => i.op === 'RUN').map((i) => i.args));
    expect(depsRuns.some((r) => /npm ci --omit=dev/.test(r))).toBe(true);
    // native addons (better-sqlite3) need a toolchain where they are installed
    expect(depsRuns.some((r) => /apt-get install .*\bg\+\+/.test(r) && /python3/.test(r))).toBe(true);
    const copyDist = runtime.flatMap((s) => s.instructions).find((i) => i.op === 'COPY' && /\/app\/dist/.test(i.args));
    const buildStage = /--from=(\S+)/.exec(copyDist?.args ?? '')?.[1];
    const buildRuns = chain(stages, buildStage!).flatMap((s) => s.instructions.filter((i) => i.op === 'RUN').map((i) => i.args));
    expect(buildRuns).toEqual(expect.arrayContaining([expect.stringMatching(/^npm ci\b(?!.*--omit)/), expect.stringMatching(/^npm run build\b/)]));
  });

  it('the build context (after .dockerignore) holds every file the Dockerfile copies, and nothing bulky', () => {
    const sources = stages.flatMap(contextSources);
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'src']));
    for (const s of sources) {
      expect({ source: s, exists: fs.existsSync(path.join(REPO_ROOT, s)) }).toEqual({ source: s, exists: true });
      expect({ source: s, inContext: inContext(dockerignore, s) }).toEqual({ source: s, inContext: true });
    }
    for (const bulky of ['node_modules/ioredis/package.json', 'dist/main.js', '.git/HEAD', 'test/support/env.ts', '.bandit/bandit.sqlite', 'src/config/config.spec.ts']) {
      expect({ bulky, inContext: inContext(dockerignore, bulky) }).toEqual({ bulky, inContext: false });
    }
  });

  it('the runtime installs every package the code imports (dependencies, not devDependencies)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const missing = new Set<string>();
    const seen = new Set<string>();
    const files = walk(path.join(REPO_ROOT, 'src'), (f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) {
      const code = fs.readFileSync(f, 'utf8');
      // value imports only: `import type` / `export type` vanish from the build
      for (const m of code.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'";]*?from\s+'([^']+)'|\brequire\('([^']+)'\)|\bimport\('([^']+)'\)|^\s*import\s+'([^']+)'/gm)) {
        const spec = m[1] ?? m[2] ?? m[3] ?? m[4];
        if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        seen.add(name);
        if (!(name in pkg.dependencies)) missing.add(`${name} (${rel(f)})`);
      }
    }
    expect([...seen]).toEqual(expect.arrayContaining(['@nestjs/core', 'ioredis', 'typeorm', '@grpc/grpc-js', 'zod']));
    expect([...missing]).toEqual([]);
  });

  it('.dockerignore matching follows Docker: last match wins, ! re-includes, folders cover their files', () => {
    const rules = '*\n!src/\nsrc/**/*.spec.ts\n';
    expect(inContext(rules, 'src/a/b.ts')).toBe(true);
    expect(inContext(rules, 'src/a/b.spec.ts')).toBe(false);
    expect(inContext(rules, 'README.md')).toBe(false);
    expect(inContext('', 'anything')).toBe(true);
  });

  itIf(() => hasPeer('hadolint'))('hadolint finds nothing', () => {
    const bin = peerBin('hadolint', 'hadolint')!;
    const r = spawnSync(bin, ['--failure-threshold', 'info', DOCKERFILE], { encoding: 'utf8' });
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: '' });
    // and it can fail: a Dockerfile with a classic mistake
    const bad = spawnSync(bin, ['-'], { input: 'FROM node\nRUN cd /app && npm install\n', encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/DL3007|DL3006|DL3003/);
  });
});

/**
 * The container runs `node /app/dist/main.js <CMD…>`: the same entry point with each
 * image's command must be a command the built CLI knows (`--help` prints its usage without
 * starting anything). What run pods execute is checked against the entry point the code
 * server actually reports, in probes.test.ts.
 */
describe('the entry point answers each image command', () => {
  const cases: Array<[string, string[]]> = [
    ['bandit-service CMD', [...TARGETS['bandit-service']]],
    ['bandit-pipeline CMD', [...TARGETS['bandit-pipeline']]],
  ];
  itIf(() => hasBuiltCli()).each(cases)('%s: node main.js %j --help', (_what, args) => {
    const out = execFileSync(process.execPath, [BANDIT_BIN, ...args, '--help'], { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'test' }, timeout: 30000 });
    // the usage line is that of the command meant, not the top-level help
    const command = args.filter((a) => !a.startsWith('-') && !/^\d+$/.test(a)).join(' ');
    expect(out.split('\n').find((l) => l.startsWith('Usage: '))).toMatch(new RegExp(`^Usage: bandit ${command}( |$)`));
  });
});
