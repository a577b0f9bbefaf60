/**
 * Per-client request limit over a sliding minute, shared by every replica through the
 * posterior store (Redis / Dragonfly; the in-process store keeps it in this process).
 *
 * Sliding window by two fixed buckets: the estimate for "the last 60 s" is this minute's
 * count plus last minute's count weighted by the part of last minute still inside the
 * window (`prev × (1 − elapsed / 60 s)`). A burst straddling a minute boundary therefore
 * passes about the limit, not twice it.
 *
 * No round trip per request: each replica decides from the shared counts it last read plus
 * what it admitted since, and sends its admissions and reads the shared counts back at
 * most every `syncMs` per active client (one script call). The first request of a client
 * this replica has not seen, or has not heard from for over a second, waits for one read.
 * So replicas together may pass at most (replicas − 1) × (their rate) × syncMs above the
 * limit between two reads.
 */

/** Counts of one client in the shared store: this minute (after adding `n`) and the minute before. */
export interface RateCounts {
  current: number;
  previous: number;
}

/** Where the counts live: adds `n` to the client's bucket of `window` (minute number) and reads both buckets. */
export type RateCounter = (client: string, window: number, n: number) => Promise<RateCounts>;

export const WINDOW_MS = 60_000;
/** A client's shared counts older than this are read again before its next request is decided. */
const STALE_MS = 1000;

interface ClientState {
  window: number;
  /** The shared counts as last read (including what this replica had sent by then). */
  current: number;
  previous: number;
  /** Admitted here and not sent yet. */
  pending: number;
  syncedAt: number;
  syncing: Promise<void> | undefined;
}

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

export class SlidingWindowLimiter {
  private readonly clients = new Map<string, ClientState>();
  private lastSweep = 0;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly perMinute: number,
    private readonly counter: RateCounter,
    private readonly syncMs = 100,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Admits or refuses one request of `client`. Resolves at once except for a client this
   * replica has not seen this minute (one read of the shared counts first). A failed read
   * admits (the limit protects the service; it never makes it unavailable).
   */
  async check(client: string): Promise<RateDecision> {
    const t = this.now();
    const window = Math.floor(t / WINDOW_MS);
    let st = this.clients.get(client);
    if (!st || st.window < window - 1) {
      st = { window, current: 0, previous: 0, pending: 0, syncedAt: 0, syncing: undefined };
      this.clients.set(client, st);
      this.sweep(t);
      await this.sync(client, st);
    } else if (t - st.syncedAt > STALE_MS && st.window === window) {
      // idle for a while: other replicas' counts may have moved; read them before deciding
      await this.sync(client, st);
    } else if (st.window < window) {
      // a new minute: this minute's bucket becomes the previous one; what was not sent yet is sent to the old bucket
      void this.sync(client, st);
      st.previous = st.current + st.pending;
      st.current = 0;
      st.pending = 0;
      st.window = window;
      st.syncedAt = 0;
    }
    const elapsed = (t % WINDOW_MS) / WINDOW_MS;
    const estimate = st.current + st.pending + st.previous * (1 - elapsed);
    if (estimate + 1 > this.perMinute) {
      if (t - st.syncedAt > this.syncMs) void this.sync(client, st);
      return { ok: false, retryAfterSeconds: retryAfter(estimate + 1 - this.perMinute, st.previous, elapsed) };
    }
    st.pending++;
    if (t - st.syncedAt > this.syncMs) void this.sync(client, st);
    else this.flushLater();
    return { ok: true };
  }

  /** Admissions not sent yet are sent within `syncMs` even when the client goes quiet. */
  private flushLater(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      for (const [client, st] of this.clients) if (st.pending > 0) void this.sync(client, st);
    }, this.syncMs);
    this.flushTimer.unref();
  }

  /** Sends what this replica admitted and reads the shared counts (one call at a time per client). */
  private sync(client: string, st: ClientState): Promise<void> {
    if (st.syncing) return st.syncing;
    const window = st.window;
    const sent = st.pending;
    st.syncedAt = this.now();
    st.syncing = this.counter(client, window, sent)
      .then(
        (counts) => {
          if (st.window !== window) return;
          st.pending -= sent;
          st.current = counts.current;
          st.previous = counts.previous;
        },
        () => undefined,
      )
      .finally(() => {
        st.syncing = undefined;
        if (st.pending > 0) this.flushLater();
      });
    return st.syncing;
  }

  /** Forgets clients idle for over two minutes (at most once a minute). */
  private sweep(t: number): void {
    if (t - this.lastSweep < WINDOW_MS) return;
    this.lastSweep = t;
    const window = Math.floor(t / WINDOW_MS);
    for (const [client, st] of this.clients) if (st.window < window - 1 && !st.syncing) this.clients.delete(client);
  }
}

/** Seconds until the estimate falls by `excess`: last minute's share fades linearly; else the next minute. */
function retryAfter(excess: number, previous: number, elapsed: number): number {
  const toNextMinute = (1 - elapsed) * 60;
  const fading = previous > 0 ? (excess / previous) * 60 : Infinity;
  return Math.max(1, Math.ceil(Math.min(toNextMinute, fading)));
}
