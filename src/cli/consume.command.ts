import type { Command } from 'commander';
import { loadConfig } from '../config/config';
import { openDataSource } from '../events/data-source';
import { DeadLetterRepository } from '../events/dead-letter.repository';
import { cachedIds, EventConsumer, IDS_TTL_MS } from '../events/event-consumer';
import { EventRepository } from '../events/event.repository';
import { ExperimentRepository } from '../experiments/experiment.repository';
import { openPosteriorStore } from '../state/open-store';
import { CliError, type CliCommand } from './command';

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
        const store = openPosteriorStore(config);
        const target = config.databaseUrl ? 'postgres' : `sqlite ${config.sqlitePath}`;
        let ds: Awaited<ReturnType<typeof openDataSource>>;
        try {
          ds = await openDataSource(config);
        } catch (err) {
          await store.close().catch(() => undefined);
          throw new CliError(`cannot open the event store (${target}): ${err instanceof Error ? err.message : String(err)}`, 1);
        }
        const repo = new ExperimentRepository(ds);
        const consumer = new EventConsumer(store, new EventRepository(ds), cachedIds(() => repo.ids(), IDS_TTL_MS), config.eventFlushIntervalMs, {
          warn: (m) => process.stderr.write(`bandit consume: ${m}\n`),
        }, new DeadLetterRepository(ds));
        const close = async () => {
          await store.close().catch(() => undefined);
          await ds.destroy().catch(() => undefined);
        };
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
