/**
 * Assembles the code server: the `api.DagsterApi` service and `grpc.health.v1.Health` on one
 * grpc-js server (gzip accepted; replies uncompressed unless the client asks), bound to
 * host:port. The caller owns the returned handle's lifetime.
 */
import * as grpc from '@grpc/grpc-js';
import { DagsterApiService } from './dagster-api.service';
import { HealthService } from './health.service';
import type { RunLauncher } from './run-launcher';
import type { CodeLocationInfo } from './snapshots';

export interface CodeServerOptions {
  host: string;
  port: number;
  info: CodeLocationInfo;
  runs: RunLauncher;
  /** Called when the host sent ShutdownServer and every run has finished. */
  onShutdownRequested?: () => void;
  /** Where protocol problems (a host of another Dagster version) are reported. */
  log?: (message: string) => void;
}

export interface CodeServerHandle {
  port: number;
  api: DagsterApiService;
  health: HealthService;
  /** Stops serving: waits up to `graceMs` for running runs, then cancels what is left; then ends the calls in flight. */
  close(graceMs?: number): Promise<void>;
}

export const MAX_MESSAGE_BYTES = 50 * 1024 * 1024;

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServerHandle> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  const health = new HealthService();
  const api = new DagsterApiService({
    info: opts.info,
    runs: opts.runs,
    log: opts.log,
    onShutdown: () => {
      health.setServing(false);
      opts.onShutdownRequested?.();
    },
  });
  api.addToServer(server);
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port,
    api,
    health,
    async close(graceMs = 30_000) {
      health.setServing(false);
      const within = (ms: number) => Promise.race([opts.runs.drain().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
      if (!(await within(graceMs))) {
        // runs still going when the grace period ends: cancel them so each records its end
        opts.runs.abortAll('the code server is shutting down');
        await within(10_000);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 5000);
        timer.unref();
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
