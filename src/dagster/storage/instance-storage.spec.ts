import { ErrorCode } from '../../common/errors';
import type { SerdesObject } from '../serdes';
import { computeLogPath, computeLogTargetFromInstanceRef, s3ComputeLogKey } from '../compute-logs';
import { storageTargetFromInstanceRef } from './instance-storage';
import { openSteps } from './run-body';

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

  it('finds the compute-log directory of a LocalComputeLogManager and says why others are not captured', () => {
    const withLogs = (cls: string, yaml: string) => ({ ...ref(data('X', ''), data('Y', '')), compute_logs_data: data(cls, yaml, 'dagster._core.storage') });
    expect(computeLogTargetFromInstanceRef(withLogs('LocalComputeLogManager', 'base_dir: /home/d/storage\n'))).toEqual({ kind: 'local', baseDir: '/home/d/storage' });
    expect(computeLogPath('/home/d/storage', 'r1', 'ope', 'err')).toBe('/home/d/storage/r1/compute_logs/ope.err');
    const aws = (name: string) => ({ AWS_ACCESS_KEY_ID: 'ak', AWS_SECRET_ACCESS_KEY: 'sk', LOG_BUCKET: 'logs' })[name];
    expect(computeLogTargetFromInstanceRef(withLogs('S3ComputeLogManager', 'bucket: b\n'), aws)).toMatchObject({ kind: 's3', bucket: 'b', prefix: 'dagster', region: 'us-east-1', skipEmptyFiles: false, accessKey: 'ak', secretKey: 'sk' });
    expect(
      computeLogTargetFromInstanceRef(withLogs('S3ComputeLogManager', 'bucket: {env: LOG_BUCKET}\nprefix: /runs//logs/\nendpoint_url: http://minio:9000\nlocal_dir: /tmp/x\nupload_interval: 30\nskip_empty_files: true\n'), aws),
    ).toMatchObject({ kind: 's3', bucket: 'logs', prefix: 'runs/logs', endpoint: 'http://minio:9000', localDir: '/tmp/x', uploadInterval: 30, skipEmptyFiles: true });
    expect(s3ComputeLogKey('runs/logs', 'r1', 'ope', 'err')).toBe('runs/logs/storage/r1/compute_logs/ope.err');
    expect(s3ComputeLogKey('dagster', 'r1', 'ope', 'out', true)).toBe('dagster/storage/r1/compute_logs/ope.out.partial');
    expect(() => computeLogTargetFromInstanceRef(withLogs('S3ComputeLogManager', 'bucket: {env: NOPE}\n'), aws)).toThrow('environment variable NOPE is not set');
    expect(computeLogTargetFromInstanceRef(withLogs('AzureBlobComputeLogManager', 'container: c\n'))).toEqual({ kind: 'none', reason: expect.stringContaining('AzureBlobComputeLogManager is not supported') });
    expect(computeLogTargetFromInstanceRef(withLogs('NoOpComputeLogManager', '{}')).kind).toBe('none');
    expect(computeLogTargetFromInstanceRef(ref(data('X', ''), data('Y', ''))).kind).toBe('none');
  });

  it('tells the steps a dead worker left in progress', () => {
    const ev = (step: string | null, t: string) => ({ step_key: step, dagster_event_type: t });
    expect(openSteps([ev('a', 'STEP_START'), ev('a', 'STEP_SUCCESS'), ev('b', 'STEP_START')])).toEqual(['b']);
    expect(openSteps([ev('a', 'STEP_START'), ev('a', 'STEP_FAILURE'), ev(null, 'STEP_START')])).toEqual([]);
  });
});
