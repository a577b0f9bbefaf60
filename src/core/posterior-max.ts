/**
 * The integration engine behind P(best) and expected loss: for independent
 * θ_k ~ Beta(α_k, β_k), k = 1..K, it computes
 *
 *   P(best)_k = P(θ_k = max_j θ_j) = ∫ f_k(x) Π_{j≠k} F_j(x) dx,
 *   E[max_j θ_j] = Σ_k ∫ x f_k(x) Π_{j≠k} F_j(x) dx.
 *
 * Method.
 * 1. Work in the logit coordinate z = ln(x/(1−x)). There the density of θ_k is
 *    g_k(z) ∝ exp(α_k ln x + β_k ln(1−x)), log-concave for every α, β > 0, with mode
 *    ln(α/β), curvature 1/σ² = 1/(1/α + 1/β) and exponential tails — no singularities,
 *    even for α, β < 1, and ln x, ln(1−x) are exact at every z (no rounding near 0 or 1).
 * 2. Per arm, panel breakpoints where ln g_k has dropped by k²/2 (k = 2, 4, 6, 8, 9)
 *    below its mode, found by Newton's method (monotone for concave functions). For a
 *    normal-shaped posterior these are the points mode ± kσ; for skewed or exponential
 *    tails they adapt. Outside its outermost breakpoints an arm has mass < 1e-17, so it counts as
 *    0 below and 1 above its window.
 * 3. All arms' breakpoints, merged (a breakpoint closer than 0.9 of its own arm's local
 *    panel width to the previous one is dropped, so tied arms do not multiply panels),
 *    form the panels. On each panel a 12-point Gauss–Legendre rule integrates, and the spectral integration matrix
 *    (quadrature.ts) gives every active arm's distribution function F_j at the same nodes
 *    from its density alone — no incomplete-beta calls at all. Normalising constants come
 *    from the accurate Stirling form of B(α, β) (special.ts).
 * 4. Products Π_{j≠k} F_j use prefix/suffix products over the arms active in the panel
 *    (no logarithms, no division by a vanishing F_k); inactive arms contribute a constant.
 *
 * 5. Panels are bisected until their half-width is ≤ 0.45·√(m² + π²) (m the centre): every
 *    integrand is analytic except at z = ±iπ, so this bounds the Gauss–Legendre error for
 *    arms with small α, β (σ ≫ 1), above all U-shaped ones (α, β < 1), whose windows span
 *    hundreds of units of z (the tails e^{αz}, e^{−βz} decay slowly). For α + β > 1e4 the
 *    log-density is taken relative to the mode (no (α+β)·1e-16 cancellation).
 *
 * Accuracy: ≤ 1.4e-13 against mpmath/scipy references for every arm set in
 * test/fixtures/core/probability-of-best.json except one at 6e-12 (K = 100 near tie) —
 * α, β from 1e-3 to 1e9, U-shaped arms (Beta(0.05, 0.05) vs Beta(5e4, 9.95e6),
 * Beta(0.01, 0.01) vs Beta(0.01, 1), Beta(0.1, 0.1) twins, …), K ≤ 100; the test
 * tolerance is 1e-10. Results are renormalised so P(best) sums to 1 exactly (up to
 * rounding). The validated input range is in limits.ts.
 * Complexity: O(K) Newton solves, then for P panels (≤ 10K + O(log max|z|)) O(P·12·(A·12 + A)) where A is
 * the number of arms whose window overlaps a panel — O(K²) in the worst case (all arms
 * tied), O(K) when arms are well separated. K = 10: ~0.1 ms.
 */
import { gaussLegendre, integrationMatrix } from './quadrature';
import { betaLogPrefactor } from './special';
import type { BetaPosterior } from './types';

const N = 12;
const RULE = gaussLegendre(N);
const S = integrationMatrix(RULE.nodes, RULE);
const DROPS = [2, 8, 18, 32, 40.5];

