/**
 * The event store's connection: Postgres when `databaseUrl` is set, else the embedded
 * SQLite file (better-sqlite3, WAL) at `sqlitePath`. Migrations run on open.
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
  const entities = [schemas.experiments, schemas.events, schemas.snapshots, schemas.decisions];
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
  await ds.runMigrations({ transaction: 'each' });
  return ds;
}
