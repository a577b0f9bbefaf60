import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig } from './config';
import { variableLines } from './docs-table';
import { DEFAULT_SCHEDULE_CRON } from '../dagster/automation';
import { VARIABLE_LIST, VARIABLES } from './spec';
import { readPackageVersion, VERSION } from './version';

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

describe('the declared variables (src/config/spec.ts)', () => {
  /** The names loadConfig looks up in `env`. */
  const namesRead = (env: Record<string, string>): Set<string> => {
    const seen = new Set<string>();
    loadConfig(new Proxy(env, { get: (t, k: string) => (seen.add(k), t[k]) }), '/srv');
    return seen;
  };

  it('are exactly the variables loadConfig reads', () => {
    const read = new Set<string>();
    const envs: Array<Record<string, string>> = [
      {},
      { DRAGONFLY_HOST: 'h', DRAGONFLY_PASSWORD: 'pw' },
      { MINIO_ENDPOINT: 'm:9000', MINIO_ACCESS_KEY: 'a', MINIO_SECRET_KEY: 'b' },
      { PREDICTIVE_UNIT_HTTP_SERVICE_PORT: '9000', PREDICTIVE_UNIT_METRICS_SERVICE_PORT: '6000' },
    ];
    for (const env of envs) {
      for (const n of namesRead(env)) read.add(n);
    }
    expect([...read].sort()).toEqual(VARIABLE_LIST.map((v) => v.name).sort());
  });

  it('reach bandit config --variables with defaults, deployables and secrecy', () => {
    const lines = variableLines().map((l) => l.split('\t'));
    expect(lines.map((l) => l[0])).toEqual(VARIABLE_LIST.map((v) => v.name));
    const byName = new Map(lines.map((l) => [l[0], l.slice(1)]));
    expect(byName.get('MINIO_REGION')).toEqual(['us-east-1', 'service,pipeline,cli', '-', 'region of the object store']);
    expect(byName.get('DRAGONFLY_PASSWORD')?.slice(0, 3)).toEqual(['(unset: no password)', 'service,pipeline,cli', 'secret']);
    expect(byName.get('BANDIT_HOST')?.slice(0, 3)).toEqual(['0.0.0.0', 'service', '-']);
  });

  it("default the Dagster schedule to the code location's own default", () => {
    expect(VARIABLES.BANDIT_DAGSTER_SCHEDULE_CRON.default).toBe(DEFAULT_SCHEDULE_CRON);
  });

  it('select the Dagster line the code location answers: the newest by default, an unsupported one refused by name', () => {
    expect(loadConfig({}).dagsterLine).toBe('1.13');
    expect(loadConfig({ BANDIT_DAGSTER_VERSION: '1.12' }).dagsterLine).toBe('1.12');
    expect(loadConfig({ BANDIT_DAGSTER_VERSION: '1.12.22' }).dagsterLine).toBe('1.12');
    expect(() => loadConfig({ BANDIT_DAGSTER_VERSION: '1.14' })).toThrow(/BANDIT_DAGSTER_VERSION: .*unsupported Dagster version "1\.14": this code server speaks Dagster 1\.12\.x, 1\.13\.x/);
  });

  it('apply their defaults and parsed values', () => {
    expect(loadConfig({}).minio).toBeUndefined();
    expect(loadConfig({}).host).toBe(VARIABLES.BANDIT_HOST.default);
    expect(loadConfig({ BANDIT_HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
    expect(loadConfig({ MINIO_ENDPOINT: 'm:9000', MINIO_ACCESS_KEY: 'a', MINIO_SECRET_KEY: 'b', MINIO_REGION: 'eu-north-1' }).minio?.region).toBe('eu-north-1');
    expect(loadConfig({ DRAGONFLY_HOST: 'h', DRAGONFLY_PASSWORD: 'p w' }).redis).toMatchObject({ password: 'p w', url: 'redis://:p%20w@h:6379/0' });
    expect(loadConfig({ BANDIT_DAGSTER_SCHEDULE_CRON: '*/5 * * * *' }).dagsterScheduleCron).toBe('*/5 * * * *');
    expect(loadConfig({ BANDIT_MLFLOW_USER: 'ci' }).mlflowUser).toBe('ci');
  });

  it('redact every secret in an error', () => {
    expect(() => loadConfig({ BANDIT_DATABASE_URL: 'mysql://u:hunter2@x' })).toThrow(/BANDIT_DATABASE_URL: .*<redacted>/);
    expect(() => loadConfig({ BANDIT_DATABASE_URL: 'mysql://u:hunter2@x' })).not.toThrow(/hunter2/);
  });

  it('are read nowhere else: no file of src/ outside src/config reads process.env', () => {
    const src = path.join(__dirname, '..');
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
          if (p !== __dirname) walk(p);
        } else if (/\.(ts|js)$/.test(e.name) && !e.name.endsWith('.spec.ts') && /process\.env\b/.test(fs.readFileSync(p, 'utf8'))) {
          offenders.push(path.relative(src, p));
        }
      }
    };
    walk(src);
    expect(offenders).toEqual([]);
  });
});

describe('VERSION', () => {
  it("is package.json's version", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('names a package.json without a version', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-version-'));
    fs.writeFileSync(path.join(dir, 'package.json'), '{"name": "x"}');
    expect(() => readPackageVersion(dir)).toThrow(/has no version/);
  });
});
