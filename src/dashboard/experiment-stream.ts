/**
 * Server-sent events of one experiment (GET /experiments/:id/stream). Each experiment
 * that has listeners is watched by one loop in this process, however many pages listen:
 * it reads the experiment's view (the same object GET /experiments/:id returns) every
 * `intervalMs` and sends it when it changed. Reading the shared state, not this process's
 * own traffic, keeps the page live whichever replica serves the selects and rewards.
 *
 * Events: `experiment` (data: the view as JSON), `gone` (the experiment does not exist;
 * the stream ends), `unavailable` (the read failed; the loop keeps trying), and a comment
 * every `heartbeatMs` so proxies keep the connection open.
 */
import type { MessageEvent } from '@nestjs/common';
import { Observable, type Subscriber } from 'rxjs';
import { BanditError, ErrorCode } from '../common/errors';
import type { ExperimentView } from '../experiments/experiment.dto';

/** Where views come from (the experiments service). */
export interface ExperimentViews {
  get(id: string): Promise<ExperimentView>;
}

export interface StreamOptions {
  intervalMs: number;
  heartbeatMs: number;
}

class Watch {
  private readonly subscribers = new Set<Subscriber<MessageEvent>>();
  private last: string | null = null;
  private lastKey: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private started = false;
  private stopped = false;

  constructor(
    private readonly id: string,
    private readonly views: ExperimentViews,
    private readonly options: StreamOptions,
    private readonly onEmpty: () => void,
  ) {}

  add(s: Subscriber<MessageEvent>): void {
    this.subscribers.add(s);
    if (this.last !== null) s.next({ type: 'experiment', data: this.last });
    if (!this.started) this.start();
  }

  remove(s: Subscriber<MessageEvent>): void {
    this.subscribers.delete(s);
    if (this.subscribers.size === 0) this.stop();
  }

  private start(): void {
    this.started = true;
    this.heartbeat = setInterval(() => this.broadcast({ comment: 'keep-alive' }), this.options.heartbeatMs);
    this.heartbeat.unref();
    void this.tick();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.timer = null;
    this.heartbeat = null;
    this.onEmpty();
  }

  /** Stops and completes every subscriber. */
  end(): void {
    const subs = [...this.subscribers];
    this.stop();
    for (const s of subs) s.complete();
  }

  private broadcast(event: MessageEvent): void {
    for (const s of this.subscribers) s.next(event);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      const view = await this.views.get(this.id);
      const key = changeKey(view);
      if (key !== this.lastKey) {
        this.lastKey = key;
        this.last = JSON.stringify(view);
        this.broadcast({ type: 'experiment', data: this.last });
      }
    } catch (err) {
      if (err instanceof BanditError && err.code === ErrorCode.NotFound) {
        this.broadcast({ type: 'gone', data: JSON.stringify({ code: err.code, message: err.message }) });
        this.end();
        return;
      }
      this.broadcast({ type: 'unavailable', data: JSON.stringify({ message: err instanceof Error ? err.message : String(err) }) });
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.options.intervalMs);
    this.timer.unref();
  }
}

/**
 * What makes a view new: everything but the clock of a live evaluation (its time, and the
 * age in a time-limit check), which differs at every read. The page keeps showing the
 * evaluation it has, labelled with the time it was made, until something else changes.
 */
function changeKey(v: ExperimentView): string {
  const ev = v.evaluation as ExperimentView['evaluation'] | undefined;
  if (!ev || ev.source !== 'live') return JSON.stringify(v);
  return JSON.stringify({ ...v, evaluation: { ...ev, at: null, checks: ev.checks.map((c) => (c.unit === 'seconds' ? { ...c, value: null } : c)) } });
}

export class ExperimentStream {
  private readonly watches = new Map<string, Watch>();

  constructor(
    private readonly views: ExperimentViews,
    private readonly options: StreamOptions = { intervalMs: 1000, heartbeatMs: 15000 },
  ) {}

  /** The experiment's current view at once, then every change, until the subscriber leaves. */
  events(id: string): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      let w = this.watches.get(id);
      if (!w) {
        const created: Watch = new Watch(id, this.views, this.options, () => {
          if (this.watches.get(id) === created) this.watches.delete(id);
        });
        this.watches.set(id, created);
        w = created;
      }
      const watch = w;
      watch.add(subscriber);
      return () => watch.remove(subscriber);
    });
  }

  /** Experiments watched right now (for tests and metrics). */
  get watched(): number {
    return this.watches.size;
  }

  /** Ends every stream (the service is shutting down; clients reconnect to another replica). */
  close(): void {
    for (const w of [...this.watches.values()]) w.end();
    this.watches.clear();
  }
}
