import type { Command } from 'commander';
import { loadConfig } from '../config/config';
import { envLookup } from '../config/environment';
import { startCodeServer } from '../dagster/code-server';
import { DAGSTER_LINES } from '../dagster/protocol-version';
import { pipelineFactory } from '../dagster/pipeline-loader';
import { RunManager } from '../dagster/run-launcher';
import { CliError, type CliCommand } from './command';

/**
 * Entry point the host appends `api execute_run <args>` to. The K8sRunLauncher passes the
 * result as container args after the image's `ENTRYPOINT ["node", "/app/dist/main.js"]`,
 * so a run pod executes `bandit dagster api execute_run <args>`.
 */
export const DAGSTER_ENTRY_POINT = ['dagster'];

const stamp = () => new Date().toISOString();

export const codeServerCommand: CliCommand = {
  register(program: Command) {
    program
      .command('code-server')
      .description('serve the pipeline as a Dagster code location (gRPC api.DagsterApi + grpc.health.v1.Health), no Python needed')
      .option('--port <port>', 'port to listen on (default BANDIT_CODE_SERVER_PORT or 4000; 0 picks a free one)')
      .option('--host <host>', 'address to bind', '0.0.0.0')
      .action(async (opts: { port?: string; host: string }) => {
        const config = loadConfig();
        const port = opts.port === undefined ? config.codeServerPort : Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be 0..65535, got ${opts.port}`);
        const log = {
          info: (m: string) => process.stderr.write(`${stamp()} code-server ${m}\n`),
          error: (m: string) => process.stderr.write(`${stamp()} code-server ERROR ${m}\n`),
        };
        // The InstanceRef may name credentials as {env: NAME}; they resolve in this process's environment.
        // every run is a worker process of its own: `bandit dagster api execute_run <args>`
        const runs = new RunManager({
          pipeline: pipelineFactory(config),
          env: envLookup,
          log,
          worker: { command: process.execPath, args: [...process.execArgv, process.argv[1]] },
        });
        // the host sends no version: the line to answer in is configured (BANDIT_DAGSTER_VERSION)
        const dagsterVersion = DAGSTER_LINES[config.dagsterLine].version;
        let stop: () => void = () => undefined;
        const stopped = new Promise<void>((r) => (stop = r));
        const handle = await startCodeServer({
          host: opts.host,
          port,
          runs,
          info: {
            entryPoint: DAGSTER_ENTRY_POINT,
            containerImage: config.pipelineImage,
            containerContext: config.dagsterContainerContext,
            dagsterVersion,
            // the schedule's cron (UTC) and the folder the sensor watches
            automation: { scheduleCron: config.dagsterScheduleCron, obdPath: config.obdPath },
          },
          onShutdownRequested: () => stop(),
          log: log.error,
        }).catch((err: Error) => {
          throw new CliError(`cannot listen on ${opts.host}:${port}: ${err.message}`, 1);
        });
        log.info(`serving location bandit-pipeline on ${opts.host}:${handle.port} (Dagster ${dagsterVersion} protocol, line ${config.dagsterLine}, image ${config.pipelineImage})`);
        for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop());
        await stopped;
        log.info('shutting down: waiting for running runs');
        await handle.close();
      });
  },
};
