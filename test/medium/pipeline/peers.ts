/**
 * Python peers of the pipeline tests, started on a free loopback port in their own
 * process group and stopped by their handle: an MLflow tracking server (temp SQLite
 * backend store, --serve-artifacts) and moto's S3-compatible server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { peerBin } from '../../support/env';
import { freePort, waitFor } from '../../support/processes';

export interface Peer {
  url: string;
  port: number;
  dir: string;
  logs(): string;
  stop(): Promise<void>;
}

async function startPeer(name: string, bin: string, args: (port: number, dir: string) => string[], ready: (url: string) => Promise<boolean>, timeoutMs = 90_000): Promise<Peer> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bandit-${name}-`));
  const child: ChildProcess = spawn(bin, args(port, dir), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      const exited = new Promise((res) => child.once('exit', res));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      const t = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(`${name} on ${url}`, async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited: ${out.slice(-2000)}`);
      return ready(url);
    }, timeoutMs, 250);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, dir, logs: () => out, stop };
}

export function startMlflow(options: { serveArtifacts?: boolean } = {}): Promise<Peer> {
  const bin = peerBin('mlflow', 'mlflow');
  if (!bin) throw new Error('mlflow peer missing: run test/peers/venv.sh mlflow');
  const artifacts = (dir: string) =>
    options.serveArtifacts === false
      ? ['--no-serve-artifacts', '--default-artifact-root', path.join(dir, 'artifacts')]
      : ['--serve-artifacts', '--artifacts-destination', path.join(dir, 'artifacts')];
  return startPeer(
    'mlflow',
    bin,
    (port, dir) => ['server', '--host', '127.0.0.1', '--port', String(port), '--backend-store-uri', `sqlite:///${path.join(dir, 'mlflow.db')}`, ...artifacts(dir), '--workers', '1'],
    async (url) => (await fetch(`${url}/health`).catch(() => null))?.ok === true,
  );
}

export function startMoto(): Promise<Peer> {
  const bin = peerBin('moto', 'moto_server');
  if (!bin) throw new Error('moto peer missing: run test/peers/venv.sh moto');
  return startPeer('moto', bin, (port) => ['-H', '127.0.0.1', '-p', String(port)], async (url) => (await fetch(`${url}/`).catch(() => null)) !== null);
}
