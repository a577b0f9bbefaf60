/** The committed configuration table is what src/config/spec.ts generates (npm run gen:config-docs). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BEGIN_MARKER, configTable, END_MARKER, replaceBetweenMarkers } from './docs-table';
import { VARIABLE_LIST } from './spec';

const DOC = path.join(__dirname, '../../docs/configuration.md');

describe('docs/configuration.md', () => {
  it('holds the table generated from src/config/spec.ts (run npm run gen:config-docs when this fails)', () => {
    const doc = fs.readFileSync(DOC, 'utf8');
    expect(doc).toBe(replaceBetweenMarkers(doc, configTable()));
  });

  it('has one row per declared variable', () => {
    const rows = configTable().split('\n').slice(2);
    expect(rows.map((r) => /^\| `([A-Z_]+)` \|/.exec(r)?.[1])).toEqual(VARIABLE_LIST.map((v) => v.name));
  });

  it('the drift check can fail: an edited table is replaced, missing markers are named', () => {
    const stale = `a\n${BEGIN_MARKER}\n| old |\n${END_MARKER}\nb`;
    expect(replaceBetweenMarkers(stale, configTable())).not.toBe(stale);
    expect(() => replaceBetweenMarkers('no markers', '')).toThrow(/markers .* are missing/);
  });
});
