/**
 * The cell-backed counter and histogram expose exactly what prom-client's own Counter and
 * Histogram expose for the same observations (prom-client is the reference).
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { CellCounter, CellHistogram } from './cells';
import { MetricsService } from './metrics.service';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('CellHistogram', () => {
  it('exposes the same text as a prom-client Histogram, bounds included in their bucket', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const h = new CellHistogram({ name: 'h', help: 'x', labelNames: ['method', 'route', 'status'], buckets: BUCKETS, registry: ours });
    const ref = new Histogram({ name: 'h', help: 'x', labelNames: ['method', 'route', 'status'], buckets: BUCKETS, registers: [theirs] });
    const rnd = lcg(3);
    const routes = ['/select', '/reward', 'unmatched'];
    const values = [...BUCKETS, 0, 3, 1e-9, 100];
    for (let i = 0; i < 5000; i++) values.push(rnd() ** 4 * 3);
    values.forEach((v, i) => {
      const route = routes[i % 3];
      const status = i % 7 === 0 ? '404' : '200';
      h.observe('POST', route, status, v);
      ref.observe({ method: 'POST', route, status }, v);
    });
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});

describe('CellCounter', () => {
  it('exposes the same text as a prom-client Counter, also across scrapes', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const c = new CellCounter({ name: 'c', help: 'x', labelNames: ['experiment', 'arm'], registry: ours });
    const ref = new Counter({ name: 'c', help: 'x', labelNames: ['experiment', 'arm'], registers: [theirs] });
    const rnd = lcg(5);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 1000; i++) {
        const experiment = `e${i % 4}`;
        const arm = `a${Math.floor(rnd() * 3)}`;
        const v = rnd() < 0.5 ? 1 : rnd();
        c.inc(experiment, arm, '', v);
        ref.inc({ experiment, arm }, v);
      }
      expect(await ours.metrics()).toBe(await theirs.metrics());
    }
  });
});

describe('MetricsService', () => {
  it('renders selections, rewards, duplicates and request latency', async () => {
    const m = new MetricsService();
    m.selected('cta', 'b', 'http');
    m.selected('cta', 'b', 'http');
    m.rewarded('cta', 'b', 0.5, 'seldon');
    m.rewarded('cta', 'b', 0, 'seldon');
    m.duplicateReward('cta', 'http');
    m.observeRequest('POST', '/select', 200, 0.003);
    const { body } = await m.render();
    expect(body).toContain('bandit_selections_total{experiment="cta",arm="b",source="http"} 2');
    expect(body).toContain('bandit_rewards_total{experiment="cta",arm="b",source="seldon"} 2');
    expect(body).toContain('bandit_reward_value_sum{experiment="cta",arm="b"} 0.5');
    expect(body).toContain('bandit_reward_duplicates_total{experiment="cta",source="http"} 1');
    expect(body).toContain('bandit_http_request_duration_seconds_bucket{le="0.0025",method="POST",route="/select",status="200"} 0');
    expect(body).toContain('bandit_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/select",status="200"} 1');
    expect(body).toContain('bandit_http_request_duration_seconds_count{method="POST",route="/select",status="200"} 1');
  });
});
