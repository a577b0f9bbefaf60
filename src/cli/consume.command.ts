import type { Command } from 'commander';
import { loadConfig } from '../config/config';
import { CliError, type CliCommand } from './command';
import { openCliServices } from './services';

/**
 * `bandit consume`: the event consumer of `bandit serve` in a process of its own, so that
 * moving events into the event store does not take CPU from serving (`bandit serve
 * --no-consumer`). Reads every experiment's queue each BANDIT_EVENT_FLUSH_MS; several
 * consumers (and servers that still consume) share the queues' consumer group, and
 * inserting is idempotent, so running more than one is safe. SIGTERM / SIGINT: moves what
 * is still queued, then exits 0.
 */
export const consumeCommand: CliCommand = {
  register(program: Command) {
    program
      .command('consume')
      .description('move queued events from Dragonfly into the event store in a process of its own (beside `bandit serve --no-consumer`); runs until SIGTERM')
      .option('--once', 'move what is queued now, print how many, and exit')
      .action(async (opts: { once?: boolean }) => {
        const config = loadConfig();
        if (!config.redis) {
          throw new CliError('no Dragonfly configured (DRAGONFLY_HOST or BANDIT_REDIS_URL): the in-process store queues its events inside `bandit serve`, which moves them itself');
        }
        // the server's own wiring (src/app/composition.ts), on the configured stores
        const { consumer, close, eventStore: target } = await openCliServices(config, 'consume');
        if (opts.once) {
          try {
            process.stdout.write(`moved ${await consumer.flush()} events\n`);
          } finally {
            await close();
          }
          return;
        }
        consumer.start({ sweepEveryTick: true });
        // the consumer's timer does not hold the process open; this does, until a signal
        const alive = setInterval(() => undefined, 1 << 30);
        const { redis } = config;
        process.stderr.write(`bandit consume: moving events from dragonfly ${redis.host}:${redis.port}/${redis.db} into ${target} every ${config.eventFlushIntervalMs} ms\n`);
        const signal = await new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGTERM', resolve);
          process.once('SIGINT', resolve);
        });
        process.stderr.write(`bandit consume: ${signal}, moving what is still queued\n`);
        await consumer.stop();
        let failed = false;
        await consumer.flush().catch((err: unknown) => {
          failed = true;
          process.stderr.write(`bandit consume: events left in the queue: ${err instanceof Error ? err.message : String(err)}\n`);
        });
        clearInterval(alive);
        await close();
        process.stderr.write(`bandit consume: stopped after moving ${consumer.moved} events\n`);
        if (failed) process.exitCode = 1;
      });
  },
};
