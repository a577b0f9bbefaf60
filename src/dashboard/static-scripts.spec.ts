/**
 * The browser scripts' numeric parts, run under Node: the committed bundle of the server's
 * own density and tick code is what its TypeScript generates; the Beta density against scipy
 * (test/fixtures/dashboard/beta-pdf.json from scripts/reference/dashboard_beta_pdf.py),
 * the density grid's coverage of each posterior's mass, and the number formats read back.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { BETA_PARAM_MAX } from '../core/limits';
import { betaLogPdf, betaPdf } from '../core/beta';
import { logGamma } from '../core/special';
import { niceTicks } from '../core/ticks';
import { dashboardMath, OUTPUT } from '../../scripts/gen-dashboard-math';

interface BanditMathApi {
  logGamma(x: number): number;
  logPdf(x: number, a: number, b: number): number;
  pdf(x: number, a: number, b: number): number;
  massRange(a: number, b: number, k?: number, lo?: number, hi?: number): [number, number];
  densityGrid(a: number, b: number, from: number, to: number, n?: number): Array<[number, number]>;
  niceTicks(lo: number, hi: number, count?: number): number[];
}
interface FormatApi {
  rate(x: number): string;
  prob(x: number): string;
  interval(lo: number, hi: number): string;
  count(n: number): string;
  parse(text: string): number;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const B = require('./static/bandit-math.js') as BanditMathApi;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const F = require('./static/format.js') as FormatApi;

interface Fixture {
  logGamma: Array<{ x: number; value: number }>;
  logPdf: Array<{ alpha: number; beta: number; x: number; logPdf: number }>;
  interval95: Array<{ alpha: number; beta: number; low: number; high: number }>;
}
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '../../test/fixtures/dashboard/beta-pdf.json'), 'utf8')) as Fixture;

describe('bandit-math.js', () => {
  it('is what scripts/gen-dashboard-math.ts bundles from the TypeScript (npm run gen:dashboard-math when this fails)', () => {
    expect(fs.readFileSync(OUTPUT, 'utf8')).toBe(dashboardMath());
  });

  it("computes what the server's functions compute", () => {
    for (const x of [0.1, 1, 7.5, 1e6]) expect(B.logGamma(x)).toBe(logGamma(x));
    for (const [x, a, b] of [[0.3, 2, 5], [1e-3, 12, 9988], [0.5, 0.5, 0.5]]) {
      expect(B.logPdf(x, a, b)).toBe(betaLogPdf(x, a, b));
      expect(B.pdf(x, a, b)).toBe(betaPdf(x, a, b));
    }
    expect(B.niceTicks(0.031, 0.068, 4)).toEqual(niceTicks(0.031, 0.068, 4));
  });

  it('is loaded before charts.js by every page that draws charts', () => {
    for (const page of fs.readdirSync(path.join(__dirname, 'static')).filter((f) => f.endsWith('.html'))) {
      const html = fs.readFileSync(path.join(__dirname, 'static', page), 'utf8');
      const scripts = [...html.matchAll(/<script src="[^"]*\/([^"/]+)"/g)].map((m) => m[1]);
      if (!scripts.includes('charts.js')) continue;
      expect({ page, order: scripts.indexOf('bandit-math.js') >= 0 && scripts.indexOf('bandit-math.js') < scripts.indexOf('charts.js') }).toEqual({ page, order: true });
    }
  });
});

describe('bandit-math.js against scipy', () => {
  it('logGamma matches scipy.special.gammaln to 1e-13 relative', () => {
    for (const { x, value } of fixture.logGamma) {
      expect(Math.abs(B.logGamma(x) - value)).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(value)));
    }
  });

  it('logPdf matches scipy.stats.beta.logpdf, from Beta(1, 1) to click-rate posteriors with alpha + beta ~ 3e9', () => {
    expect(fixture.logPdf.length).toBeGreaterThan(40);
    // above BETA_PARAM_MAX (the range where the numerics are verified) the page refuses α, β as the server's core does
    const inRange = fixture.logPdf.filter((c) => c.alpha <= BETA_PARAM_MAX && c.beta <= BETA_PARAM_MAX);
    expect(inRange.length).toBeGreaterThan(40);
    for (const c of fixture.logPdf.filter((c) => !inRange.includes(c))) expect(() => B.logPdf(c.x, c.alpha, c.beta)).toThrow(/must be at most/);
    for (const c of inRange) {
      // ln B(a, b) is a difference of log-gammas of size (a + b) ln(a + b); double precision
      // leaves about 1e-16 of that as absolute error
      const scale = Math.max(1, (c.alpha + c.beta) * Math.log(c.alpha + c.beta));
      expect(Math.abs(B.logPdf(c.x, c.alpha, c.beta) - c.logPdf)).toBeLessThanOrEqual(1e-13 * scale + 1e-9);
    }
  });

  it('the mass range holds the 95% interval, and the grid over it integrates to 1', () => {
    for (const c of fixture.interval95.filter((c) => c.alpha <= BETA_PARAM_MAX && c.beta <= BETA_PARAM_MAX)) {
      const [from, to] = B.massRange(c.alpha, c.beta, 7);
      expect(from).toBeLessThanOrEqual(c.low);
      expect(to).toBeGreaterThanOrEqual(c.high);
      if (c.alpha < 1 || c.beta < 1) continue; // infinite density at an edge: trapezoids do not apply
      const pts = B.densityGrid(c.alpha, c.beta, from, to, 400);
      let mass = 0;
      for (let i = 1; i < pts.length; i++) mass += ((pts[i][1] + pts[i - 1][1]) / 2) * (pts[i][0] - pts[i - 1][0]);
      expect(mass).toBeGreaterThan(0.998);
      expect(mass).toBeLessThan(1.002);
    }
  });

  it('the grid includes the mode, so a narrow peak is drawn at its height', () => {
    const a = 51;
    const b = 14950;
    const [from, to] = B.massRange(a, b);
    const pts = B.densityGrid(a, b, from, to, 50);
    const mode = (a - 1) / (a + b - 2);
    const peak = Math.max(...pts.map((p) => p[1]));
    expect(peak).toBeCloseTo(B.pdf(mode, a, b), 9);
  });

  it('rejects shapes that are not positive', () => {
    expect(() => B.logPdf(0.5, 0, 1)).toThrow(/alpha/);
    expect(() => B.densityGrid(-1, 2, 0, 1)).toThrow(/alpha/);
    expect(() => B.massRange(1, Number.NaN)).toThrow(/beta/);
  });
});

describe('format.js', () => {
  it('a shown rate reads back within half of its last digit', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 1, noNaN: true }), (x) => {
        const text = F.rate(x);
        const decimals = (/\.(\d+)%$/.exec(text)?.[1] ?? '').length;
        expect(Math.abs(F.parse(text) - x)).toBeLessThanOrEqual(0.5 * 10 ** -decimals / 100 + 1e-15);
        // three significant digits, so small click rates keep their precision
        expect(Math.abs(F.parse(text) - x) / x).toBeLessThan(0.0051);
      }),
    );
  });

  it('probabilities show two decimals of a percent', () => {
    expect(F.prob(0.97312)).toBe('97.31%');
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (x) => {
        expect(Math.abs(F.parse(F.prob(x)) - x)).toBeLessThanOrEqual(0.00005 + 1e-15);
      }),
    );
  });

  it('counts carry thousands separators and read back exactly', () => {
    expect(F.count(1234567)).toBe('1,234,567');
    expect(F.parse(F.count(1234567))).toBe(1234567);
    expect(F.count(999)).toBe('999');
  });

  it('an interval writes each end with three significant digits', () => {
    expect(F.interval(0.000562, 0.078705)).toBe('0.0562% – 7.87%');
  });
});
