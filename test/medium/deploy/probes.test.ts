/**
 * The probes and scrape paths of the manifests, tried against the real processes, each
 * started the way its container starts it: from the image's filesystem as the Dockerfile
 * lays it out (lib/image-layout.ts: package.json, proto/, production node_modules, the
 * nest build in dist/), with the image's ENTRYPOINT and ENV, the Deployment's args, and
 * the Deployment's environment. The `bandit serve` of the service image with the
 * bandit-service ConfigMap (Dragonfly and Postgres pointed at
 * this machine's Redis and Postgres) answers the Deployment's startup, liveness and
 * readiness probes within the startup budget and the ServiceMonitor's path with Prometheus
 * text; the built `bandit code-server` answers the gRPC probe (grpc.health.v1.Health/Check
 * on the probed port, as the kubelet calls it) with SERVING. Both stop cleanly on SIGTERM
 * within the pod's grace period.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { dagsterApiClient } from '../../../src/dagster/proto';
import { available, BANDIT_BIN, describeIf } from '../../support/env';
import { claimRedisDb, createTestDatabase, hasPostgres, hasRedis, TestDatabase, TestRedisDb } from '../../support/services';
import { parseDockerfile } from './lib/dockerfile';
import { isNestBuild, layOut } from './lib/image-layout';
import { DOCKERFILE, find, loadManifests } from './lib/repo-files';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const manifests = loadManifests();
const deployment = (name: string): Obj => find(manifests, 'Deployment', name).obj as Obj;
const configMap = (name: string): Record<string, string> => (find(manifests, 'ConfigMap', name).obj as Obj).data;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const stages = parseDockerfile(fs.readFileSync(DOCKERFILE, 'utf8'));

const distDir = path.dirname(BANDIT_BIN);

/**
 * Starts `target`'s container process: the image's ENTRYPOINT with the Deployment's args
 * (Kubernetes `args` replace CMD), in `workingDir` or the image's WORKDIR, with the image's
 * ENV overlaid by the container's environment.
 */
function start(target: string, tmp: string, args: string[], env: Record<string, string>, workingDir?: string): { child: ChildProcess; output: () => string } {
  const image = layOut(stages, target, distDir, path.join(tmp, 'app'));
  const [cmd, ...rest] = image.entrypoint;
  let out = '';
  const child = spawn(cmd === 'node' ? process.execPath : cmd, [...rest, ...args], {
    cwd: workingDir ?? image.root,
    env: { PATH: process.env.PATH ?? '', ...image.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

/**
 * Sends SIGTERM and resolves with how the process ended, or rejects after `graceSeconds`
 * (when the kubelet would SIGKILL it). Nest's shutdown hooks re-raise the signal once
 * they are done, so a clean stop is exit code 0 or the signal SIGTERM itself.
 */
function stop(child: ChildProcess, graceSeconds: number): Promise<string> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`exited before SIGTERM (${child.exitCode ?? child.signalCode})`));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`did not exit within ${graceSeconds}s of SIGTERM`));
    }, graceSeconds * 1000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code !== null ? `exit ${code}` : `signal ${signal}`);
    });
    child.kill('SIGTERM');
  });
}

/** Polls `check` every probe period until it passes or the probe's budget runs out. */
async function within(probe: Obj, check: () => Promise<boolean>): Promise<void> {
  const period = (probe.periodSeconds ?? 10) * 1000;
  const budget = period * (probe.failureThreshold ?? 3);
  const deadline = Date.now() + budget;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`probe did not pass within ${budget / 1000}s`);
    await new Promise((r) => setTimeout(r, Math.min(period, 500)));
  }
}

