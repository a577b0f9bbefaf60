/**
 * The event store's connection: Postgres when `databaseUrl` is set, else the embedded
 * SQLite file (better-sqlite3, WAL) at `sqlitePath`. Migrations run on open (on Postgres
 * under an advisory lock, so replicas starting together migrate one after the other).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import type { Config } from '../config/config';
import { entitySchemas, type Driver } from './entities';
import { MIGRATIONS } from './migrations';

export function driverOf(config: Pick<Config, 'databaseUrl'>): Driver {
  return config.databaseUrl ? 'postgres' : 'better-sqlite3';
}

export async function openDataSource(config: Pick<Config, 'databaseUrl' | 'sqlitePath'>): Promise<DataSource> {
  const driver = driverOf(config);
  const schemas = entitySchemas(driver);
  const entities = [schemas.experiments, schemas.events, schemas.snapshots, schemas.verdicts, schemas.changes];
  let ds: DataSource;
  if (driver === 'postgres') {
    ds = new DataSource({
      type: 'postgres',
      url: config.databaseUrl,
      entities,
      migrations: MIGRATIONS,
      migrationsTableName: 'bandit_migrations',
      synchronize: false,
      extra: { max: 10, connectionTimeoutMillis: 5000 },
    });
  } else {
    fs.mkdirSync(path.dirname(config.sqlitePath), { recursive: true });
    ds = new DataSource({
      type: 'better-sqlite3',
      database: config.sqlitePath,
      entities,
      migrations: MIGRATIONS,
      migrationsTableName: 'bandit_migrations',
      synchronize: false,
      enableWAL: true,
      prepareDatabase: (db: { pragma(s: string): unknown }) => {
        db.pragma('busy_timeout = 5000');
        db.pragma('synchronous = NORMAL');
      },
    });
  }
  await ds.initialize();
  if (driver === 'postgres') await migrateLocked(ds);
  else await ds.runMigrations({ transaction: 'each' });
  return ds;
}

/** Session advisory lock key ("bandit" in ASCII) held while migrating. */
const MIGRATION_LOCK = 0x62616e646974;

/**
 * Replicas starting together on an empty database take turns: without the lock both see
 * no migration applied and the second fails on "relation already exists".
 */
async function migrateLocked(ds: DataSource): Promise<void> {
  const q = ds.createQueryRunner();
  try {
    await q.connect();
    await q.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await ds.runMigrations({ transaction: 'each' });
    } finally {
      await q.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    }
  } finally {
    await q.release();
  }
}
