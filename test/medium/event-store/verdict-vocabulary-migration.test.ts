/**
 * Upgrading an event store written before the vocabulary change: the `decisions` table
 * becomes `verdicts`, a snapshot's `pulls` becomes `assignments` (with a new, empty
 * `observations`), `decision_record_id` becomes `verdict_id` and snapshot reason `decision`
 * becomes `verdict` — on Postgres and on SQLite, with every stored row kept, and undone by
 * the migration's `down`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../../src/event-store/migrations';
import { describeIf } from '../../support/env';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../../support/services';

const BEFORE = MIGRATIONS.slice(0, -1);
const LAST = MIGRATIONS[MIGRATIONS.length - 1];

async function open(options: DataSourceOptions, migrations: DataSourceOptions['migrations']): Promise<DataSource> {
  const ds = new DataSource({ ...options, migrations, migrationsTableName: 'bandit_migrations', synchronize: false, entities: [] } as DataSourceOptions);
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  return ds;
}

async function upgradeKeepsRows(options: DataSourceOptions, param: (i: number) => string): Promise<void> {
  const old = await open(options, BEFORE);
  const at = '2026-03-01T10:00:00.000Z';
  try {
    await old.query(
      `INSERT INTO decisions (experiment_id, status, trigger, winner_index, leader_index, prob_best, expected_loss, reasons, thresholds, total_samples, created_at)
       VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(param).join(', ')})`,
      ['e1', 'winner', 'auto', 1, 1, '[0.01,0.99]', '[0.02,0]', '["r"]', '{}', 400, at],
    );
    const [{ id }] = (await old.query("SELECT id FROM decisions WHERE experiment_id = 'e1'")) as Array<{ id: number }>;
    for (const [k, reason, rec] of [
      [0, 'decision', id],
      [1, 'decision', id],
      [0, 'periodic', null],
    ] as const) {
      await old.query(
        `INSERT INTO posterior_snapshots (experiment_id, arm_index, arm_name, alpha, beta, pulls, rewards, mean, ci_low, ci_high, prob_best, expected_loss, reason, decision_record_id, created_at)
         VALUES (${Array.from({ length: 15 }, (_, i) => param(i + 1)).join(', ')})`,
        ['e1', k, `a${k}`, 3, 5, 210 + k, 2, 0.375, 0.1, 0.7, 0.5, 0.01, reason, rec, at],
      );
    }
  } finally {
    await old.destroy();
  }

  const ds = await open(options, MIGRATIONS);
  try {
    const verdicts = (await ds.query("SELECT id, status, trigger, total_samples FROM verdicts WHERE experiment_id = 'e1'")) as Array<Record<string, unknown>>;
    expect(verdicts.map((v) => [Number(v.id), v.status, v.trigger, Number(v.total_samples)])).toEqual([[Number((verdicts[0] as { id: number }).id), 'winner', 'auto', 400]]);
    const snaps = (await ds.query("SELECT arm_index, assignments, observations, reason, verdict_id FROM posterior_snapshots WHERE experiment_id = 'e1' ORDER BY id")) as Array<Record<string, unknown>>;
    const vid = Number(verdicts[0].id);
    expect(snaps.map((s) => [Number(s.arm_index), Number(s.assignments), s.observations, s.reason, s.verdict_id === null ? null : Number(s.verdict_id)])).toEqual([
      [0, 210, null, 'verdict', vid],
      [1, 211, null, 'verdict', vid],
      [0, 210, null, 'periodic', null],
    ]);
    await expect(ds.query('SELECT 1 FROM decisions')).rejects.toThrow();
    // and back down
    await ds.undoLastMigration({ transaction: 'each' });
    const back = (await ds.query("SELECT pulls, reason, decision_record_id FROM posterior_snapshots WHERE experiment_id = 'e1' ORDER BY id")) as Array<Record<string, unknown>>;
    expect(back.map((s) => [Number(s.pulls), s.reason, s.decision_record_id === null ? null : Number(s.decision_record_id)])).toEqual([
      [210, 'decision', vid],
      [211, 'decision', vid],
      [210, 'periodic', null],
    ]);
    expect(((await ds.query("SELECT count(*) AS n FROM decisions WHERE experiment_id = 'e1'")) as Array<{ n: number | string }>)[0].n).toBeTruthy();
  } finally {
    await ds.destroy();
  }
}

describe(`${LAST.name}: the event store's vocabulary upgrade`, () => {
  it('on SQLite keeps every row under its new name, and undoes cleanly', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-migrate-'));
    try {
      await upgradeKeepsRows({ type: 'better-sqlite3', database: path.join(dir, 'events.sqlite') }, () => '?');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describeIf(() => hasPostgres())('on Postgres', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase('bandit_migrate');
    });
    afterAll(async () => {
      await db?.drop();
    });
    it('keeps every row under its new name, and undoes cleanly', async () => {
      await upgradeKeepsRows({ type: 'postgres', url: db.url }, (i) => `$${i}`);
    });
  });
});
