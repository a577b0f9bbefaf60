/**
 * The Dragonfly posterior store on a real three-node Redis Cluster (started here on
 * loopback, joined with `redis-cli --cluster create`): the hash-tagged keys keep each
 * experiment's scripts on one node, and 10,000 concurrent rewards over many experiments
 * (spread across the nodes' slots) give exact α / β totals and exactly one queued event each.
 */
import { execFileSync } from 'node:child_process';
import { Cluster } from 'ioredis';
import { loadConfig } from '../../../src/config/config';
import { RedisPuidIndex } from '../../../src/seldon/puid-index';
import { DragonflyPosteriorStore } from '../../../src/posterior-store/dragonfly.store';
import { connectRedisClient } from '../../../src/posterior-store/redis-client';
import { newDecisionId } from '../../../src/posterior-store/decision-id';
import { keys } from '../../../src/posterior-store/keys';
import type { QueuedEvent } from '../../../src/event-queue/event-queue';
import { priorCounters } from '../../../src/posterior-store/posterior-store';
import { describeIf, hasProgram } from '../../support/env';
import { startRedisCluster, type RedisClusterHandle } from '../../support/processes';

jest.setTimeout(180_000);

const RUNNING = { status: 'running' as const, winner: null };
const EXPERIMENTS = 12;
const ARMS = 3;
const REWARDS = 10_000;

describe('Redis Cluster configuration', () => {
  it('BANDIT_REDIS_CLUSTER=true turns one address into a cluster seed', () => {
    const c = loadConfig({ BANDIT_REDIS_URL: 'redis://127.0.0.1:7000', BANDIT_REDIS_CLUSTER: 'true' });
    expect(c.redis?.cluster).toEqual([{ host: '127.0.0.1', port: 7000 }]);
    expect(() => loadConfig({ BANDIT_REDIS_URL: 'redis://127.0.0.1:7000/3', BANDIT_REDIS_CLUSTER: 'true' })).toThrow(/only database 0/);
    expect(() => loadConfig({ BANDIT_REDIS_URL: 'redis+cluster://127.0.0.1' })).toThrow(/host:port/);
    const pw = loadConfig({ BANDIT_REDIS_URL: 'redis+cluster://:s3cret%40x@10.0.0.1:7000,10.0.0.2:7001' });
    expect(pw.redis).toMatchObject({ password: 's3cret@x', cluster: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }] });
  });
});

