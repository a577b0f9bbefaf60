import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evaluateSchedule, evaluateSensor, SCHEDULE, SENSOR } from './automation';
import type { SerdesObject } from './serdes';

const sensorArgs = (cursor: string | null): SerdesObject => ({ __class__: 'SensorExecutionArgs', sensor_name: SENSOR.name, cursor });
const requests = (r: SerdesObject) => r.run_requests as SerdesObject[];

describe('sensor on the OBD logs', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-obd-sensor-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };

  it('requests ingest_obp once per new state of the logs, and skips while nothing changes', () => {
    const empty = evaluateSensor(sensorArgs(null), { scheduleCron: '* * * * *', obdPath: dir });
    expect(requests(empty)).toEqual([]);
    expect(empty.skip_message).toContain('no <behavior>/<campaign>/*.csv logs');
    write('random/men/men.csv', 'a\n');
    write('random/men/item_context.csv', 'x\n');
    const first = evaluateSensor(sensorArgs(null), { scheduleCron: '* * * * *', obdPath: dir });
    expect(requests(first)).toHaveLength(1);
    expect((requests(first)[0].asset_selection as SerdesObject[]).map((k) => (k.path as string[])[0])).toEqual(['ingest_obp']);
    expect(requests(first)[0].run_key).toBe(String(first.cursor).slice(0, 32));
    const again = evaluateSensor(sensorArgs(first.cursor as string), { scheduleCron: '* * * * *', obdPath: dir });
    expect(requests(again)).toEqual([]);
    expect(again.skip_message).toContain('2 files unchanged');
    expect(again.cursor).toBe(first.cursor);
    write('bts/women/women.csv', 'b\n');
    const next = evaluateSensor(sensorArgs(first.cursor as string), { scheduleCron: '* * * * *', obdPath: dir });
    expect(requests(next)).toHaveLength(1);
    expect(next.cursor).not.toBe(first.cursor);
  });

  it('skips, saying why, when the folder is missing or not configured; an unknown sensor is an error result', () => {
    expect(evaluateSensor(sensorArgs('c'), { scheduleCron: '* * * * *', obdPath: path.join(dir, 'missing') })).toMatchObject({ run_requests: [], cursor: 'c', skip_message: expect.stringContaining('does not exist') });
    expect(evaluateSensor(sensorArgs('c'), { scheduleCron: '* * * * *' }).skip_message).toContain('BANDIT_OBD_PATH');
    expect(evaluateSensor({ ...sensorArgs(null), sensor_name: 'x' }, { scheduleCron: '' }).__class__).toBe('ExternalSensorExecutionErrorData');
  });

  it('the schedule asks for ope + conclude tagged with its name', () => {
    const r = evaluateSchedule({ __class__: 'ExternalScheduleExecutionArgs', schedule_name: SCHEDULE.name });
    expect(requests(r)[0].tags).toEqual({ 'dagster/schedule_name': 'daily_ope_conclude' });
  });
});
