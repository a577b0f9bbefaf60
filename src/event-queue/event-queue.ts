/**
 * The event queue: every select and reward the posterior store records waits here until the
 * event consumer (src/event-store/event-consumer.ts) has stored it in the event store. The
 * posterior store appends each event in the same atomic step as the state change it
 * describes (one Lua script on Dragonfly, one synchronous call in process), so the queue
 * is reached through the store it belongs to (`PosteriorStore.queue`); the consumer
 * depends on this port only.
 *
 * Two implementations: `DragonflyEventQueue` (a Redis stream per experiment with one
 * consumer group, shared by every replica) and `MemoryEventQueue` (in process).
 *
 * Delivery is at least once: an event read stays queued until acknowledged, so a batch
 * whose storing failed is read again; the event store's unique key makes a repeat harmless.
 */

/** `hselect` / `hreward`: a holdout decision and its reward (kept out of the posterior and of rebuilds). */
export type EventType = 'select' | 'reward' | 'hselect' | 'hreward';

/** One event waiting in the queue (a Redis stream entry, or an in-process entry). */
export interface QueuedEvent {
  /** Queue position, opaque to callers; used to acknowledge. */
  queueId: string;
  experimentId: string;
  type: EventType;
  decisionId: string;
  arm: number;
  propensity: number;
  reward: number | null;
  unitId: string | null;
  at: number;
  /**
   * The event store's row id of this event, set by the consumer once stored: `ack` counts
   * into the live state a stored event that its last rebuild could not see.
   */
  rowId?: number;
}

/** One experiment's queue: how many events wait, and when the oldest was queued (ms; null when empty). */
export interface QueueStats {
  experimentId: string;
  length: number;
  oldestAt: number | null;
}

/** Asks the event store for the row ids of stored events (sets `rowId` on each). */
export type RowIdLookup = (events: readonly QueuedEvent[]) => Promise<void>;

export interface EventQueue {
  readonly kind: 'dragonfly' | 'memory';
  /**
   * True when other processes share the queue and the posterior state (Dragonfly): a
   * rebuild elsewhere may run between storing a batch and acknowledging it, so the
   * consumer stores and acknowledges under the event store's lock of the batch's
   * experiments, and `ack` counts what that rebuild could not see (see `ack`). False in
   * process: the consumer and a rebuild take turns.
   */
  readonly fenced: boolean;
  /**
   * Up to `max` queued events of these experiments, oldest first within each experiment;
   * they stay queued until `ack`. Events this reader read earlier and did not acknowledge
   * come first; on a shared queue, events another reader left unacknowledged for longer
   * than the claim time (a crashed replica) are taken over next; then new ones. An entry
   * that is not a readable event is removed from the queue and never returned.
   */
  read(experimentIds: readonly string[], max: number): Promise<QueuedEvent[]>;
  /**
   * Removes stored events from the queue. On a fenced queue, a stored event the live state
   * does not count yet (queued before its last rebuild, stored after that rebuild read the
   * log) is counted in the same atomic step: for such events (rare: only those queued
   * before a rebuild's fence) the queue asks `rowIds` for their event-store row ids.
   */
  ack(events: readonly QueuedEvent[], rowIds?: RowIdLookup): Promise<void>;
  /** Length and oldest entry of each experiment's queue (metrics, readiness). */
  stats(experimentIds: readonly string[]): Promise<QueueStats[]>;
}
