/**
 * Moves queued events (the EventQueue port: the Redis streams, or the in-process queue)
 * into the event store in batches. A batch is acknowledged only after its transaction committed; inserting
 * is idempotent, so a batch re-delivered after a crash between commit and acknowledge is
 * stored once. While the event store is down the events stay queued and the consumer
 * retries every interval.
 *
 * A row the event store refuses (a value it cannot hold) never blocks the queue: when a
 * batch is refused, it is split in halves until the refused rows are alone; those go to
 * the dead-letter table with the database's reason, the rest is stored, and the whole
 * batch is acknowledged. An unreachable event store is not a refusal: nothing is
 * acknowledged and the batch is retried.
 */
import type { EventQueue, QueuedEvent, QueueStats } from '../event-queue/event-queue';
import { isRefusedRow, type DeadLetter, type DeadLetterRepository } from './dead-letter.repository';
import type { EventRepository, Queryable } from './event.repository';

export interface ConsumerLog {
  warn(message: string): void;
}

const BATCH = 1000;
const WARN_EVERY_MS = 10_000;
/** Bounds one pass under sustained load; the next tick continues. */
const MAX_ROUNDS = 50;
/** Every this many ticks the queues of all experiments are read, not only the active ones. */
const SWEEP_EVERY_TICKS = 25;

export class EventConsumer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private lastWarn = 0;
  private ticks = 0;
  /** Experiments this process queued events for since the last tick. */
  private readonly active = new Set<string>();
  /** Events moved since start (metrics). */
  moved = 0;
  /** Events set aside in the dead-letter table by this process (metrics). */
  deadLettered = 0;
  /** The last failure to store a batch, cleared by the next success. */
  lastError: string | undefined;
  /**
   * False when another process moves the events (`bandit serve --no-consumer` beside
   * `bandit consume`): start() then runs nothing; flush() still moves on demand.
   */
  background = true;

  constructor(
    private readonly queue: EventQueue,
    private readonly events: EventRepository,
    private readonly experimentIds: () => Promise<readonly string[]>,
    /** Period of the background moves (BANDIT_EVENT_FLUSH_MS). */
    readonly intervalMs: number,
    private readonly log: ConsumerLog,
    private readonly deadLetters?: DeadLetterRepository,
  ) {}

  /** Per experiment: events waiting in its queue and the enqueue time of the oldest. */
  async queueStats(): Promise<QueueStats[]> {
    return this.queue.stats(await this.experimentIds());
  }

  /** Notes that an event was queued for this experiment (read at the next tick). */
  touch(experimentId: string): void {
    this.active.add(experimentId);
  }

  /**
   * Each tick reads the queues of the experiments this process queued events for; every
   * SWEEP_EVERY_TICKS ticks, those of all experiments (events queued by other replicas,
   * or left by a crashed one) — so idle experiments cost no polling in between.
   * `sweepEveryTick`: read all queues at every tick (a consumer of its own, which queues
   * nothing itself).
   */
  start(opts: { sweepEveryTick?: boolean } = {}): void {
    if (this.timer || !this.background) return;
    const tick = () => {
      this.timer = setTimeout(() => {
        const sweep = this.ticks++ % SWEEP_EVERY_TICKS === 0 || opts.sweepEveryTick === true;
        const ids = sweep ? undefined : [...this.active];
        this.active.clear();
        const pass = ids !== undefined && ids.length === 0 ? Promise.resolve(0) : this.flush(ids);
        pass
          .catch(() => {
            for (const id of ids ?? []) this.active.add(id);
          })
          .finally(() => {
            if (this.timer) tick();
          });
      }, this.intervalMs);
      this.timer.unref?.();
    };
    tick();
  }

  async stop(): Promise<void> {
    const t = this.timer;
    this.timer = undefined;
    if (t) clearTimeout(t);
    await this.running?.catch(() => undefined);
  }

  /**
   * Moves everything queued right now (of `only` these experiments, or all); one pass at a
   * time. Returns how many events were stored; rejects when the event store failed.
   */
  flush(only?: readonly string[]): Promise<number> {
    if (this.running) return this.running.catch(() => 0).then(() => this.flush(only));
    this.running = this.drain(only).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async drain(only?: readonly string[]): Promise<number> {
    let total = 0;
    try {
      // every experiment (the list may be cached) plus those this process queued for since (created after the list was read)
      const ids = only ?? [...new Set([...(await this.experimentIds()), ...this.active])];
      if (ids.length === 0) return 0;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const batch = await this.queue.read(ids, BATCH);
        if (batch.length === 0) break;
        await this.store_(batch);
        total += batch.length;
        this.moved += batch.length;
      }
      this.lastError = undefined;
      return total;
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      if (Date.now() - this.lastWarn > WARN_EVERY_MS) {
        this.lastWarn = Date.now();
        this.log.warn(`events wait in the queue: cannot store them yet (${this.lastError})`);
      }
      throw err;
    }
  }

  /**
   * Stores the batch, sets refused rows aside, and acknowledges it. On a fenced (shared)
   * queue this runs under the experiments' event lock and the acknowledgement counts what a
   * rebuild in between could not see (see EventRepository.locked).
   */
  private async store_(batch: readonly QueuedEvent[]): Promise<void> {
    const settle = async (via?: Queryable) => {
      const refused = await this.insertIsolating(batch, via);
      if (refused.length > 0) await this.setAside(refused);
      await this.queue.ack(batch, via === undefined ? undefined : (events) => this.events.rowIdsOf(events, via));
    };
    if (!this.queue.fenced) return settle();
    await this.events.locked([...new Set(batch.map((e) => e.experimentId))], 'shared', settle);
  }

  /** Inserts the rows; returns the ones the event store refused (each alone), rethrows anything else. */
  private async insertIsolating(rows: readonly QueuedEvent[], via?: Queryable): Promise<DeadLetter[]> {
    try {
      await this.events.insertEvents(rows, { via });
      return [];
    } catch (err) {
      if (!this.deadLetters || !isRefusedRow(err)) throw err;
      if (rows.length === 1) return [{ event: rows[0], reason: err instanceof Error ? err.message : String(err) }];
      const mid = rows.length >> 1;
      const first = await this.insertIsolating(rows.slice(0, mid), via);
      return first.concat(await this.insertIsolating(rows.slice(mid), via));
    }
  }

  private async setAside(refused: readonly DeadLetter[]): Promise<void> {
    await this.deadLetters?.insert(refused);
    this.deadLettered += refused.length;
    const first = refused[0];
    this.log.warn(
      `${refused.length} event(s) refused by the event store were set aside in bandit_dead_letters (first: ${first.event.type} ${JSON.stringify(first.event.decisionId)} of experiment ${JSON.stringify(first.event.experimentId)}: ${first.reason})`,
    );
  }
}

/** How long a consumer reuses the list of experiment ids before asking the database again. */
export const IDS_TTL_MS = 2000;

/** The ids `fetch` returns, asked again at most every `ttlMs` (the consumer's list of experiments). */
export function cachedIds(fetch: () => Promise<string[]>, ttlMs: number): () => Promise<string[]> {
  let cached: { at: number; ids: string[] } | undefined;
  return async () => {
    if (!cached || Date.now() - cached.at > ttlMs) cached = { at: Date.now(), ids: await fetch() };
    return cached.ids;
  };
}
