/**
 * Dagster storage in Postgres (dagster-postgres 0.29): the tables the Dagster instance created
 * (`event_logs`, `runs`, `run_tags`, `asset_keys`, `asset_event_tags`, `asset_check_executions`), written the way `PostgresEventLogStorage.store_event`
 * and `SqlRunStorage.handle_run_event` write them, including `NOTIFY run_events, '<run_id>_<id>'`.
 */
import { Pool } from 'pg';
import { BanditError, ErrorCode } from '../../common/errors';
import type { RunEvent } from '../events';
import { pyJson } from '../serdes';
import type { DagsterInstanceStorage, StoredRun } from './instance-storage';
import { assetEventTags, checkExecutionValues, FAILURE_REASON_TAG, isAssetEvent, lastMaterialization, materializationRef, materializationSql, readLastMaterialization, type LatestMaterialization, type MaterializationRef, openSteps, readRunBody, runStatusChange, STEP_EVENTS_SQL } from './run-body';

const CHANNEL = 'run_events';
const utc = (param: string) => `(to_timestamp(${param}) AT TIME ZONE 'UTC')`;

export class PostgresInstanceStorage implements DagsterInstanceStorage {
  private constructor(
    private readonly pool: Pool,
    readonly description: string,
  ) {}

  static async open(connectionString: string): Promise<PostgresInstanceStorage> {
    const pool = new Pool({ connectionString, max: 2 });
    try {
      await pool.query('SELECT 1 FROM event_logs LIMIT 0');
    } catch (err) {
      await pool.end();
      throw new BanditError(ErrorCode.Unavailable, `cannot use the Dagster Postgres storage: ${(err as Error).message}`, undefined, { cause: err });
    }
    const u = new URL(connectionString);
    return new PostgresInstanceStorage(pool, `postgres ${u.hostname}:${u.port || 5432}${u.pathname}`);
  }

  async getRun(runId: string): Promise<StoredRun | null> {
    const r = await this.pool.query<{ run_body: string; status: string }>('SELECT run_body, status FROM runs WHERE run_id = $1', [runId]);
    if (r.rowCount === 0) return null;
    return { body: readRunBody(r.rows[0].run_body), status: r.rows[0].status };
  }

  async storeEvent(event: RunEvent): Promise<number | null> {
    const json = pyJson(event.entry);
    const inserted = await this.pool.query<{ run_id: string; id: string }>(
      `INSERT INTO event_logs (run_id, event, dagster_event_type, timestamp, step_key, asset_key, partition)
       VALUES ($1, $2, $3, ${utc('$4')}, $5, $6, $7) RETURNING run_id, id`,
      [event.runId, json, event.type, event.timestamp, event.stepKey, event.assetKey, event.partition ?? null],
    );
    const id = Number(inserted.rows[0].id);
    await this.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, `${event.runId}_${id}`]);
    for (const tag of assetEventTags(event)) {
      await this.pool.query(`INSERT INTO asset_event_tags (event_id, asset_key, key, value, event_timestamp) VALUES ($1, $2, $3, $4, ${utc('$5')})`, [
        id,
        event.assetKey,
        tag.key,
        tag.value,
        event.timestamp,
      ]);
    }
    if (isAssetEvent(event)) {
      await this.pool.query(
        `INSERT INTO asset_keys (asset_key, last_materialization, last_run_id, last_materialization_timestamp)
         VALUES ($1, $2, $3, ${utc('$4')})
         ON CONFLICT (asset_key) DO UPDATE SET last_materialization = EXCLUDED.last_materialization,
           last_run_id = EXCLUDED.last_run_id, last_materialization_timestamp = EXCLUDED.last_materialization_timestamp`,
        [event.assetKey, lastMaterialization(event, id), event.runId, event.timestamp],
      );
    }
    const check = checkExecutionValues(event, id);
    if (check) {
      const values = [check.status, check.evaluationEvent, event.timestamp, check.storageId, check.materializationStorageId, check.partition, check.assetKey, check.checkName, event.runId];
      const updated = await this.pool.query(
        `UPDATE asset_check_executions SET execution_status = $1, evaluation_event = $2, evaluation_event_timestamp = ${utc('$3')},
           evaluation_event_storage_id = $4, materialization_event_storage_id = $5, partition = $6
         WHERE asset_key = $7 AND check_name = $8 AND run_id = $9 AND partition IS NOT DISTINCT FROM $6`,
        values,
      );
      if (updated.rowCount === 0) {
        await this.pool.query(
          `INSERT INTO asset_check_executions (execution_status, evaluation_event, evaluation_event_timestamp, evaluation_event_storage_id,
             materialization_event_storage_id, partition, asset_key, check_name, run_id)
           VALUES ($1, $2, ${utc('$3')}, $4, $5, $6, $7, $8, $9)`,
          values,
        );
      }
    }
    await this.applyRunStatus(event);
    return isAssetEvent(event) || check ? id : null;
  }

  private async applyRunStatus(event: RunEvent): Promise<void> {
    const row = await this.pool.query<{ run_body: string }>('SELECT run_body FROM runs WHERE run_id = $1', [event.runId]);
    if (row.rowCount === 0) return;
    const change = runStatusChange(event, row.rows[0].run_body);
    if (!change) return;
    if (change.failureReason !== null) {
      const updated = await this.pool.query('UPDATE run_tags SET value = $3 WHERE run_id = $1 AND key = $2', [event.runId, FAILURE_REASON_TAG, change.failureReason]);
      if (updated.rowCount === 0) {
        await this.pool.query('INSERT INTO run_tags (run_id, key, value) VALUES ($1, $2, $3)', [event.runId, FAILURE_REASON_TAG, change.failureReason]);
      }
    }
    await this.pool.query(
      `UPDATE runs SET run_body = $2, status = $3, update_timestamp = ${utc('$4')},
         start_time = COALESCE($5, start_time), end_time = COALESCE($6, end_time) WHERE run_id = $1`,
      [event.runId, change.runBody, change.status, event.timestamp, change.startTime, change.endTime],
    );
  }

  async latestMaterialization(assetKey: string): Promise<LatestMaterialization | null> {
    const r = await this.pool.query<{ last_materialization: string | null }>('SELECT last_materialization FROM asset_keys WHERE asset_key = $1', [assetKey]);
    return readLastMaterialization(r.rows[0]?.last_materialization);
  }

  async materializationOf(assetKey: string, partition: string | null): Promise<MaterializationRef | null> {
    const r = await this.pool.query<{ id: string; run_id: string; event: string }>(materializationSql(partition, (n) => `$${n}`), partition === null ? [assetKey] : [assetKey, partition]);
    return materializationRef(r.rows[0]);
  }

  async stepsInProgress(runId: string): Promise<string[]> {
    const r = await this.pool.query<{ step_key: string | null; dagster_event_type: string }>(STEP_EVENTS_SQL, [runId]);
    return openSteps(r.rows);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