async function httpGet(port: number, p: string): Promise<{ status: number; body: string; type: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${p}`, { signal: AbortSignal.timeout(2000) });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? '' };
}

/** grpc.health.v1.Health/Check with hand-encoded protobuf: empty request, `status` is field 1. */
async function grpcHealth(port: number): Promise<number> {
  const Client = grpc.makeGenericClientConstructor(
    {
      Check: {
        path: '/grpc.health.v1.Health/Check',
        requestStream: false,
        responseStream: false,
        requestSerialize: () => Buffer.alloc(0),
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    'Health',
  );
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    const reply = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest('/grpc.health.v1.Health/Check', (x: Buffer) => x, (b: Buffer) => b, Buffer.alloc(0), { deadline: Date.now() + 2000 }, (err, v) => (err ? reject(err) : resolve(v!))),
    );
    return reply.length >= 2 && reply[0] === 0x08 ? reply[1] : 0;
  } finally {
    client.close();
  }
}

// start-up, probe budgets and grace periods are long next to jest's default 5 s
jest.setTimeout(180_000);

const built = (): boolean =>
  available(`a nest build at ${distDir}`, fs.existsSync(BANDIT_BIN) && isNestBuild(distDir), 'run npm run build (or set BANDIT_BIN to a nest build with its assets)');

describeIf(() => built() && hasPostgres() && hasRedis())('bandit-service answers its probes and its scrape path', () => {
  let db: TestDatabase | undefined;
  let redis: TestRedisDb | undefined;
  let proc: ReturnType<typeof start> | undefined;
  let port = 0;
  const d = deployment('bandit-service');
  const c = d.spec.template.spec.containers[0] as Obj;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-deploy-'));

  beforeAll(async () => {
    db = await createTestDatabase('bandit_deploy');
    redis = await claimRedisDb();
    port = await freePort();
    const redisUrl = new URL(redis.url);
    proc = start('bandit-service', tmp, c.args as string[], {
      ...configMap('bandit-service-env'),
      // the cluster's services, replaced by this machine's
      DRAGONFLY_HOST: redisUrl.hostname,
      DRAGONFLY_PORT: redisUrl.port || '6379',
      DRAGONFLY_DB: String(redis.db),
      BANDIT_DATABASE_URL: db.url,
      BANDIT_ADMIN_TOKEN: 'deploy-test-admin-token-0123456789',
      BANDIT_DATA_DIR: tmp,
      PORT: String(port),
      BANDIT_HOST: '127.0.0.1',
    });
  });

  afterAll(async () => {
    if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
    await redis?.release();
    await db?.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('passes the startup probe within its budget, then liveness and readiness', async () => {
    await within(c.startupProbe, async () => (await httpGet(port, c.startupProbe.httpGet.path)).status === 200).catch((err: Error) => {
      throw new Error(`${err.message}\n${proc!.output()}`);
    });
    expect((await httpGet(port, c.livenessProbe.httpGet.path)).status).toBe(200);
    await within(c.readinessProbe, async () => (await httpGet(port, c.readinessProbe.httpGet.path)).status === 200);
  });

  it('serves Prometheus text on the ServiceMonitor path', async () => {
    const sm = find(manifests, 'ServiceMonitor', 'bandit-service').obj as Obj;
    const r = await httpGet(port, sm.spec.endpoints[0].path);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain/);
    expect(r.body).toMatch(/^# (HELP|TYPE) /m);
  });

  it('serves the dashboard and the OpenAPI document from the files the image holds', async () => {
    const page = await httpGet(port, '/dashboard');
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/^text\/html/);
    const doc = await httpGet(port, '/openapi.json');
    expect(doc.status).toBe(200);
    expect(JSON.parse(doc.body)).toHaveProperty('paths./select');
  });

  it('stops on SIGTERM within the grace period', async () => {
    expect(await stop(proc!.child, d.spec.template.spec.terminationGracePeriodSeconds)).toMatch(/^(exit 0|signal SIGTERM)$/);
  });
});

describeIf(() => built())('bandit-pipeline answers the gRPC health probe', () => {
  let proc: ReturnType<typeof start> | undefined;
  const d = deployment('bandit-pipeline');
  const c = d.spec.template.spec.containers[0] as Obj;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-deploy-'));
  let port = 0;

  beforeAll(async () => {
    // the container's command with the probed port swapped for a free one here
    port = await freePort();
    const args = (c.args as string[]).map((a) => (a === String(c.livenessProbe.grpc.port) ? String(port) : a));
    expect(args).toContain(String(port));
    // the container's environment: its ConfigMap and its literal env entries
    const literal = Object.fromEntries((c.env as Obj[]).filter((e) => typeof e.value === 'string').map((e) => [e.name, e.value as string]));
    const env = { ...configMap('bandit-pipeline-env'), ...literal };
    // MinIO, MLflow and the dataset volume are the cluster's; this process starts without them
    for (const k of Object.keys(env)) if (/^(MINIO_|MLFLOW_)|^BANDIT_OBD_PATH$/.test(k)) delete env[k];
    const data = path.join(tmp, 'data');
    fs.mkdirSync(data);
    proc = start('bandit-pipeline', tmp, args, { ...env, BANDIT_DATA_DIR: data, HOME: tmp, DAGSTER_HOME: path.join(tmp, 'dagster') }, data);
  });

  afterAll(() => {
    if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('reports SERVING on the probed port within the startup budget', async () => {
    await within(c.startupProbe, async () => (await grpcHealth(port)) === 1).catch((err: Error) => {
      throw new Error(`${err.message}\n${proc!.output()}`);
    });
    expect(await grpcHealth(port)).toBe(1);
  });

  it('reports to Dagster its image, the run settings, and an entry point the image runs as `bandit dagster api execute_run`', async () => {
    const client = dagsterApiClient(`127.0.0.1:${port}`);
    const reply = await new Promise<Obj>((resolve, reject) =>
      (client as unknown as Record<string, (req: Obj, opts: Obj, cb: (e: Error | null, r: Obj) => void) => void>).ListRepositories({}, { deadline: Date.now() + 5000 }, (e, r) =>
        e ? reject(e) : resolve(r),
      ),
    ).finally(() => client.close());
    const res = JSON.parse(reply.serialized_list_repositories_response_or_error as string) as Obj;
    expect(res.__class__).toBe('ListRepositoriesResponse');
    const env = Object.fromEntries((c.env as Obj[]).map((e) => [e.name, e.value]));
    expect(res.container_image).toBe(c.image);
    expect(res.container_context).toEqual(JSON.parse(env.DAGSTER_CONTAINER_CONTEXT as string));
    // a K8sRunLauncher pod: the image's ENTRYPOINT, then `<entry_point> api execute_run <args>`
    const image = layOut(stages, 'bandit-pipeline', distDir, path.join(tmp, 'run-pod'));
    const [cmd, ...rest] = image.entrypoint;
    const r = spawnSync(cmd === 'node' ? process.execPath : cmd, [...rest, ...(res.entry_point as string[]), 'api', 'execute_run', '--help'], {
      cwd: image.root,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', ...image.env },
      timeout: 30000,
    });
    const usage = (r.stdout + r.stderr).split('\n').find((l) => l.startsWith('Usage: '));
    expect({ entry_point: res.entry_point, usage }).toEqual({ entry_point: res.entry_point, usage: expect.stringMatching(/^Usage: bandit dagster api execute_run /) });
  });

  it('stops on SIGTERM within the grace period', async () => {
    expect(await stop(proc!.child, d.spec.template.spec.terminationGracePeriodSeconds)).toMatch(/^(exit 0|signal SIGTERM)$/);
  });
});
