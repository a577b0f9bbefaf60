/**
 * The GitHub Actions workflows: each validates against the workflow schema
 * (@action-validator/core), each image workflow builds on pushes to main that change the
 * image's inputs, tests first against real Postgres and Redis, and pushes exactly its
 * image to GHCR tagged with the commit SHA, logging in with the job's own token.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { parseDockerfile } from './lib/dockerfile';
import { DOCKERFILE, globToRegExp, IMAGES, parseYamlFile, repoFiles, walk, WORKFLOW_DIR } from './lib/repo-files';
import { findSecretText } from './lib/secrets-check';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// child processes and schema compilation can be slow on a shared 2-core machine
jest.setTimeout(60_000);

const files = walk(WORKFLOW_DIR, (f) => /\.ya?ml$/.test(f));
const load = (name: string): Obj => parseYamlFile(path.join(WORKFLOW_DIR, name))[0] as Obj;
const steps = (job: Obj): Obj[] => (job.steps ?? []) as Obj[];
const step = (job: Obj, action: string): Obj | undefined => steps(job).find((s) => String(s.uses ?? '').startsWith(`${action}@`));
const stages = new Set(parseDockerfile(fs.readFileSync(DOCKERFILE, 'utf8')).map((s) => s.name));

describe('workflows', () => {
  it('there are the image workflows, the pull-request workflow and the shared test workflow', () => {
    expect(files.map((f) => path.basename(f))).toEqual(expect.arrayContaining(['bandit-service.yaml', 'bandit-pipeline.yaml', 'ci.yaml', 'test.yaml']));
  });

  it.each(files.map((f) => [path.basename(f), f]))('%s validates against the workflow schema', (_name, file) => {
    const state = validateWorkflow(fs.readFileSync(file, 'utf8'));
    expect(state.errors).toEqual([]);
  });

  it('the validator rejects a malformed workflow', () => {
    const state = validateWorkflow('on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        run: echo both\n');
    expect(state.errors.length).toBeGreaterThan(0);
  });

  it('no workflow holds a credential: tokens and passwords come from secrets', () => {
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      expect(findSecretText(path.basename(f), text)).toEqual([]);
      for (const m of text.matchAll(/^\s*(password|token|api[-_]?key)\s*:\s*(.+)$/gim)) expect(m[2].trim()).toMatch(/^\$\{\{\s*secrets\.[A-Z_]+\s*\}\}$/);
    }
  });

  it('the test workflow runs lint and npm test on Node 20 with Postgres and Redis services', () => {
    const wf = load('test.yaml');
    expect(Object.keys(wf.on)).toEqual(['workflow_call']);
    const job = wf.jobs.test as Obj;
    expect(job.container.image).toMatch(/^node:20(-|$)/);
    expect(job.services.postgres.image).toMatch(/^postgres:/);
    expect(job.services.redis.image).toMatch(/^redis:/);
    // the test suite reaches the services by their hostnames
    expect(job.env.BANDIT_TEST_DATABASE_URL).toMatch(/@postgres:5432\//);
    expect(job.env.BANDIT_TEST_REDIS_URL).toMatch(/^redis:\/\/redis:6379/);
    const runs = steps(job).map((s) => String(s.run ?? ''));
    for (const cmd of ['npm ci', 'npm run -s lint', 'npm test', 'bash test/peers/venv.sh all']) expect(runs.some((r) => r.includes(cmd))).toBe(true);
  });

  it('ci.yaml runs the tests and builds both images on pull requests, pushing nothing', () => {
    const wf = load('ci.yaml');
    expect(wf.on).toHaveProperty('pull_request');
    expect(wf.jobs.test.uses).toBe('./.github/workflows/test.yaml');
    expect(wf.jobs.image.strategy.matrix.target).toEqual(['bandit-service', 'bandit-pipeline']);
    const build = step(wf.jobs.image, 'docker/build-push-action')!;
    expect(build.with.push).toBe(false);
  });
});

describe.each([
  ['bandit-service.yaml', 'bandit-service', IMAGES.service],
  ['bandit-pipeline.yaml', 'bandit-pipeline', IMAGES.pipeline],
])('%s', (file, target, image) => {
  const wf = load(file);
  const all = repoFiles();

  it('runs on pushes to main that change the image inputs, and by hand', () => {
    expect(wf.on.push.branches).toEqual(['main']);
    expect(wf.on).toHaveProperty('workflow_dispatch');
    const paths = wf.on.push.paths as string[];
    expect(paths).toEqual(expect.arrayContaining(['src/**', 'proto/**', 'package.json', 'package-lock.json', 'Dockerfile', `.github/workflows/${file}`]));
    // every filter matches a file that exists (a typo would silently never trigger)
    for (const p of paths) expect({ filter: p, matches: all.some((f) => globToRegExp(p).test(f)) }).toEqual({ filter: p, matches: true });
    // and never k8s/: the manifest pin commit must not trigger a build
    expect(paths.some((p) => globToRegExp(p).test('k8s/datasci/bandit/ks.yaml'))).toBe(false);
  });

  it('tests before it builds', () => {
    expect(wf.jobs.test.uses).toBe('./.github/workflows/test.yaml');
    expect(wf.jobs.image.needs).toBe('test');
  });

  it(`pushes ${image}:<commit SHA> with the job's GITHUB_TOKEN, and only that image`, () => {
    expect(wf.env.IMAGE).toBe(image);
    const job = wf.jobs.image as Obj;
    expect(job.permissions).toEqual({ contents: 'read', packages: 'write' });
    expect(wf.permissions).toEqual({ contents: 'read' });
    const login = step(job, 'docker/login-action')!;
    expect(login.with).toEqual({ registry: 'ghcr.io', username: '${{ github.actor }}', password: '${{ secrets.GITHUB_TOKEN }}' });
    const meta = step(job, 'docker/metadata-action')!;
    expect(meta.with.images).toBe('${{ env.IMAGE }}');
    expect(meta.with.tags).toContain('type=raw,value=${{ github.sha }}');
    const build = step(job, 'docker/build-push-action')!;
    expect(build.with).toMatchObject({ context: '.', file: 'Dockerfile', target, push: true, tags: '${{ steps.meta.outputs.tags }}' });
    expect(stages.has(build.with.target)).toBe(true);
    const text = fs.readFileSync(path.join(WORKFLOW_DIR, file), 'utf8');
    const other = image === IMAGES.service ? IMAGES.pipeline : IMAGES.service;
    expect(text).not.toContain(other);
  });

  it('the optional manifest pin rewrites exactly this image in k8s/ and is off unless enabled', () => {
    const pin = wf.jobs.pin as Obj;
    expect(pin.needs).toBe('image');
    expect(pin.if).toBe("vars.BANDIT_PIN_MANIFESTS == 'true'");
    expect(pin.permissions).toEqual({ contents: 'write' });
    const script = String(steps(pin).find((s) => s.run)!.run);
    expect(script).toContain('${IMAGE}:${GITHUB_SHA}');
  });
});
