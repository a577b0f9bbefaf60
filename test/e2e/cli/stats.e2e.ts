/**
 * `bandit stats` end to end: the built CLI against the scipy/mpmath reference fixtures
 * (scripts/reference/core_reference.py), tolerance 1e-6, and every bad-input case.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pbest from '../../fixtures/core/probability-of-best.json';
import betaRef from '../../fixtures/core/beta-distribution.json';
import { BANDIT_BIN, describeIf, hasBuiltCli } from '../../support/env';

const TOL = 1e-6;

function bandit(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BANDIT_BIN, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface StatsJson {
  arms: { name: string; mean: number; ci95: [number, number]; probBest: number; expectedLoss: number; observations: number; pulls: number }[];
  verdict: { status: string; winner: string | null; leader: string; reasons: string[] };
  decision: StatsJson['verdict'];
}

describeIf(() => hasBuiltCli())('bandit stats --json agrees with the references', () => {
  const cases = pbest.cases.filter((c) => ['K2 small counts', 'K2 OBD scale', 'K3 clear winner', 'K10 random counts', 'K10 mixed', 'K100 near tie'].includes(c.name));
  it.each(cases.map((c) => [c.name, c] as const))('%s: P(best) and expected loss within 1e-6', (_n, c) => {
    const doc = { arms: c.arms.map((a, k) => ({ name: `arm-${k}`, ...a })) };
    const r = bandit(['stats', '--json'], JSON.stringify(doc));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as StatsJson;
    expect(out.arms.map((a) => a.name)).toEqual(doc.arms.map((a) => a.name));
    out.arms.forEach((a, k) => {
      expect(Math.abs(a.probBest - c.probBest[k])).toBeLessThan(TOL);
      expect(Math.abs(a.expectedLoss - c.expectedLoss[k])).toBeLessThan(TOL);
      expect(Math.abs(a.mean - c.arms[k].alpha / (c.arms[k].alpha + c.arms[k].beta))).toBeLessThan(1e-15);
      const ref = betaRef.intervals.find((i) => i.a === c.arms[k].alpha && i.b === c.arms[k].beta && i.level === 0.95);
      if (ref) {
        expect(Math.abs(a.ci95[0] - ref.lo)).toBeLessThan(TOL * ref.lo);
        expect(Math.abs(a.ci95[1] - ref.hi)).toBeLessThan(TOL * ref.hi);
      }
    });
    expect(['winner', 'continue', 'no_winner']).toContain(out.verdict.status);
    expect(out.verdict.reasons.length).toBeGreaterThan(0);
  });
  it('checks the interval against the reference for the small-count arms', () => {
    expect(betaRef.intervals.some((i) => i.a === 12 && i.b === 988)).toBe(true);
  });

  it('reads a file, applies the stopping config and declares the winner', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-stats-'));
    const file = path.join(dir, 'arms.json');
    const arms = [
      { name: 'control', alpha: 101, beta: 1901, observations: 2000 },
      { name: 'variant', alpha: 161, beta: 1841, observations: 2000 },
    ];
    fs.writeFileSync(file, JSON.stringify({ arms, stopping: { probBest: 0.99, expectedLoss: 0.002, minSamplesPerArm: 500 } }));
    const r = bandit(['stats', '--json', file]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as StatsJson;
    expect(out.verdict.status).toBe('winner');
    expect(out.verdict.winner).toBe('variant');
    expect(out.verdict.reasons.join('\n')).toMatch(/>= 0\.9900/);
    // min samples not met → continue
    fs.writeFileSync(file, JSON.stringify({ arms, stopping: { minSamplesPerArm: 5000 } }));
    const c = JSON.parse(bandit(['stats', '--json', file]).stdout) as StatsJson;
    expect(c.verdict.status).toBe('continue');
    expect(c.verdict.winner).toBeNull();
    // the table form names the arms and the verdict
    const t = bandit(['stats', file]);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/^arm\s+observations\s+mean\s+95% interval\s+P\(best\)\s+expected loss/m);
    expect(t.stdout).toMatch(/^variant\s+2000\s/m);
    expect(t.stdout).toMatch(/verdict: continue \(leader: variant\)/);
    fs.rmSync(dir, { recursive: true });
  });

  it('counts alpha + beta - 2 observations when they are not given', () => {
    const r = bandit(['stats', '--json'], JSON.stringify({ arms: [{ name: 'a', alpha: 12, beta: 988 }, { name: 'b', alpha: 20, beta: 980 }] }));
    expect((JSON.parse(r.stdout) as StatsJson).arms.map((a) => a.observations)).toEqual([998, 998]);
  });

  it('still reads and writes the earlier names: pulls for observations, decision for verdict', () => {
    const arms = [
      { name: 'control', alpha: 101, beta: 1901, pulls: 300 },
      { name: 'variant', alpha: 161, beta: 1841, pulls: 400 },
    ];
    const r = bandit(['stats', '--json'], JSON.stringify({ arms, stopping: { minSamplesPerArm: 350 } }));
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as StatsJson;
    expect(out.arms.map((a) => [a.observations, a.pulls])).toEqual([
      [300, 300],
      [400, 400],
    ]);
    expect(out.verdict.status).toBe('continue');
    expect(out.verdict.reasons[0]).toMatch(/control has 300/);
    expect(out.decision).toEqual(out.verdict);
    const both = bandit(['stats', '--json'], JSON.stringify({ arms: [{ ...arms[0], observations: 3 }, arms[1]] }));
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/arms\[0\] has both "observations" and "pulls"/);
  });
});

describeIf(() => hasBuiltCli())('bandit stats at the edges of the validated range (src/core/limits.ts)', () => {
  it('two identical arms at alpha = beta = 1e9: P(best) 0.5 each, not 1', () => {
    const r = bandit(['stats', '--json'], JSON.stringify({ arms: [{ name: 'a', alpha: 1e9, beta: 1e9 }, { name: 'b', alpha: 1e9, beta: 1e9 }] }));
    expect(r.code).toBe(0);
    (JSON.parse(r.stdout) as StatsJson).arms.forEach((a) => expect(Math.abs(a.probBest - 0.5)).toBeLessThan(1e-9));
  });
  it('100 arms are accepted, P(best) sums to 1', () => {
    const r = bandit(['stats', '--json'], JSON.stringify({ arms: Array.from({ length: 100 }, (_, k) => ({ name: `a${k}`, alpha: 1 + k, beta: 200 })) }));
    expect(r.code).toBe(0);
    const arms = (JSON.parse(r.stdout) as StatsJson).arms;
    expect(arms).toHaveLength(100);
    expect(Math.abs(arms.reduce((s, a) => s + a.probBest, 0) - 1)).toBeLessThan(1e-9);
  });
});

describeIf(() => hasBuiltCli())('bandit stats rejects bad input with one line and exit code 2', () => {
  const bad: [string, string, RegExp][] = [
    ['not JSON', '{"arms": [', /stdin is not valid JSON/],
    ['not an object', '[1, 2]', /expected a JSON object with an "arms" array/],
    ['missing arms', '{"stopping": {}}', /missing field "arms"/],
    ['missing alpha', '{"arms":[{"name":"a","beta":3},{"name":"b","alpha":1,"beta":2}]}', /arms\[0\] is missing field "alpha"/],
    ['missing name', '{"arms":[{"alpha":1,"beta":3},{"name":"b","alpha":1,"beta":2}]}', /arms\[0\] is missing field "name"/],
    ['alpha zero', '{"arms":[{"name":"a","alpha":0,"beta":3},{"name":"b","alpha":1,"beta":2}]}', /arms\[0\]\.alpha \(arm "a"\) must be a finite number > 0, got 0/],
    ['beta negative', '{"arms":[{"name":"a","alpha":1,"beta":-3},{"name":"b","alpha":1,"beta":2}]}', /arms\[0\]\.beta \(arm "a"\) must be a finite number > 0, got -3/],
    ['alpha not finite', '{"arms":[{"name":"a","alpha":1e999,"beta":3},{"name":"b","alpha":1,"beta":2}]}', /arms\[0\]\.alpha \(arm "a"\) must be a finite number > 0, got Infinity \(not a finite number\)/],
    ['alpha beyond the verified range', '{"arms":[{"name":"a","alpha":1e18,"beta":1e18},{"name":"b","alpha":1e18,"beta":1e18}]}', /arms\[0\]\.alpha \(arm "a"\) must be at most 1e9 \(the range where the numerics are verified\), got 1000000000000000000/],
    ['alpha 1e300', '{"arms":[{"name":"a","alpha":2,"beta":3},{"name":"b","alpha":1e300,"beta":1e300}]}', /arms\[1\]\.alpha \(arm "b"\) must be at most 1e9/],
    ['too many arms', JSON.stringify({ arms: Array.from({ length: 10_001 }, (_, k) => ({ name: `a${k}`, alpha: 1, beta: 1 })) }), /at most 100 arms are supported \(the range where the numerics are verified\), got 10001/],
    ['alpha a string', '{"arms":[{"name":"a","alpha":"3","beta":3},{"name":"b","alpha":1,"beta":2}]}', /arms\[0\]\.alpha \(arm "a"\) must be a finite number > 0, got "3"/],
    ['one arm', '{"arms":[{"name":"a","alpha":1,"beta":3}]}', /need at least 2 arms, got 1/],
    ['pulls not finite', '{"arms":[{"name":"a","alpha":1,"beta":3,"pulls":1e999},{"name":"b","alpha":1,"beta":2}]}', /arms\[0\]\.pulls \(arm "a"\) must be an integer >= 0, got Infinity \(not a finite number\)/],
    ['duplicate names', '{"arms":[{"name":"a","alpha":1,"beta":3},{"name":"a","alpha":1,"beta":2}]}', /duplicate arm name "a"/],
    ['bad pulls', '{"arms":[{"name":"a","alpha":1,"beta":3,"pulls":-1},{"name":"b","alpha":1,"beta":2}]}', /arms\[0\]\.pulls \(arm "a"\) must be an integer >= 0/],
    ['bad observations', '{"arms":[{"name":"a","alpha":1,"beta":3,"observations":2.5},{"name":"b","alpha":1,"beta":2}]}', /arms\[0\]\.observations \(arm "a"\) must be an integer >= 0, got 2\.5/],
    ['bad stopping', '{"arms":[{"name":"a","alpha":1,"beta":3},{"name":"b","alpha":1,"beta":2}],"stopping":{"probBest":2}}', /stopping\.probBest must be a number in \(0, 1\], got 2/],
    ['unknown stopping field', '{"arms":[{"name":"a","alpha":1,"beta":3},{"name":"b","alpha":1,"beta":2}],"stopping":{"pBest":0.9}}', /unknown field stopping\.pBest/],
  ];
  it.each(bad)('%s', (_n, input, message) => {
    const r = bandit(['stats', '--json'], input);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
  it('a missing file', () => {
    const r = bandit(['stats', '/nonexistent/arms.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^bandit: cannot read \/nonexistent\/arms\.json: ENOENT$/m);
  });
});
