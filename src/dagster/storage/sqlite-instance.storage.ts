/**
 * Dagster's default SQLite storage (a `dagster dev`-style instance under $DAGSTER_HOME):
 * runs in `history/runs.db`, each run's events in its own shard `history/runs/<run_id>.db`,
 * asset events and run status events mirrored into the index shard `history/runs/index.db`
 * — as `SqliteEventLogStorage.store_event` and `SqlRunStorage.handle_run_event` write them.
 */
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BanditError, ErrorCode } from '../../common/errors';
import type { RunEvent } from '../events';
import { pyJson } from '../serdes';
import type { DagsterInstanceStorage, StoredRun } from './instance-storage';
import { assetEventTags, checkExecutionValues, FAILURE_REASON_TAG, isAssetEvent, lastMaterialization, materializationRef, materializationSql, readLastMaterialization, type LatestMaterialization, type MaterializationRef, openSteps, readRunBody, runStatusChange, STEP_EVENTS_SQL, sqliteDateTime } from './run-body';

const INSERT_EVENT = `INSERT INTO event_logs (run_id, event, dagster_event_type, timestamp, step_key, asset_key, partition)
  VALUES (?, ?, ?, ?, ?, ?, ?)`;

function openDb(file: string): Database.Database {
  if (!fs.existsSync(file)) throw new BanditError(ErrorCode.Unavailable, `Dagster SQLite storage file ${file} does not exist (has the instance created it?)`);
  const db = new Database(file, { fileMustExist: true });
  db.pragma('busy_timeout = 10000');
  return db;
}

export class SqliteInstanceStorage implements DagsterInstanceStorage {
  private readonly shards = new Map<string, Database.Database>();

  private constructor(
    private readonly runs: Database.Database,
    private readonly eventsDir: string,
    readonly description: string,
  ) {}

  static async open(runsDb: string, eventsDir: string): Promise<SqliteInstanceStorage> {
    return new SqliteInstanceStorage(openDb(runsDb), eventsDir, `sqlite ${path.dirname(runsDb)}`);
  }

  private shard(name: string): Database.Database {
    let db = this.shards.get(name);
    if (!db) {
      db = openDb(path.join(this.eventsDir, `${name}.db`));
      this.shards.set(name, db);
    }
    return db;
  }

  async getRun(runId: string): Promise<StoredRun | null> {
    const row = this.runs.prepare('SELECT run_body, status FROM runs WHERE run_id = ?').get(runId) as { run_body: string; status: string } | undefined;
    return row ? { body: readRunBody(row.run_body), status: row.status } : null;
  }

