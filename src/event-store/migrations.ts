/**
 * Schema of the event store, as migrations (run at startup; `synchronize` is never used).
 * One class per step; each writes the SQL of the driver it runs on.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764300000000 implements MigrationInterface {
  name = 'InitialSchema1764300000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    const id = pg ? 'bigserial PRIMARY KEY' : 'integer PRIMARY KEY AUTOINCREMENT';
    const smallId = pg ? 'serial PRIMARY KEY' : 'integer PRIMARY KEY AUTOINCREMENT';
    const ts = pg ? 'timestamptz' : 'datetime';
    const float = pg ? 'double precision' : 'real';
    await q.query(`CREATE TABLE experiments (
      id varchar(64) PRIMARY KEY,
      definition text NOT NULL,
      status varchar(16) NOT NULL,
      winner_index integer NULL,
      created_at ${ts} NOT NULL,
      updated_at ${ts} NOT NULL)`);
    await q.query(`CREATE TABLE bandit_events (
      id ${id},
      experiment_id varchar(64) NOT NULL,
      decision_id varchar(100) NOT NULL,
      event_type varchar(8) NOT NULL CHECK (event_type IN ('select', 'reward')),
      arm_index integer NOT NULL,
      propensity ${float} NOT NULL,
      reward ${float} NULL,
      unit_id varchar(256) NULL,
      created_at ${ts} NOT NULL)`);
    await q.query('CREATE UNIQUE INDEX bandit_events_decision_type ON bandit_events (decision_id, event_type)');
    await q.query('CREATE INDEX bandit_events_experiment ON bandit_events (experiment_id, event_type, arm_index)');
    await q.query(`CREATE TABLE decisions (
      id ${smallId},
      experiment_id varchar(64) NOT NULL,
      status varchar(16) NOT NULL,
      trigger varchar(16) NOT NULL,
      winner_index integer NULL,
      leader_index integer NOT NULL,
      prob_best text NOT NULL,
      expected_loss text NOT NULL,
      reasons text NOT NULL,
      thresholds text NOT NULL,
      total_samples ${float} NOT NULL,
      created_at ${ts} NOT NULL)`);
    await q.query('CREATE INDEX decisions_experiment ON decisions (experiment_id, id)');
    await q.query(`CREATE TABLE posterior_snapshots (
      id ${id},
      experiment_id varchar(64) NOT NULL,
      arm_index integer NOT NULL,
      arm_name varchar(128) NOT NULL,
      alpha ${float} NOT NULL,
      beta ${float} NOT NULL,
      pulls ${float} NOT NULL,
      rewards ${float} NOT NULL,
      mean ${float} NOT NULL,
      ci_low ${float} NOT NULL,
      ci_high ${float} NOT NULL,
      prob_best ${float} NOT NULL,
      expected_loss ${float} NOT NULL,
      reason varchar(16) NOT NULL,
      decision_record_id integer NULL,
      created_at ${ts} NOT NULL)`);
    await q.query('CREATE INDEX posterior_snapshots_experiment ON posterior_snapshots (experiment_id, created_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['posterior_snapshots', 'decisions', 'bandit_events', 'experiments']) await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}

/**
 * Events the event store refused (a value it cannot hold): kept with the reason instead of
 * blocking the queue. `payload` is the event as JSON (control characters escaped).
 */
