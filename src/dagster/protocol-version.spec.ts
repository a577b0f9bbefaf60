import { golden } from '../../test/support/dagster-golden';
import { DAGSTER_LINES, dagsterLine, HOST_REQUEST_FIELDS, NEWEST_LINE, protocolMismatch, ProtocolWatch, SUPPORTED_LINES } from './protocol-version';
import type { SerdesObject } from './serdes';

const sensorArgs = (): SerdesObject => golden('1.13').fixture('sensor_execution_args');

describe('supported Dagster lines', () => {
  it('are 1.12 and 1.13, the newest answered by default', () => {
    expect(SUPPORTED_LINES).toEqual(['1.12', '1.13']);
    expect(NEWEST_LINE).toBe('1.13');
    expect(DAGSTER_LINES['1.12']).toEqual({ version: '1.12.22', libraries: '0.28.22', peer: 'dagster-1.12' });
  });

  it.each([
    ['1.12', '1.12'],
    ['1.12.22', '1.12'],
    ['1.12.x', '1.12'],
    [' 1.13.27 ', '1.13'],
    ['1.13.0', '1.13'],
  ])('reads %j as line %s', (v, line) => {
    expect(dagsterLine(v)).toBe(line);
  });

  it.each(['1.11', '1.14.0', '2.0', '1', 'latest', ''])('refuses %j, naming the supported lines', (v) => {
    expect(() => dagsterLine(v)).toThrow(`unsupported Dagster version ${JSON.stringify(v)}: this code server speaks Dagster 1.12.x, 1.13.x (set BANDIT_DAGSTER_VERSION to the webserver's line)`);
  });
});

describe('the version guard', () => {
  it.each([
    ['a fake 1.14 (a field added)', { ...sensorArgs(), tick_budget: 5 }, 'SensorExecutionArgs with fields Dagster 1.12 does not have: tick_budget.'],
    ['a fake 1.11 (a field missing)', (({ last_sensor_start_time: _gone, ...rest }) => rest)(sensorArgs()), 'SensorExecutionArgs with fields Dagster 1.12 always sends missing: last_sensor_start_time.'],
  ])('reports %s as one clear log line, once per class', (_name, payload, detail) => {
    const log: string[] = [];
    const watch = new ProtocolWatch((m) => log.push(m), '1.12');
    watch.check(payload as SerdesObject);
    watch.check(payload as SerdesObject);
    watch.check(sensorArgs());
    expect(log).toEqual([
      `unsupported Dagster version: the webserver / daemon sent ${detail} This code server speaks the protocol of Dagster 1.12.22 (BANDIT_DAGSTER_VERSION=1.12; supported: 1.12.x, 1.13.x); run the webserver and daemon on one of those lines, or requests may be misread.`,
    ]);
  });

  it('stays silent for what either supported line sends (1.12 and 1.13 send the same request fields)', () => {
    const log: string[] = [];
    for (const line of SUPPORTED_LINES) {
      const watch = new ProtocolWatch((m) => log.push(m), line);
      for (const other of SUPPORTED_LINES) {
        const g = golden(other);
        for (const name of g.payloads().filter((n) => n.endsWith('_args'))) watch.check(g.fixture(name));
      }
    }
    expect(log).toEqual([]);
    expect(HOST_REQUEST_FIELDS['1.12']).toEqual(HOST_REQUEST_FIELDS['1.13']);
  });

  it('names the supported line a request comes from when the configured one differs (lines whose fields differ)', () => {
    const fields = { '1.12': { SensorExecutionArgs: ['cursor', 'sensor_name'] }, '1.13': { SensorExecutionArgs: ['cursor', 'sensor_name', 'timeout'] } };
    const payload = { __class__: 'SensorExecutionArgs', cursor: null, sensor_name: 's' };
    expect(protocolMismatch(payload, '1.13', fields)).toEqual({ cls: 'SensorExecutionArgs', added: [], missing: ['timeout'], matches: ['1.12'] });
    const log: string[] = [];
    new ProtocolWatch((m) => log.push(m), '1.13', fields).check(payload);
    expect(log).toEqual([
      'Dagster version mismatch: the webserver / daemon sent SensorExecutionArgs as Dagster 1.12 writes it, not as 1.13 does. This code server speaks the protocol of Dagster 1.13.27 (BANDIT_DAGSTER_VERSION=1.13; supported: 1.12.x, 1.13.x); set BANDIT_DAGSTER_VERSION=1.12, or requests may be misread.',
    ]);
  });
});