  async storeEvent(event: RunEvent): Promise<number | null> {
    const values = [event.runId, pyJson(event.entry), event.type, sqliteDateTime(event.timestamp), event.stepKey, event.assetKey, event.partition ?? null];
    const shard = this.shard(event.runId);
    shard.prepare(INSERT_EVENT).run(...values);
    // Dagster's shards are in WAL mode, and the webserver learns of new events by watching the
    // shard's .db file (watchdog): copy the WAL into it now, so each event reaches the UI live
    // (Python Dagster gets the same effect by closing its connection after every write).
    shard.pragma('wal_checkpoint(PASSIVE)');
    const change = await this.statusChange(event);
    let storageId: number | null = null;
    if (isAssetEvent(event) || event.check || change) {
      const index = this.shard('index');
      const tx = index.transaction(() => {
        const id = Number(index.prepare(INSERT_EVENT).run(...values).lastInsertRowid);
        if (isAssetEvent(event) || event.check) storageId = id;
        const check = checkExecutionValues(event, id);
        if (check) {
          const v = [check.status, check.evaluationEvent, sqliteDateTime(event.timestamp), check.storageId, check.materializationStorageId, check.partition];
          const where = [check.assetKey, check.checkName, event.runId, check.partition];
          const updated = index
            .prepare(
              `UPDATE asset_check_executions SET execution_status = ?, evaluation_event = ?, evaluation_event_timestamp = ?, evaluation_event_storage_id = ?,
                 materialization_event_storage_id = ?, partition = ? WHERE asset_key = ? AND check_name = ? AND run_id = ? AND partition IS ?`,
            )
            .run(...v, ...where);
          if (updated.changes === 0) {
            index
              .prepare(
                `INSERT INTO asset_check_executions (execution_status, evaluation_event, evaluation_event_timestamp, evaluation_event_storage_id,
                   materialization_event_storage_id, partition, asset_key, check_name, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
              )
              .run(...v, ...where.slice(0, 3));
          }
        }
        for (const tag of assetEventTags(event)) {
          index.prepare('INSERT INTO asset_event_tags (event_id, asset_key, key, value, event_timestamp) VALUES (?, ?, ?, ?, ?)').run(id, event.assetKey, tag.key, tag.value, sqliteDateTime(event.timestamp));
        }
        if (isAssetEvent(event)) {
          const v = [lastMaterialization(event, id), event.runId, sqliteDateTime(event.timestamp)];
          const updated = index
            .prepare('UPDATE asset_keys SET last_materialization = ?, last_run_id = ?, last_materialization_timestamp = ? WHERE asset_key = ?')
            .run(...v, event.assetKey);
          if (updated.changes === 0) {
            index.prepare('INSERT INTO asset_keys (last_materialization, last_run_id, last_materialization_timestamp, asset_key) VALUES (?, ?, ?, ?)').run(...v, event.assetKey);
          }
        }
      });
      tx();
      index.pragma('wal_checkpoint(PASSIVE)');
    }
    if (change) {
      const tx = this.runs.transaction(() => {
        if (change.failureReason !== null) {
          const u = this.runs.prepare('UPDATE run_tags SET value = ? WHERE run_id = ? AND key = ?').run(change.failureReason, event.runId, FAILURE_REASON_TAG);
          if (u.changes === 0) this.runs.prepare('INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)').run(event.runId, FAILURE_REASON_TAG, change.failureReason);
        }
        this.runs
          .prepare('UPDATE runs SET run_body = ?, status = ?, update_timestamp = ?, start_time = COALESCE(?, start_time), end_time = COALESCE(?, end_time) WHERE run_id = ?')
          .run(change.runBody, change.status, sqliteDateTime(event.timestamp), change.startTime, change.endTime, event.runId);
      });
      tx();
      this.runs.pragma('wal_checkpoint(PASSIVE)');
    }
    return storageId;
  }

  private async statusChange(event: RunEvent) {
    const row = this.runs.prepare('SELECT run_body FROM runs WHERE run_id = ?').get(event.runId) as { run_body: string } | undefined;
    return row ? runStatusChange(event, row.run_body) : null;
  }

  async latestMaterialization(assetKey: string): Promise<LatestMaterialization | null> {
    const row = this.shard('index').prepare('SELECT last_materialization FROM asset_keys WHERE asset_key = ?').get(assetKey) as { last_materialization: string | null } | undefined;
    return readLastMaterialization(row?.last_materialization);
  }

  async materializationOf(assetKey: string, partition: string | null): Promise<MaterializationRef | null> {
    const args = partition === null ? [assetKey] : [assetKey, partition];
    return materializationRef(this.shard('index').prepare(materializationSql(partition, () => '?')).get(...args) as { id: number; run_id: string; event: string } | undefined);
  }

  async stepsInProgress(runId: string): Promise<string[]> {
    const rows = this.shard(runId).prepare(STEP_EVENTS_SQL.replace('$1', '?')).all(runId) as Array<{ step_key: string | null; dagster_event_type: string }>;
    return openSteps(rows);
  }

  async close(): Promise<void> {
    for (const db of this.shards.values()) db.close();
    this.shards.clear();
    this.runs.close();
  }
}
