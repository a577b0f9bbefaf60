import type { Command } from 'commander';
import { createApp } from '../app/create-app';
import { loadConfig, type Config } from '../config/config';
import { BanditError, CLI_EXIT_CODE } from '../common/errors';
import { CliError, type CliCommand } from './command';

/** Refuses configurations that must not serve: production without an admin token. */
export function assertServable(config: Config): void {
  if (config.nodeEnv === 'production' && config.adminToken === undefined) {
    throw new CliError(
      'refusing to start: NODE_ENV=production requires BANDIT_ADMIN_TOKEN (at least 16 characters) so that creating, concluding and stopping experiments is not open to anyone',
    );
  }
}

export const serveCommand: CliCommand = {
  register(program: Command) {
    program
      .command('serve')
      .description('run bandit-service: experiments, /select, /reward, metrics, OpenAPI at /openapi.json (PORT, default 8000)')
      .option('--port <port>', 'port to listen on (overrides PORT; 0 picks a free one)')
      .option('--host <host>', 'address to bind (overrides BANDIT_HOST)')
      .option('--no-consumer', 'do not move queued events into the event store here: `bandit consume` does, in a process of its own (needs Dragonfly)')
      .action(async (opts: { port?: string; host?: string; consumer: boolean }) => {
        const base = loadConfig();
        const port = opts.port === undefined ? base.port : Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be an integer 0..65535, got ${JSON.stringify(opts.port)}`);
        const config: Config = { ...base, port, host: opts.host ?? base.host };
        assertServable(config);
        if (!opts.consumer && !config.redis) {
          throw new CliError('--no-consumer needs the Dragonfly store (BANDIT_REDIS_URL or DRAGONFLY_HOST): the in-process store queues its events inside this process, which alone can move them');
        }
        let app: Awaited<ReturnType<typeof createApp>> | undefined;
        try {
          app = await createApp(config, { eventConsumer: opts.consumer });
          // the Fastify instance's listen (the application is initialized already): a failure is
          // reported once, below, instead of also through Nest's error log
          await (app.getHttpAdapter().getInstance() as { listen(o: { port: number; host: string }): Promise<string> }).listen({ port: config.port, host: config.host });
        } catch (err) {
          await exitAfterStartupFailure(err, config, app);
          return;
        }
        // graceful stop: finish requests, move queued events into the event store, close stores; exit 0
        let stopping = false;
        const shutdown = (signal: NodeJS.Signals) => {
          if (stopping) return;
          stopping = true;
          process.stderr.write(`bandit-service: ${signal}, stopping\n`);
          (app as NonNullable<typeof app>).close().then(
            () => process.exit(0),
            (err: unknown) => {
              process.stderr.write(`bandit-service: unclean stop: ${err instanceof Error ? err.message : String(err)}\n`);
              process.exit(1);
            },
          );
        };
        process.once('SIGTERM', shutdown);
        process.once('SIGINT', shutdown);
        const addr = (app as NonNullable<typeof app>).getHttpServer().address();
        const bound = typeof addr === 'object' && addr ? addr.port : config.port;
        const store = config.redis ? `dragonfly ${config.redis.host}:${config.redis.port}/${config.redis.db}` : 'in-process';
        const events = `${config.databaseUrl ? 'postgres' : `sqlite ${config.sqlitePath}`}${opts.consumer ? '' : ', moved by `bandit consume`'}`;
        process.stderr.write(`bandit-service listening on http://${config.host}:${bound} (posterior store: ${store}; events: ${events})\n`);
      });
  },
};

/**
 * A failed start prints one line and exits non-zero at once: open store connections and
 * timers would otherwise keep the process alive with nothing listening.
 */
async function exitAfterStartupFailure(err: unknown, config: Config, app: { close(): Promise<void> } | undefined): Promise<never> {
  const e = err as { code?: string; message?: string };
  let line: string;
  if (e?.code === 'EADDRINUSE') line = `cannot listen on ${config.host}:${config.port}: the port is already in use (EADDRINUSE)`;
  else if (e?.code === 'EACCES' || e?.code === 'EADDRNOTAVAIL') line = `cannot listen on ${config.host}:${config.port}: ${e.message ?? e.code}`;
  else line = `cannot start: ${err instanceof Error ? err.message : String(err)}`;
  const code = err instanceof BanditError ? CLI_EXIT_CODE[err.code] : 1;
  if (app) await Promise.race([app.close().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
  process.stderr.write(`bandit: ${line.split('\n')[0]}\n`);
  process.exit(code);
}
