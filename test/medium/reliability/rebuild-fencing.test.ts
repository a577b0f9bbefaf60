/**
 * Rebuilds against events still on their way to the event store.
 *
 * - Redis loses its memory while another replica's consumer holds a batch it read before
 *   the loss (not yet stored): the rebuild that follows must end equal to the event log
 *   once that batch lands.
 * - `bandit rebuild` (overwrite) run again and again while rewards arrive: no update that
 *   lands while a rebuild runs is dropped; α + β − prior equals the acknowledged rewards.
 *
 * With events in Postgres (an advisory lock orders rebuilds and consumers) and in SQLite
 * (one writing process: its consumer batches and rebuilds take turns).
 */
import Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { openDataSource } from '../../../src/event-store/data-source';
import { EventConsumer } from '../../../src/event-store/event-consumer';
import { EventRepository } from '../../../src/event-store/event.repository';
import { ExperimentsService } from '../../../src/experiments/experiment.service';
import { openPosteriorStore } from '../../../src/posterior-store/open-store';
import type { EventQueue, QueuedEvent } from '../../../src/event-queue/event-queue';
import type { PosteriorStore } from '../../../src/posterior-store/posterior-store';
import { call, pool, startService, waitFor, type ServiceUnderTest } from '../service/harness';

jest.setTimeout(180_000);

/** An event queue whose reads wait at a gate after reading (a consumer held mid-batch). */
function gated(inner: EventQueue): { queue: EventQueue; held: () => boolean; release: () => void } {
  let held = false;
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const queue = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop !== 'read') return Reflect.get(target, prop, receiver) as unknown;
      return async (ids: readonly string[], max: number): Promise<QueuedEvent[]> => {
        const batch = await target.read(ids, max);
        if (batch.length > 0 && !held) {
          held = true;
          await gate;
        }
        return batch;
      };
    },
  });
  return { queue, held: () => held, release: () => open() };
}

describe.each(['postgres', 'sqlite'] as const)('rebuilds see every event that can still arrive (Redis + %s)', (events) => {
  let s: ServiceUnderTest;
  let redis: Redis;

  beforeAll(async () => {
    // this replica's own consumer only runs when a rebuild asks it to (a slow pass elsewhere is simulated below)
    s = await startService({ store: 'redis', events, env: { BANDIT_LOG_LEVEL: 'silent', BANDIT_EVENT_FLUSH_MS: '600000' } });
    redis = new Redis(s.redis?.url ?? '');
  });

  afterAll(async () => {
    redis?.disconnect();
    await s?.close();
  });

  const experiments = () => s.app.get(ExperimentsService);

  /** `n` select + reward pairs (reward 1 on even i); returns the rewards acknowledged as counted. */
  async function traffic(id: string, n: number, concurrency = 4): Promise<{ ones: number; counted: number }> {
    let ones = 0;
    let counted = 0;
    await pool(n, concurrency, async (i) => {
      const sel = await call<{ decision_id: string }>(s.url, 'POST', '/select', { experiment_id: id });
      expect(sel.status).toBe(200);
      const reward = i % 2 === 0 ? 1 : 0;
      const rew = await call<{ duplicate: boolean }>(s.url, 'POST', '/reward', { decision_id: sel.body.decision_id, reward });
      expect(rew.status).toBe(200);
      if (rew.body.duplicate === false) {
        counted++;
        ones += reward;
      }
    });
    return { ones, counted };
  }

  /** Live counters against what a rebuild from the event log gives (`bandit rebuild --check`). */
  async function liveEqualsEvents(id: string): Promise<void> {
    const check = await experiments().recompute(id);
    const live = await redis.mget(`experiment:{${id}}:arm:0:alpha`, `experiment:{${id}}:arm:0:beta`, `experiment:{${id}}:arm:1:alpha`, `experiment:{${id}}:arm:1:beta`);
    expect(live.map(Number)).toEqual([check.alpha[0], check.beta[0], check.alpha[1], check.beta[1]]);
  }

  it('Redis restarts empty while another consumer holds a batch: live α, β equal the event log once it lands', async () => {
    const id = 'fence-inflight';
    expect((await call(s.url, 'POST', '/experiments', { id, arms: ['a', 'b'], stopping: { minSamplesPerArm: 1_000_000 } })).status).toBe(201);
    await traffic(id, 30);
    // the other replica's consumer reads the 60 queued events and is held before storing them
    let ds: DataSource | undefined;
    let store: PosteriorStore | undefined;
    try {
      ds = await openDataSource(s.config);
      store = openPosteriorStore(s.config);
      const g = gated(store.queue);
      const other = new EventConsumer(g.queue, new EventRepository(ds), async () => [id], 600_000, { warn: () => undefined });
      const pass = other.flush([id]);
      await waitFor('the other consumer holds its batch', async () => g.held());
      // Redis loses its memory (this test's own database index)
      await redis.flushdb();
      // the next request rebuilds from the event log, which lacks the held batch
      const after = await traffic(id, 10);
      expect(after.counted).toBe(10);
      g.release();
      expect(await pass).toBeGreaterThanOrEqual(60);
      await experiments().recompute(id);
      await liveEqualsEvents(id);
    } finally {
      await store?.close();
      await ds?.destroy();
    }
  });

  it('25 overwrite rebuilds under concurrent rewards: α + β − prior equals the acknowledged rewards exactly', async () => {
    const id = 'fence-overwrite';
    expect((await call(s.url, 'POST', '/experiments', { id, arms: ['a', 'b'], prior: { alpha: 2, beta: 3 }, stopping: { minSamplesPerArm: 1_000_000 } })).status).toBe(201);
    let done = false;
    const load = (async () => {
      let counted = 0;
      while (!done) counted += (await traffic(id, 8)).counted;
      return counted;
    })();
    const rebuilds = (async () => {
      for (let i = 0; i < 25; i++) {
        await experiments().rebuild(id, 'overwrite');
        if (i % 3 === 0) await experiments().recompute(id);
      }
    })();
    await rebuilds;
    done = true;
    const counted = await load;
    await experiments().recompute(id);
    const live = (await redis.mget(`experiment:{${id}}:arm:0:alpha`, `experiment:{${id}}:arm:0:beta`, `experiment:{${id}}:arm:1:alpha`, `experiment:{${id}}:arm:1:beta`)).map(Number);
    expect(live[0] + live[1] + live[2] + live[3] - 2 * (2 + 3)).toBe(counted);
    await liveEqualsEvents(id);
  });
});
