/**
 * Processes the reliability tests start and break on this machine's loopback: the built
 * `bandit serve`, a private redis-server (to kill and restart without disturbing anyone),
 * a three-node Redis Cluster, and a TCP proxy that can be cut to simulate a network or
 * server outage of whatever sits behind it. Everything started here is stopped by its
 * own handle; nothing global is touched.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { BANDIT_BIN } from './env';

export const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

/** A TCP port free on 127.0.0.1 right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws naming `what`). */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(everyMs);
  }
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

export interface ServiceProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  logs(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends the signal and waits for the exit (SIGKILL after `graceMs`). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs `node BANDIT_BIN serve` on a free loopback port with exactly `env` added to a
 * minimal environment (PATH, HOME), and resolves once it prints its listening line.
 */
export async function spawnService(env: Record<string, string>, opts: { bin?: string; timeoutMs?: number; args?: string[] } = {}): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [opts.bin ?? BANDIT_BIN, 'serve', '--port', String(port), '--host', '127.0.0.1', ...(opts.args ?? [])], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? os.tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = exitOf(child);
  const url = `http://127.0.0.1:${port}`;
  const started = await Promise.race([
    waitFor('bandit serve to listen', () => out.includes(`listening on http://127.0.0.1:${port}`), opts.timeoutMs ?? 30_000, 50).then(
      () => true,
      (err: unknown) => {
        child.kill('SIGKILL');
        throw new Error(`${String(err)}\n${out}`);
      },
    ),
    exited.then(() => false),
  ]);
  if (!started) throw new Error(`bandit serve exited before listening:\n${out}`);
  return {
    url,
    port,
    child,
    logs: () => out,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
}

export interface RedisServer {
  port: number;
  url: string;
  /** SIGKILL: the server and everything in its memory are gone. */
  kill(): Promise<void>;
  /** Starts a fresh, empty server on the same port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A private, memory-only redis-server on a free loopback port. */
export async function startRedisServer(extraArgs: string[] = []): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...extraArgs], { stdio: 'ignore' });
    child = c;
    try {
      await waitFor(`redis-server on ${port}`, () => pingRedis(port), 10_000, 50);
    } catch (err) {
      c.kill('SIGKILL');
      throw err;
    }
  };
  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const done = exitOf(c);
    c.kill('SIGKILL');
    await done;
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}/0`, kill, start, stop: kill };
}

/** true when a Redis server answers PING on the port (PONG, or NOAUTH when it needs a password). */
export function pingRedis(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(1000, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      buf += d.toString();
      // a server with requirepass answers NOAUTH: it is up
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG') || buf.startsWith('-NOAUTH'));
    });
  });
}

export interface RedisClusterHandle {
  ports: number[];
  /** Seed nodes as `redis+cluster://host:port,host:port,…` */
  url: string;
  stop(): Promise<void>;
}

/** Three `redis-server --cluster-enabled yes` nodes in temporary folders, joined with `redis-cli --cluster create`. */
export async function startRedisCluster(nodes = 3): Promise<RedisClusterHandle> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-cluster-'));
  const servers: RedisServer[] = [];
  try {
    for (let i = 0; i < nodes; i++) {
      const nodeDir = path.join(dir, `n${i}`);
      fs.mkdirSync(nodeDir);
      servers.push(await startRedisServer(['--cluster-enabled', 'yes', '--cluster-config-file', path.join(nodeDir, 'nodes.conf'), '--dir', nodeDir, '--cluster-node-timeout', '5000']));
    }
    execFileSync('redis-cli', ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'pipe', timeout: 30_000 });
    await waitFor(
      'the cluster state to become ok',
      () => servers.every((s) => /cluster_state:ok/.test(execFileSync('redis-cli', ['-p', String(s.port), 'cluster', 'info'], { encoding: 'utf8' }))),
      20_000,
      200,
    );
  } catch (err) {
    for (const s of servers) await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    ports: servers.map((s) => s.port),
    url: `redis+cluster://${servers.map((s) => `127.0.0.1:${s.port}`).join(',')}`,
    async stop() {
      for (const s of servers) await s.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A TCP proxy on a free loopback port forwarding to `target`. `cut()` destroys every open
 * connection and makes new ones close at once (the peer looks down); `restore()` forwards
 * again.
 */
export class TcpProxy {
  port = 0;
  private readonly server: net.Server;
  private readonly open = new Set<net.Socket>();
  private down = false;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = net.createServer((client) => this.accept(client));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = this.server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
    return this.port;
  }

  cut(): void {
    this.down = true;
    for (const s of this.open) s.destroy();
    this.open.clear();
  }

  restore(): void {
    this.down = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.targetPort, this.targetHost);
    this.open.add(client);
    this.open.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.open.delete(client);
      this.open.delete(upstream);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

/** Postgres URL with host and port replaced (to route through a proxy). */
export function viaProxy(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}
