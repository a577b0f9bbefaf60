import { ErrorCode } from '../../common/errors';
import type { SerdesObject } from '../serdes';
import { storageTargetFromInstanceRef } from './instance-storage';

const data = (cls: string, yaml: string, module = 'dagster_postgres'): SerdesObject => ({ __class__: 'ConfigurableClassData', class_name: cls, config_yaml: yaml, module_name: module });
const ref = (event: SerdesObject, run: SerdesObject): SerdesObject => ({ __class__: 'InstanceRef', event_storage_data: event, run_storage_data: run });
const env = (vars: Record<string, string>) => (n: string) => vars[n];

describe('storage named by an InstanceRef', () => {
  it('reads dagster-postgres postgres_url, also from {env: NAME}', () => {
    const yaml = 'postgres_url:\n  env: DAGSTER_PG_URL\n';
    expect(storageTargetFromInstanceRef(ref(data('PostgresEventLogStorage', yaml), data('PostgresRunStorage', yaml)), env({ DAGSTER_PG_URL: 'postgresql+psycopg2://u:p@db:5432/dagster' }))).toEqual({
      kind: 'postgres',
      connectionString: 'postgresql://u:p@db:5432/dagster',
    });
  });

  it('builds the URL from postgres_db, quoting credentials', () => {
    const yaml = "postgres_db:\n  username: dag ster\n  password:\n    env: PGPASS\n  hostname: db.local\n  db_name: dagster\n  port: 5433\n  params:\n    sslmode: require\n";
    const t = storageTargetFromInstanceRef(ref(data('PostgresEventLogStorage', yaml), data('PostgresRunStorage', yaml)), env({ PGPASS: 'p@ss/word' }));
    expect(t).toEqual({ kind: 'postgres', connectionString: 'postgresql://dag%20ster:p%40ss%2Fword@db.local:5433/dagster?sslmode=require' });
  });

  it('reads the default SQLite storage folders', () => {
    const t = storageTargetFromInstanceRef(
      ref(data('SqliteEventLogStorage', 'base_dir: /home/d/history/runs/\n', 'dagster.core.storage.event_log'), data('SqliteRunStorage', 'base_dir: /home/d/history/\n', 'dagster.core.storage.runs')),
      env({}),
    );
    expect(t).toEqual({ kind: 'sqlite', runsDb: '/home/d/history/runs.db', eventsDir: '/home/d/history/runs/' });
  });

  it('names a missing environment variable and an unsupported storage', () => {
    const yaml = 'postgres_url:\n  env: NOT_SET\n';
    expect(() => storageTargetFromInstanceRef(ref(data('PostgresEventLogStorage', yaml), data('PostgresRunStorage', yaml)), env({}))).toThrow('environment variable NOT_SET is not set');
    try {
      storageTargetFromInstanceRef(ref(data('MySQLEventLogStorage', '{}', 'dagster_mysql'), data('MySQLRunStorage', '{}', 'dagster_mysql')), env({}));
      throw new Error('expected a rejection');
    } catch (err) {
      expect((err as { code: ErrorCode }).code).toBe(ErrorCode.Unavailable);
      expect((err as Error).message).toContain('dagster_mysql.MySQLEventLogStorage');
    }
    expect(() => storageTargetFromInstanceRef({ __class__: 'PipelineRun' }, env({}))).toThrow('expected InstanceRef');
  });
});
