import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('defaults to the embedded parts', () => {
    const c = loadConfig({}, '/srv');
    expect(c.port).toBe(8000);
    expect(c.dataDir).toBe('/srv/.bandit');
    expect(c.redis).toBeUndefined();
    expect(c.databaseUrl).toBeUndefined();
    expect(c.sqlitePath).toBe('/srv/.bandit/bandit.sqlite');
    expect(c.minio).toBeUndefined();
    expect(c.decisionTtlSeconds).toBe(604800);
    expect(c.bucket).toBe('bandit');
  });

  it('builds the Dragonfly URL from DRAGONFLY_HOST / PORT / DB', () => {
    const c = loadConfig({ DRAGONFLY_HOST: 'dragonfly.database.svc', DRAGONFLY_PORT: '6380', DRAGONFLY_DB: '3' });
    expect(c.redis).toMatchObject({ url: 'redis://dragonfly.database.svc:6380/3', host: 'dragonfly.database.svc', port: 6380, db: 3 });
  });

  it('prefers BANDIT_REDIS_URL', () => {
    const c = loadConfig({ BANDIT_REDIS_URL: 'redis://:pw@10.0.0.1:7000/2', DRAGONFLY_HOST: 'ignored' });
    expect(c.redis).toMatchObject({ host: '10.0.0.1', port: 7000, db: 2, password: 'pw' });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DRAGONFLY_HOST: 'h', DRAGONFLY_DB: '-1' }, 'DRAGONFLY_DB'],
    [{ DRAGONFLY_PORT: '6379' }, 'DRAGONFLY_PORT'],
    [{ BANDIT_REDIS_URL: 'http://x' }, 'BANDIT_REDIS_URL'],
    [{ BANDIT_DATABASE_URL: 'mysql://x' }, 'BANDIT_DATABASE_URL'],
    [{ MINIO_ENDPOINT: 'localhost:9000' }, 'MINIO_ACCESS_KEY'],
    [{ MLFLOW_TRACKING_URI: 'file:///tmp' }, 'MLFLOW_TRACKING_URI'],
    [{ BANDIT_ADMIN_TOKEN: 'short' }, 'BANDIT_ADMIN_TOKEN'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
  ])('rejects %j naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^invalid configuration: ${variable}:`));
  });

  it('never echoes a secret in the error', () => {
    expect(() => loadConfig({ BANDIT_ADMIN_TOKEN: 'abc' })).not.toThrow(/abc/);
  });

  it('parses the MinIO endpoint', () => {
    const c = loadConfig({ MINIO_ENDPOINT: 'https://minio.storage:9000', MINIO_ACCESS_KEY: 'a', MINIO_SECRET_KEY: 'b' });
    expect(c.minio).toMatchObject({ endPoint: 'minio.storage', port: 9000, useSSL: true, bucket: 'bandit' });
  });
});
