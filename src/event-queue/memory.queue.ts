/**
 * The in-process event queue of the embedded posterior store (MemoryPosteriorStore appends
 * to it in the same call that changes the state). One reader: the process's own consumer.
 * An event lives only in process memory until the consumer stored it, so a crash loses at
 * most one flush interval of events.
 */
import type { EventQueue, QueuedEvent, QueueStats } from './event-queue';

export class MemoryEventQueue implements EventQueue {
  readonly kind = 'memory' as const;
  readonly fenced = false;
  private readonly entries: QueuedEvent[] = [];
  /** Wall-clock time each entry was queued at (the events carry the service clock's time). */
  private readonly queuedAt = new Map<string, number>();
  private seq = 0;

  constructor(private readonly wallClock: () => number = Date.now) {}

  /** Appends an event (the posterior store, as it records the state change). */
  push(ev: Omit<QueuedEvent, 'queueId'>): void {
    const queueId = String(++this.seq);
    this.entries.push({ queueId, ...ev });
    this.queuedAt.set(queueId, this.wallClock());
  }

  async read(experimentIds: readonly string[], max: number): Promise<QueuedEvent[]> {
    const wanted = new Set(experimentIds);
    const out: QueuedEvent[] = [];
    for (const ev of this.entries) {
      if (out.length >= max) break;
      if (wanted.has(ev.experimentId)) out.push(ev);
    }
    return out;
  }

  async ack(events: readonly QueuedEvent[]): Promise<void> {
    const done = new Set(events.map((e) => e.queueId));
    this.keep((ev) => !done.has(ev.queueId));
  }

  async stats(experimentIds: readonly string[]): Promise<QueueStats[]> {
    const stats = new Map<string, QueueStats>(experimentIds.map((id) => [id, { experimentId: id, length: 0, oldestAt: null }]));
    for (const ev of this.entries) {
      const s = stats.get(ev.experimentId);
      if (!s) continue;
      s.length++;
      s.oldestAt ??= this.queuedAt.get(ev.queueId) ?? null;
    }
    return [...stats.values()];
  }

  /** Forgets every queued event of the experiment (the store dropped its state). */
  dropExperiment(experimentId: string): void {
    this.keep((ev) => ev.experimentId !== experimentId);
  }

  private keep(wanted: (ev: QueuedEvent) => boolean): void {
    let w = 0;
    for (const ev of this.entries) {
      if (wanted(ev)) this.entries[w++] = ev;
      else this.queuedAt.delete(ev.queueId);
    }
    this.entries.length = w;
  }
}