interface ArmWindow {
  a: number;
  b: number;
  /** ln of the unnormalised density at the mode plus ln of the normalising constant: g = exp(a lx + b ly − shift). */
  shift: number;
  breaks: number[];
  lo: number;
  hi: number;
  /** Large α + β: evaluate ln g relative to z0 (see LARGE). */
  large: boolean;
  z0: number;
  x0: number;
  logNorm0: number;
}

/**
 * Above this α + β, ln g is evaluated as ln g(z0) + α d − (α+β) ln(1 + x0·(e^d − 1)),
 * d = z − z0, x0 = 1/(1 + e^−z0), z0 ≈ the mode: a·ln x + b·ln(1 − x) carries an absolute
 * rounding error of ~(α+β)·1e-16 (1e-7 at 1e9, i.e. that relative error in g), while the
 * form in d stays at ~(α+β)·|d|·1e-16 ≈ 1e-11 within the window.
 */
const LARGE = 1e4;

/** ln x and ln(1 − x) at the logit z, both exact to rounding. */
function logsAt(z: number, out: Float64Array, i: number, lxOut: Float64Array): void {
  if (z >= 0) {
    const t = Math.exp(-z);
    const l = Math.log1p(t);
    lxOut[i] = -l;
    out[i] = -z - l;
  } else {
    const t = Math.exp(z);
    const l = Math.log1p(t);
    lxOut[i] = z - l;
    out[i] = -l;
  }
}

function hAt(a: number, b: number, z: number): { h: number; slope: number } {
  let lx: number;
  let ly: number;
  if (z >= 0) {
    const t = Math.exp(-z);
    const l = Math.log1p(t);
    lx = -l;
    ly = -z - l;
  } else {
    const t = Math.exp(z);
    const l = Math.log1p(t);
    lx = z - l;
    ly = -l;
  }
  return { h: a * lx + b * ly, slope: a * Math.exp(ly) - b * Math.exp(lx) };
}

/** The z on `side` (±1) of the mode where h = target (h concave; Newton, monotone after the first step). */
function solveDrop(a: number, b: number, mode: number, sigma: number, target: number, start: number, side: number): number {
  let z = start;
  for (let iter = 0; iter < 100; iter++) {
    const { h, slope } = hAt(a, b, z);
    if (slope === 0 || !Number.isFinite(slope)) {
      z += side * sigma;
      continue;
    }
    let next = z - (h - target) / slope;
    if ((next - mode) * side <= 0) next = 0.5 * (z + mode) + side * 1e-3 * sigma; // stay on our side
    if (Math.abs(next - z) <= 1e-6 * sigma + 1e-12 * Math.abs(z)) return next;
    z = next;
  }
  return z;
}

function armWindow(arm: BetaPosterior): ArmWindow {
  const a = arm.alpha;
  const b = arm.beta;
  const s = a + b;
  const mode = Math.log(a) - Math.log(b);
  const sigma = Math.sqrt(1 / a + 1 / b);
  const lxStar = Math.log(a / s);
  const lyStar = Math.log(b / s);
  const hStar = a * lxStar + b * lyStar;
  // ∫ exp(a lx + b ly) dz = B(a, b); x*^a y*^b / B(a, b) = exp(betaLogPrefactor(x*, y*, a, b))
  const logNormAtMode = betaLogPrefactor(a / s, b / s, a, b); // ln[g(mode)] for the normalised g
  const shift = hStar - logNormAtMode;
  const breaks: number[] = [mode];
  for (const side of [1, -1]) {
    let prev = mode;
    for (let k = 0; k < DROPS.length; k++) {
      const guess = mode + side * Math.sqrt(2 * DROPS[k]) * sigma;
      const start = (guess - prev) * side > 0 ? guess : prev + side * sigma;
      const z = solveDrop(a, b, mode, sigma, hStar - DROPS[k], start, side);
      breaks.push(z);
      prev = z;
    }
  }
  breaks.sort((p, q) => p - q);
  const x0 = mode >= 0 ? 1 / (1 + Math.exp(-mode)) : Math.exp(mode) / (1 + Math.exp(mode));
  const y0 = mode >= 0 ? Math.exp(-mode) / (1 + Math.exp(-mode)) : 1 / (1 + Math.exp(mode));
  const large = s > LARGE;
  return { a, b, shift, breaks, lo: breaks[0], hi: breaks[breaks.length - 1], large, z0: mode, x0, logNorm0: large ? betaLogPrefactor(x0, y0, a, b) : 0 };
}

