/**
 * `bandit demo` end to end: the built CLI runs a seeded experiment, prints a winner,
 * writes regret.svg and posteriors.svg under $BANDIT_DATA_DIR/demo (well-formed SVG,
 * one curve per arm), and the same seed gives the same output (`--in-process`: the
 * simulation on the core). The default run, through bandit-service started in the same
 * process, is checked for a winner, the plots, and the same output for the same seed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BANDIT_BIN, describeIf, hasBuiltCli } from '../../support/env';

function demo(dataDir: string, args: string[]) {
  const r = spawnSync(process.execPath, [BANDIT_BIN, 'demo', ...args], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, BANDIT_DATA_DIR: dataDir } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Parses an SVG with Python's XML parser (a real parser, not a regex) and lists its paths' classes and series names. */
function parseSvg(file: string): { root: string; paths: { cls: string; series: string }[] } {
  const script = [
    'import json, sys, xml.etree.ElementTree as ET',
    'root = ET.parse(sys.argv[1]).getroot()',
    'ns = "{http://www.w3.org/2000/svg}"',
    'print(json.dumps({"root": root.tag, "paths": [{"cls": p.get("class", ""), "series": p.get("data-series", "")} for p in root.iter(ns + "path")]}))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`not well-formed XML: ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describeIf(() => hasBuiltCli())('bandit demo', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-demo-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const args = ['--seed', '11', '--arms', 'control,fast,faster', '--ctr', '0.04,0.055,0.07', '--in-process'];
  let first: ReturnType<typeof demo>;

  it('runs to a winner and writes the plots', () => {
    first = demo(dir, args);
    expect(first.stderr).not.toMatch(/Error|at .*\.js/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Winner: faster \(after \d+ visitors\)$/m);
    expect(first.stdout).toMatch(/^arm\s+true CTR\s+served\s+clicks\s+mean\s+95% interval\s+P\(best\)\s+exp\. loss$/m);
    for (const arm of ['control', 'fast', 'faster']) expect(first.stdout).toMatch(new RegExp(`^${arm}\\s+\\d+\\.\\d+%\\s+\\d+\\s+\\d+`, 'm'));
    // progress went to stderr, plain lines (not a TTY)
    expect(first.stderr).toMatch(/^demo: done, \d+ — winner faster$/m);

    const regret = parseSvg(path.join(dir, 'demo', 'regret.svg'));
    expect(regret.root).toBe('{http://www.w3.org/2000/svg}svg');
    expect(regret.paths.filter((p) => p.cls === 'series').map((p) => p.series)).toEqual(['Thompson sampling', 'equal split (A/B test)']);
    const posteriors = parseSvg(path.join(dir, 'demo', 'posteriors.svg'));
    const curves = posteriors.paths.filter((p) => p.cls === 'series');
    expect(curves).toHaveLength(3);
    expect(curves.map((c) => c.series.split(' ')[0])).toEqual(['control', 'fast', 'faster']);
    expect(posteriors.paths).toHaveLength(3);
  });

  it('gives the same output for the same seed', () => {
    const regretBefore = fs.readFileSync(path.join(dir, 'demo', 'regret.svg'), 'utf8');
    const again = demo(dir, args);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(first.stdout);
    expect(fs.readFileSync(path.join(dir, 'demo', 'regret.svg'), 'utf8')).toBe(regretBefore);
    const other = demo(dir, ['--seed', '12', ...args.slice(2)]);
    expect(other.code).toBe(0);
    expect(other.stdout).not.toBe(first.stdout);
  });

  it('prints the report as JSON and reports bad options with exit code 2', () => {
    const j = demo(dir, [...args, '--json', '--quiet']);
    expect(j.code).toBe(0);
    expect(j.stderr).toBe('');
    const report = JSON.parse(j.stdout);
    expect(report.status).toBe('winner');
    expect(report.winner).toBe('faster');
    expect(report.arms).toHaveLength(3);
    expect(report.arms.reduce((s: number, a: { probBest: number }) => s + a.probBest, 0)).toBeCloseTo(1, 9);
    const bad = demo(dir, ['--ctr', '0.1,1.5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--ctr must be click rates in \[0, 1\]/);
    const mismatch = demo(dir, ['--arms', 'a,b,c', '--ctr', '0.1,0.2']);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/--arms has 3 names but --ctr has 2 rates/);
  });

  it('runs through bandit-service by default, declares the winner, writes the plots, and is reproducible', () => {
    const svc = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-demo-svc-'));
    const svc2 = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-demo-svc-'));
    try {
      // a clear best arm: through the service the run must end well within the spawn timeout on a busy machine
      const viaService = ['--seed', '11', '--arms', 'control,fast,faster', '--ctr', '0.03,0.05,0.09', '--quiet'];
      const r = demo(svc, viaService);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Winner: faster \(after \d+ visitors\)$/m);
      expect(parseSvg(path.join(svc, 'demo', 'posteriors.svg')).paths.filter((p) => p.cls === 'series')).toHaveLength(3);
      const again = demo(svc2, viaService);
      expect(again.code).toBe(0);
      expect(again.stdout.split(svc2).join('<dir>')).toBe(r.stdout.split(svc).join('<dir>'));
    } finally {
      fs.rmSync(svc, { recursive: true, force: true });
      fs.rmSync(svc2, { recursive: true, force: true });
    }
  });
});
