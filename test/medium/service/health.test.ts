/**
 * Health of an experiment on the machine's Redis and Postgres: the sample-ratio-mismatch
 * check passes on honest traffic and fails when the stored assignments disagree with the
 * logged propensities (here: select events that no policy draw produced, written straight
 * into the event store); a failed check holds back the automatic winner until an admin
 * acknowledges it. Conversion delay and the open share are reported.
 */
import { Client } from 'pg';
import { describeIf } from '../../support/env';
import { hasPostgres, hasRedis } from '../../support/services';
import { call, startService, waitFor, type ServiceUnderTest } from './harness';

jest.setTimeout(180_000);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const common = (require('../../../src/dashboard/static/common.js') as { BanditCommon: { normalize(v: unknown): { health: unknown; pendingTotal: number } } }).BanditCommon;

const TOKEN = 'health-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

interface Health {
  srm: { p_value: number | null; ok: boolean; acknowledged: boolean; observed: number[] };
  open_share: number;
  conversion_delay: { median_seconds: number; conversions: number } | null;
}
interface View {
  status: string;
  health: Health;
  winner: { name: string } | null;
}

describeIf(() => hasRedis() && hasPostgres())('experiment health on Redis + Postgres', () => {
  let s: ServiceUnderTest;
  beforeAll(async () => {
    s = await startService({ store: 'redis', events: 'postgres', env: { BANDIT_ADMIN_TOKEN: TOKEN, BANDIT_AUTO_CONCLUDE_INTERVAL_MS: '0' } });
  });
  afterAll(async () => s?.close());

  const play = async (id: string, n: number) => {
    for (let i = 0; i < n; i++) {
      const sel = await call<{ decision_id: string; arm: string }>(s.url, 'POST', '/select', { experiment_id: id });
      expect(sel.status).toBe(200);
      await call(s.url, 'POST', '/reward', { decision_id: sel.body.decision_id, reward: sel.body.arm === 'b' ? 1 : 0 });
    }
  };
  const stored = async (id: string) => {
    const c = new Client({ connectionString: s.database?.url });
    await c.connect();
    try {
      return Number((await c.query("SELECT count(*) AS n FROM bandit_events WHERE experiment_id = $1 AND event_type = 'select'", [id])).rows[0].n);
    } finally {
      await c.end();
    }
  };

  it('honest traffic passes the SRM check; conversion delay and open share are reported', async () => {
    expect((await call(s.url, 'POST', '/experiments', { id: 'h-ok', arms: ['control', 'b'], stopping: { minSamplesPerArm: 1e6 } }, auth)).status).toBe(201);
    await play('h-ok', 120);
    await waitFor('the events in Postgres', async () => (await stored('h-ok')) >= 120);
    const v = (await call<View>(s.url, 'GET', '/experiments/h-ok')).body;
    expect(v.health.srm.ok).toBe(true);
    expect(v.health.srm.p_value).toBeGreaterThan(0.001);
    expect(v.health.srm.observed.reduce((a, b) => a + b, 0)).toBe(120);
    expect(v.health.open_share).toBe(0);
    expect(v.health.conversion_delay?.conversions).toBeGreaterThan(0);
    expect(v.health.conversion_delay?.median_seconds).toBeGreaterThanOrEqual(0);
  });

  it('a failed SRM check holds back the automatic winner until acknowledged', async () => {
    expect((await call(s.url, 'POST', '/experiments', { id: 'h-srm', arms: ['control', 'b'], floors: { control: 0.3 }, stopping: { minSamplesPerArm: 10, expectedLoss: 0.02 } }, auth)).status).toBe(201);
    // 300 assignments to the control that the policy gave a propensity of 0.01 each
    const c = new Client({ connectionString: s.database?.url });
    await c.connect();
    try {
      for (let i = 0; i < 300; i++) {
        await c.query(
          "INSERT INTO bandit_events (experiment_id, decision_id, event_type, arm_index, propensity, reward, unit_id, created_at) VALUES ('h-srm', $1, 'select', 0, 0.01, NULL, NULL, now())",
          [`h-srm.0.fake${String(i).padStart(18, '0')}`],
        );
      }
    } finally {
      await c.end();
    }
    await play('h-srm', 100);
    let v = (await call<View>(s.url, 'GET', '/experiments/h-srm')).body;
    expect(v.health.srm.ok).toBe(false);
    expect(v.status).toBe('running');
    // the dashboard's view model (common.js, run under Node) carries the failed check
    expect(common.normalize(v).health).toMatchObject({ srmOk: false, srmAcknowledged: false });
    // the stopping rule itself says winner: only the SRM check holds it back
    expect((v as unknown as { evaluation: { status: string; reasons: string[] } }).evaluation).toMatchObject({ status: 'winner' });
    // the same rule with the check acknowledged concludes at the next reward
    const ack = await call<View>(s.url, 'POST', '/experiments/h-srm/srm/acknowledge', { by: 'ana', reason: 'test traffic' }, auth);
    expect(ack.status).toBe(200);
    expect(ack.body.health.srm.acknowledged).toBe(true);
    await play('h-srm', 5);
    await waitFor('the automatic winner', async () => (await call<View>(s.url, 'GET', '/experiments/h-srm')).body.status === 'concluded', 10_000);
    v = (await call<View>(s.url, 'GET', '/experiments/h-srm')).body;
    expect(v.winner?.name).toBe('b');
  });
});
