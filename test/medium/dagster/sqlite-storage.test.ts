/**
 * Dagster's SQLite storage as `dagster dev` leaves it: shards in WAL mode, watched by the
 * webserver through the shard's .db file. Every stored event must modify that file at once,
 * or the UI sees the run's events only when the run ends.
 */
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { events } from '../../../src/dagster/events';
import { SqliteInstanceStorage } from '../../../src/dagster/storage/sqlite-instance.storage';

const EVENT_LOGS = `CREATE TABLE event_logs (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id VARCHAR(255), event TEXT NOT NULL,
  dagster_event_type TEXT, timestamp DATETIME, step_key TEXT, asset_key TEXT, partition TEXT)`;

describe('SQLite instance storage (WAL shards)', () => {
  let dir: string;
  const runId = 'r-live';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-dagster-sqlite-'));
    fs.mkdirSync(path.join(dir, 'runs'));
    const runs = new Database(path.join(dir, 'runs.db'));
    runs.exec('CREATE TABLE runs (run_id TEXT, run_body TEXT, status TEXT, update_timestamp DATETIME, start_time REAL, end_time REAL); CREATE TABLE run_tags (run_id TEXT, key TEXT, value TEXT)');
    runs.close();
    for (const shard of [runId, 'index']) {
      const db = new Database(path.join(dir, 'runs', `${shard}.db`));
      db.pragma('journal_mode = WAL');
      db.exec(EVENT_LOGS);
      db.close();
    }
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('modifies the run shard file with every event (what the webserver watches)', async () => {
    const storage = await SqliteInstanceStorage.open(path.join(dir, 'runs.db'), path.join(dir, 'runs'));
    const shardFile = path.join(dir, 'runs', `${runId}.db`);
    const run = { runId, jobName: '__ASSET_JOB', pid: 1 };
    try {
      // first event opens the shard; from then on the connection stays open, as in a run
      await storage.storeEvent(events.log(run, 1, 20, 'first', 'ope'));
      for (let i = 0; i < 3; i++) {
        const changed = new Promise<boolean>((resolve) => {
          const done = (v: boolean) => {
            clearTimeout(t);
            w.close();
            resolve(v);
          };
          const w = fs.watch(shardFile, () => done(true));
          const t = setTimeout(() => done(false), 2000);
        });
        await storage.storeEvent(events.log(run, 2 + i, 20, `line ${i}`, 'ope'));
        expect(await changed).toBe(true);
      }
      // and a reader of the .db file alone sees them
      const reader = new Database(shardFile, { readonly: true });
      expect((reader.prepare('SELECT count(*) AS n FROM event_logs').get() as { n: number }).n).toBe(4);
      reader.close();
    } finally {
      await storage.close();
    }
  });
});
