/**
 * The golden fixtures of the Dagster code location (scripts/reference/dagster_golden.py): the
 * shared inputs in test/fixtures/dagster/, and per supported Dagster line what that line's
 * Python Dagster answered and wrote, in test/fixtures/dagster/<line>/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SUPPORTED_LINES, type DagsterLine } from '../../src/dagster/protocol-version';
import { parsePyJson, type SerdesObject } from '../../src/dagster/serdes';

export const DAGSTER_FIXTURES = path.join(__dirname, '..', 'fixtures', 'dagster');

/** Lines with a fixture folder: every supported one (a test checks none is missing). */
export const GOLDEN_LINES: readonly DagsterLine[] = SUPPORTED_LINES;

export interface Golden {
  line: DagsterLine;
  dir: string;
  /** A recorded serdes payload, `<name>.serdes.txt`, parsed. */
  fixture(name: string): SerdesObject;
  /** A recorded JSON file, `<name>.json`. */
  json<T>(name: string): T;
  /** Names of the recorded serdes payloads. */
  payloads(): string[];
}

export function golden(line: DagsterLine): Golden {
  const dir = path.join(DAGSTER_FIXTURES, line);
  return {
    line,
    dir,
    fixture: (name) => parsePyJson(fs.readFileSync(path.join(dir, `${name}.serdes.txt`), 'utf8')) as SerdesObject,
    json: <T>(name: string) => JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8')) as T,
    payloads: () => fs.readdirSync(dir).filter((f) => f.endsWith('.serdes.txt')).map((f) => f.slice(0, -'.serdes.txt'.length)),
  };
}

/** A shared (line-independent) fixture: asset-graph.json, automation.json, serdes-cases.json. */
export function sharedJson<T>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(DAGSTER_FIXTURES, `${name}.json`), 'utf8')) as T;
}
