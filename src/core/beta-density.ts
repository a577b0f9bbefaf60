/**
 * Beta densities sampled for drawing: where a posterior's mass lies and its density on a
 * grid there. The dashboard draws these in the browser from the bundle that
 * scripts/gen-dashboard-math.ts builds from this file (src/dashboard/static/bandit-math.js),
 * so the page and the server share one implementation of the density and of ln Γ.
 *
 * - `betaMassRange(a, b, k)`: [mean − k sd, mean + k sd] ∩ [0, 1], widened to a given
 *   interval, so a narrow posterior (a click rate of 1e-3 with a + b in the millions) is
 *   drawn as a curve rather than a spike between two grid points.
 * - `betaDensityGrid(a, b, from, to, n)`: [x, f(x)] on n + 1 evenly spaced points plus
 *   the mode when it falls inside (so the peak is drawn at its true height); an infinite
 *   density at an edge (a < 1 or b < 1) is replaced by the density one step inside. O(n).
 *
 * Both validate a, b like every core function (RangeError naming the parameter).
 *
 * @example
 *   betaMassRange(1, 1);              // [0, 1]
 *   betaDensityGrid(2, 2, 0, 1, 4);   // [[0, 0], [0.25, 1.125], [0.5, 1.5], [0.5, 1.5], [0.75, 1.125], [1, 0]] (0.5: grid point and mode)
 */
import { betaLogPdf, betaMean, betaVariance } from './beta';
import { logBeta } from './special';
import { assertBetaParams } from './validate';

export function betaMassRange(a: number, b: number, k = 7, lo?: number, hi?: number): [number, number] {
  assertBetaParams(a, b);
  const mean = betaMean(a, b);
  const span = k * Math.sqrt(betaVariance(a, b));
  let from = Math.max(0, mean - span);
  let to = Math.min(1, mean + span);
  if (typeof lo === 'number' && Number.isFinite(lo)) from = Math.max(0, Math.min(from, lo));
  if (typeof hi === 'number' && Number.isFinite(hi)) to = Math.min(1, Math.max(to, hi));
  if (!(to > from)) {
    from = Math.max(0, mean - 1e-12);
    to = Math.min(1, mean + 1e-12);
  }
  return [from, to];
}

export function betaDensityGrid(a: number, b: number, from: number, to: number, n = 240): Array<[number, number]> {
  assertBetaParams(a, b);
  const steps = Math.max(2, n);
  const xs: number[] = [];
  for (let i = 0; i <= steps; i++) xs.push(from + ((to - from) * i) / steps);
  if (a > 1 && b > 1) {
    const mode = (a - 1) / (a + b - 2);
    if (mode > from && mode < to) xs.push(mode);
  }
  xs.sort((p, q) => p - q);
  const step = (to - from) / steps;
  const at = (x: number) => Math.exp(betaLogPdf(x, a, b));
  const atEdge = Math.exp(-logBeta(a, b)); // the density at 0 when a = 1 (at 1 when b = 1)
  return xs.map((x): [number, number] => {
    if (x <= 0) return [x, a < 1 ? at(Math.min(step, 0.5)) : a === 1 ? atEdge : 0];
    if (x >= 1) return [x, b < 1 ? at(Math.max(1 - step, 0.5)) : b === 1 ? atEdge : 0];
    return [x, at(x)];
  });
}