describeIf(() => hasProgram('redis-server') && hasProgram('redis-cli'))('posterior store on a Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let store: DragonflyPosteriorStore;

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    const config = loadConfig({ BANDIT_REDIS_URL: cluster.url });
    expect(config.redis?.cluster).toHaveLength(3);
    const client = connectRedisClient(config.redis!);
    expect(client).toBeInstanceOf(Cluster);
    store = new DragonflyPosteriorStore(client);
  });

  afterAll(async () => {
    await store?.close();
    await cluster?.stop();
  });

  it('10,000 concurrent rewards over experiments on every node: exact α, β and one event each', async () => {
    const ids = Array.from({ length: EXPERIMENTS }, (_, i) => `cluster-exp-${i}`);
    const prior = priorCounters(Array.from({ length: ARMS }, () => ({ alpha: 1, beta: 1 })));
    for (const id of ids) expect(await store.writeState(id, prior, RUNNING, 'overwrite')).toBe(true);
    // the experiments live on more than one node, each wholly on one
    const owners = new Set<number>();
    for (const id of ids) {
      const holding = cluster.ports.filter((port) => execFileSync('redis-cli', ['-p', String(port), 'exists', keys.state(id), keys.alpha(id, 0), keys.events(id)], { encoding: 'utf8' }).trim() === '3');
      expect(holding).toHaveLength(1);
      owners.add(holding[0]);
    }
    expect(owners.size).toBeGreaterThan(1);

    // serve 10,000 decisions, then reward each one concurrently, plus a retry of every tenth
    const decisions = await Promise.all(
      Array.from({ length: REWARDS }, async (_, i) => {
        const id = ids[i % EXPERIMENTS];
        const arm = i % ARMS;
        const { decisionId, token } = newDecisionId(id, arm);
        const out = await store.recordSelection({ experimentId: id, decisionId, token, arm, propensity: 1 / ARMS, sticky: false, ttlSeconds: 600, at: 1_700_000_000_000 + i });
        expect(out.kind).toBe('recorded');
        return { id, arm, decisionId, token, reward: i % 3 === 0 ? 1 : i % 3 === 1 ? 0 : 0.5 };
      }),
    );
    const rewardOnce = (d: (typeof decisions)[number]) => store.recordReward({ experimentId: d.id, decisionId: d.decisionId, token: d.token, arm: d.arm, reward: d.reward, at: 1_700_000_100_000 });
    const outcomes = await Promise.all([...decisions.map(rewardOnce), ...decisions.filter((_, i) => i % 10 === 0).map(rewardOnce)]);
    expect(outcomes.filter((o) => o.kind === 'counted')).toHaveLength(REWARDS);
    expect(outcomes.filter((o) => o.kind === 'duplicate')).toHaveLength(REWARDS / 10);

    for (const id of ids) {
      const mine = decisions.filter((d) => d.id === id);
      const c = await store.readCounters(id, ARMS);
      for (let k = 0; k < ARMS; k++) {
        const arm = mine.filter((d) => d.arm === k);
        const sum = arm.reduce((s, d) => s + d.reward, 0);
        expect(c?.alpha[k]).toBe(1 + sum);
        expect(c?.beta[k]).toBe(1 + arm.length - sum);
        expect(c?.assignments[k]).toBe(arm.length);
      }
    }

    // every select and every counted reward is queued exactly once
    const seen: QueuedEvent[] = [];
    for (let round = 0; round < 100; round++) {
      const batch = await store.queue.read(ids, 5000);
      if (batch.length === 0) break;
      seen.push(...batch);
      await store.queue.ack(batch);
    }
    expect(seen.filter((e) => e.type === 'select')).toHaveLength(REWARDS);
    expect(seen.filter((e) => e.type === 'reward')).toHaveLength(REWARDS);
    expect(new Set(seen.map((e) => `${e.decisionId}/${e.type}`)).size).toBe(2 * REWARDS);
  });

  it("Seldon's puid index binds and finds decisions on the cluster (lazily connected client)", async () => {
    const config = loadConfig({ BANDIT_REDIS_URL: cluster.url });
    const unused = new RedisPuidIndex(connectRedisClient(config.redis!, { lazyConnect: true }));
    await unused.close();
    const index = new RedisPuidIndex(connectRedisClient(config.redis!, { lazyConnect: true }));
    try {
      for (let i = 0; i < EXPERIMENTS; i++) {
        const id = `cluster-exp-${i}`;
        const first = { decisionId: `${id}.1.${'A'.repeat(22)}`, arm: 'b', armIndex: 1, propensity: 0.5 };
        expect(await index.bind(id, `puid-${i}`, first, 60)).toEqual(first);
        // a second bind of the same puid keeps the first decision
        expect(await index.bind(id, `puid-${i}`, { ...first, arm: 'c', armIndex: 2 }, 60)).toEqual(first);
        expect(await index.lookup(id, `puid-${i}`)).toEqual(first);
      }
    } finally {
      await index.close();
    }
  });

  it('the α / β keys keep their fixed names on the node owning the experiment', async () => {
    const reader = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
    try {
      expect(await reader.get('experiment:{cluster-exp-0}:arm:0:alpha')).not.toBeNull();
      expect(await reader.get('experiment:{cluster-exp-0}:arm:2:beta')).not.toBeNull();
    } finally {
      reader.disconnect();
    }
  });
});
