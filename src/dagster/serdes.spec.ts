import * as fs from 'node:fs';
import * as path from 'node:path';
import { golden, GOLDEN_LINES, sharedJson } from '../../test/support/dagster-golden';
import { codePointCompare, parsePyJson, pyFloatRepr, pyJson, PyFloat, snapshotId } from './serdes';

const cases = sharedJson<Array<{ value_json: string; python: string }>>('serdes-cases');

describe('pyJson (Python json.dumps(sort_keys=True))', () => {
  it.each(cases.map((c) => [c.value_json, c.python]))('writes %s as Python does', (valueJson, python) => {
    expect(pyJson(parsePyJson(valueJson))).toBe(python);
  });

  it('formats floats like Python repr', () => {
    expect(pyFloatRepr(1)).toBe('1.0');
    expect(pyFloatRepr(1e-5)).toBe('1e-05');
    expect(pyFloatRepr(0.0001)).toBe('0.0001');
    expect(pyFloatRepr(1e16)).toBe('1e+16');
    expect(pyFloatRepr(9999999999999998)).toBe('9999999999999998.0');
    expect(pyFloatRepr(-0)).toBe('-0.0');
    expect(pyFloatRepr(5e-324)).toBe('5e-324');
    expect(pyJson([NaN, Infinity, -Infinity])).toBe('[NaN, Infinity, -Infinity]');
  });

  it('writes integral floats as floats only when marked, integers of any size exactly', () => {
    expect(pyJson({ a: 2, b: new PyFloat(2), c: 2.5, d: 10n ** 30n })).toBe('{"a": 2, "b": 2.0, "c": 2.5, "d": 1000000000000000000000000000000}');
  });

  it('sorts keys by code point, not UTF-16 unit', () => {
    const astral = '\u{1F600}';
    const highBmp = '\uFFFD';
    expect(codePointCompare(highBmp, astral)).toBeLessThan(0);
    expect(pyJson({ [astral]: 1, [highBmp]: 2 })).toBe('{"\\ufffd": 2, "\\ud83d\\ude00": 1}');
  });

  it.each(GOLDEN_LINES.map((l) => [l]))('reproduces every payload Python Dagster %s wrote, byte for byte', (line) => {
    const g = golden(line);
    const names = g.payloads();
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) {
      const text = fs.readFileSync(path.join(g.dir, `${name}.serdes.txt`), 'utf8');
      expect(pyJson(parsePyJson(text))).toBe(text);
    }
  });

  it.each(GOLDEN_LINES.map((l) => [l]))('computes snapshot ids the way Dagster %s does (SHA-1 of the serialized job)', (line) => {
    const g = golden(line);
    expect(snapshotId(g.fixture('external_job').pipeline_snapshot)).toBe(g.json<{ job_snapshot_id: string }>('golden').job_snapshot_id);
  });

  it.each([
    ['', 'unexpected end of input'],
    ['{"a": 1', "expected ',' or '}'"],
    ['{"a": 1}}', 'trailing characters'],
    ['[1, 2', "expected ',' or ']'"],
    ['"\\x"', 'bad escape'],
    ['{a: 1}', 'expected a key'],
    ['-', 'bad number'],
    ['nul', 'unexpected token'],
  ])('rejects malformed input %j with a message', (text, message) => {
    expect(() => parsePyJson(text)).toThrow(message);
  });

  it('rejects absurd nesting without overflowing the stack', () => {
    expect(() => parsePyJson('['.repeat(100_000))).toThrow('nesting too deep');
  });
});