export class DeadLetters1764900000000 implements MigrationInterface {
  name = 'DeadLetters1764900000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    await q.query(`CREATE TABLE bandit_dead_letters (
      id ${pg ? 'bigserial PRIMARY KEY' : 'integer PRIMARY KEY AUTOINCREMENT'},
      experiment_id text NOT NULL,
      decision_id text NOT NULL,
      event_type text NOT NULL,
      payload text NOT NULL,
      reason text NOT NULL,
      created_at ${pg ? 'timestamptz' : 'datetime'} NOT NULL)`);
    await q.query('CREATE INDEX bandit_dead_letters_experiment ON bandit_dead_letters (experiment_id, id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS bandit_dead_letters');
  }
}

/**
 * The experiment lifecycle: an archive mark on experiments, and the log of every change
 * made through the admin API (pause, resume, edit, retire, ship, archive, restore).
 */
export class ExperimentLifecycle1764950000000 implements MigrationInterface {
  name = 'ExperimentLifecycle1764950000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    await q.query(`ALTER TABLE experiments ADD COLUMN archived_at ${pg ? 'timestamptz' : 'datetime'} NULL`);
    await q.query(`CREATE TABLE experiment_changes (
      id ${pg ? 'bigserial PRIMARY KEY' : 'integer PRIMARY KEY AUTOINCREMENT'},
      experiment_id varchar(64) NOT NULL,
      kind varchar(16) NOT NULL,
      payload text NOT NULL,
      actor text NULL,
      created_at ${pg ? 'timestamptz' : 'datetime'} NOT NULL)`);
    await q.query('CREATE INDEX experiment_changes_experiment ON experiment_changes (experiment_id, id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS experiment_changes');
    await q.query('ALTER TABLE experiments DROP COLUMN archived_at');
  }
}

/**
 * Holdout decisions: events of type `hselect` / `hreward` (kept out of the posterior and of
 * rebuilds, which count `select` / `reward` only). Postgres replaces the check constraint;
 * SQLite, which cannot alter one, copies the table.
 */
export class HoldoutEvents1764960000000 implements MigrationInterface {
  name = 'HoldoutEvents1764960000000';

  async up(q: QueryRunner): Promise<void> {
    await this.allow(q, ['select', 'reward', 'hselect', 'hreward']);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query("DELETE FROM bandit_events WHERE event_type IN ('hselect', 'hreward')");
    await this.allow(q, ['select', 'reward']);
  }

  private async allow(q: QueryRunner, types: string[]): Promise<void> {
    const check = `CHECK (event_type IN (${types.map((t) => `'${t}'`).join(', ')}))`;
    if (q.connection.options.type === 'postgres') {
      await q.query('ALTER TABLE bandit_events DROP CONSTRAINT IF EXISTS bandit_events_event_type_check');
      await q.query(`ALTER TABLE bandit_events ADD CONSTRAINT bandit_events_event_type_check ${check}`);
      return;
    }
    await q.query(`CREATE TABLE bandit_events_next (
      id integer PRIMARY KEY AUTOINCREMENT,
      experiment_id varchar(64) NOT NULL,
      decision_id varchar(100) NOT NULL,
      event_type varchar(8) NOT NULL ${check},
      arm_index integer NOT NULL,
      propensity real NOT NULL,
      reward real NULL,
      unit_id varchar(256) NULL,
      created_at datetime NOT NULL)`);
    await q.query(
      'INSERT INTO bandit_events_next (id, experiment_id, decision_id, event_type, arm_index, propensity, reward, unit_id, created_at) SELECT id, experiment_id, decision_id, event_type, arm_index, propensity, reward, unit_id, created_at FROM bandit_events',
    );
    await q.query('DROP TABLE bandit_events');
    await q.query('ALTER TABLE bandit_events_next RENAME TO bandit_events');
    await q.query('CREATE UNIQUE INDEX bandit_events_decision_type ON bandit_events (decision_id, event_type)');
    await q.query('CREATE INDEX bandit_events_experiment ON bandit_events (experiment_id, event_type, arm_index)');
  }
}

/**
 * One word per meaning: the stopping rule's recorded outputs are *verdicts* (table
 * `decisions` → `verdicts`, `posterior_snapshots.decision_record_id` → `verdict_id`, snapshot
 * reason `decision` → `verdict`), and a snapshot's served count is *assignments* (`pulls` →
 * `assignments`) beside the *observations* the stopping rule counts (new, nullable: rows
 * written before have none). `bandit_events.decision_id` keeps its name: it is the wire
 * name of an assignment's id.
 */
export class VerdictVocabulary1765000000000 implements MigrationInterface {
  name = 'VerdictVocabulary1765000000000';

  async up(q: QueryRunner): Promise<void> {
    const float = q.connection.options.type === 'postgres' ? 'double precision' : 'real';
    await q.query('ALTER TABLE decisions RENAME TO verdicts');
    await this.reindex(q, 'decisions_experiment', 'verdicts_experiment', 'verdicts');
    await q.query('ALTER TABLE posterior_snapshots RENAME COLUMN decision_record_id TO verdict_id');
    await q.query('ALTER TABLE posterior_snapshots RENAME COLUMN pulls TO assignments');
    await q.query(`ALTER TABLE posterior_snapshots ADD COLUMN observations ${float} NULL`);
    await q.query("UPDATE posterior_snapshots SET reason = 'verdict' WHERE reason = 'decision'");
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query("UPDATE posterior_snapshots SET reason = 'decision' WHERE reason = 'verdict'");
    await q.query('ALTER TABLE posterior_snapshots DROP COLUMN observations');
    await q.query('ALTER TABLE posterior_snapshots RENAME COLUMN assignments TO pulls');
    await q.query('ALTER TABLE posterior_snapshots RENAME COLUMN verdict_id TO decision_record_id');
    await q.query('ALTER TABLE verdicts RENAME TO decisions');
    await this.reindex(q, 'verdicts_experiment', 'decisions_experiment', 'decisions');
  }

  private async reindex(q: QueryRunner, from: string, to: string, table: string): Promise<void> {
    if (q.connection.options.type === 'postgres') {
      await q.query(`ALTER INDEX ${from} RENAME TO ${to}`);
      return;
    }
    await q.query(`DROP INDEX IF EXISTS ${from}`);
    await q.query(`CREATE INDEX ${to} ON ${table} (experiment_id, id)`);
  }
}

export const MIGRATIONS = [InitialSchema1764300000000, DeadLetters1764900000000, ExperimentLifecycle1764950000000, HoldoutEvents1764960000000, VerdictVocabulary1765000000000];