/** Merged panel breakpoints: all arms' breakpoints, dropping those closer than 0.9 of their local panel width to the last kept one. */
function mergeBreaks(windows: ArmWindow[]): Float64Array {
  const pts: { z: number; w: number }[] = [];
  for (const win of windows) {
    const br = win.breaks;
    for (let i = 0; i < br.length; i++) {
      const left = i > 0 ? br[i] - br[i - 1] : Infinity;
      const right = i < br.length - 1 ? br[i + 1] - br[i] : Infinity;
      pts.push({ z: br[i], w: Math.min(left, right) });
    }
  }
  pts.sort((p, q) => p.z - q.z);
  const out: number[] = [pts[0].z];
  const last = pts[pts.length - 1].z;
  for (let i = 1; i < pts.length - 1; i++) {
    if (pts[i].z - out[out.length - 1] > 0.9 * pts[i].w && last - pts[i].z > 0.9 * pts[i].w) out.push(pts[i].z);
  }
  if (last > out[out.length - 1]) out.push(last);
  return Float64Array.from(out);
}

/**
 * Every density in z, e^{αz}(1 + e^z)^{−(α+β)}, and x = e^z/(1 + e^z) are analytic except
 * at z = ±iπ (and ±3iπ, …), where 1 + e^z = 0. A Gauss–Legendre panel of half-width h
 * around m converges like ρ^{−2N} with ρ the Bernstein ellipse through those points, so
 * panels are bisected until h ≤ REACH·√(m² + π²): ρ ≥ 4.1, ρ^{−24} < 1e-14. Arms with
 * large α + β already have narrow panels; this only matters for small α, β (σ ≫ 1), and
 * most for U-shaped arms (α, β < 1) whose panels near z = 0 would otherwise span tens or
 * hundreds of units. The panels grow geometrically away from 0: O(log(max |z|)) extra.
 */
const REACH = 0.45;
const PI2 = Math.PI * Math.PI;

function refinePanels(breaks: Float64Array): Float64Array {
  const out: number[] = [breaks[0]];
  const push = (za: number, zb: number): void => {
    const half = 0.5 * (zb - za);
    const mid = 0.5 * (za + zb);
    if (half > REACH * Math.sqrt(mid * mid + PI2)) {
      // split at the point nearest 0 inside the panel's middle half, else the midpoint
      const cut = za < 0 && zb > 0 && -za > 0.25 * (zb - za) && zb > 0.25 * (zb - za) ? 0 : mid;
      push(za, cut);
      push(cut, zb);
    } else out.push(zb);
  };
  for (let p = 0; p + 1 < breaks.length; p++) push(breaks[p], breaks[p + 1]);
  return Float64Array.from(out);
}

export interface PosteriorMaxResult {
  /** P(θ_k is the largest), summing to 1. */
  probBest: number[];
  /** E[max_j θ_j]. */
  expectedMax: number;
}

/**
 * P(best) for every arm and E[max θ] by adaptive Gauss–Legendre integration in the logit
 * coordinate (see the file comment). Arms must already be validated.
 */
export function integratePosteriorMax(arms: readonly BetaPosterior[]): PosteriorMaxResult {
  const K = arms.length;
  if (K === 1) return { probBest: [1], expectedMax: arms[0].alpha / (arms[0].alpha + arms[0].beta) };
  const windows = arms.map(armWindow);
  const breaks = refinePanels(mergeBreaks(windows));

  const Fa = new Float64Array(K); // F_j at the left end of the current panel
  const P = new Float64Array(K);
  const M = new Float64Array(K);
  const lx = new Float64Array(N);
  const ly = new Float64Array(N);
  const xs = new Float64Array(N);
  const zs = new Float64Array(N);
  const active: number[] = [];
  let g = new Float64Array(N * K); // g[slot * N + i] for active slot
  let F = new Float64Array(N * K);
  const prefix = new Float64Array(K + 1);
  const suffix = new Float64Array(K + 1);
  const nodes = RULE.nodes;
  const weights = RULE.weights;

  for (let p = 0; p + 1 < breaks.length; p++) {
    const za = breaks[p];
    const zb = breaks[p + 1];
    const half = 0.5 * (zb - za);
    const mid = 0.5 * (za + zb);
    active.length = 0;
    let inactiveProduct = 1;
    for (let j = 0; j < K; j++) {
      if (windows[j].lo < zb && windows[j].hi > za) active.push(j);
      else inactiveProduct *= Fa[j] > 1 ? 1 : Fa[j];
    }
    if (active.length === 0) continue;
    for (let i = 0; i < N; i++) {
      zs[i] = mid + half * nodes[i];
      logsAt(zs[i], ly, i, lx);
      xs[i] = Math.exp(lx[i]);
    }
    const A = active.length;
    if (g.length < A * N) {
      g = new Float64Array(A * N);
      F = new Float64Array(A * N);
    }
    for (let s = 0; s < A; s++) {
      const j = active[s];
      const { a, b, shift, large, z0, x0, logNorm0 } = windows[j];
      const off = s * N;
      let total = 0;
      for (let i = 0; i < N; i++) {
        let e: number;
        if (large) {
          const d = zs[i] - z0;
          e = logNorm0 + a * d - (a + b) * Math.log1p(x0 * Math.expm1(d));
        } else e = a * lx[i] + b * ly[i] - shift;
        const v = e < -745 ? 0 : Math.exp(e);
        g[off + i] = v;
        total += weights[i] * v;
      }
      const base = Fa[j];
      for (let i = 0; i < N; i++) {
        let acc = 0;
        const row = i * N;
        for (let m = 0; m < N; m++) acc += S[row + m] * g[off + m];
        const f = base + half * acc;
        F[off + i] = f > 1 ? 1 : f < 0 ? 0 : f;
      }
      Fa[j] = base + half * total;
    }
    if (inactiveProduct === 0) continue;
    for (let i = 0; i < N; i++) {
      prefix[0] = 1;
      for (let s = 0; s < A; s++) prefix[s + 1] = prefix[s] * F[s * N + i];
      suffix[A] = 1;
      for (let s = A - 1; s >= 0; s--) suffix[s] = suffix[s + 1] * F[s * N + i];
      const wi = half * weights[i] * inactiveProduct;
      for (let s = 0; s < A; s++) {
        const gv = g[s * N + i];
        if (gv === 0) continue;
        const c = wi * gv * prefix[s] * suffix[s + 1];
        P[active[s]] += c;
        M[active[s]] += c * xs[i];
      }
    }
  }
  let total = 0;
  let mtotal = 0;
  for (let k = 0; k < K; k++) {
    total += P[k];
    mtotal += M[k];
  }
  const probBest = new Array<number>(K);
  for (let k = 0; k < K; k++) probBest[k] = total > 0 ? Math.min(1, Math.max(0, P[k] / total)) : 1 / K;
  let expectedMax = total > 0 ? mtotal / total : 0;
  // E[max] ≥ every mean and ≤ 1
  for (const arm of arms) expectedMax = Math.max(expectedMax, arm.alpha / (arm.alpha + arm.beta));
  return { probBest, expectedMax: Math.min(1, expectedMax) };
}
