/**
 * Special functions used by the Beta distribution code, written for accuracy at the
 * extremes the product meets (shape parameters from 1e-3 to 1e9).
 *
 * - `logGamma(x)`: ln Γ(x) for x > 0 — Stirling's series for x ≥ 10 (error < 1e-16
 *   relative), upward recurrence below that.
 * - `stirlingCorrection(x)`: δ(x) = ln Γ(x) − [(x − ½) ln x − x + ½ ln 2π], computed
 *   directly from the series for x ≥ 10 so that large-argument differences do not cancel
 *   (the trick of Loader 2000 / TOMS 708 `bcorr`).
 * - `log1pmx(d)`: d − ln(1 + d) without cancellation for small |d|.
 * - `betaLogPrefactor(x, y, a, b)`: ln[xᵃ yᵇ / B(a, b)] with y = 1 − x, in the form
 *   ½ ln(ab / (2π(a+b))) − a·φ(x/x₀) − b·φ(y/y₀) + δ(a+b) − δ(a) − δ(b),
 *   x₀ = a/(a+b), φ(t) = t − 1 − ln t — accurate even for a, b ~ 1e9 where the naive
 *   a·ln x + b·ln y − ln B(a, b) loses every digit to cancellation.
 * - `normalQuantile(p)`: Φ⁻¹(p), Acklam's rational approximation (relative error ~1e-9).
 *
 * All O(1) (logGamma: at most 10 recurrence steps).
 */

const HALF_LOG_2PI = 0.9189385332046728; // ½ ln(2π)

// Stirling series coefficients B_{2k} / (2k (2k − 1)).
const STIRLING = [
  1 / 12,
  -1 / 360,
  1 / 1260,
  -1 / 1680,
  1 / 1188,
  -691 / 360360,
  1 / 156,
  -3617 / 122400,
];

function stirlingSeries(x: number): number {
  const z = 1 / (x * x);
  let s = STIRLING[STIRLING.length - 1];
  for (let i = STIRLING.length - 2; i >= 0; i--) s = s * z + STIRLING[i];
  return s / x;
}

/** δ(x) = ln Γ(x) − (x − ½) ln x + x − ½ ln 2π, for x > 0. Tends to 1/(12x) as x → ∞. */
export function stirlingCorrection(x: number): number {
  if (x >= 10) return stirlingSeries(x);
  return logGamma(x) - (x - 0.5) * Math.log(x) + x - HALF_LOG_2PI;
}

/** ln Γ(x) for x > 0 (NaN otherwise). */
export function logGamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  if (x === Infinity) return Infinity;
  if (x >= 10) return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + stirlingSeries(x);
  // shift up: Γ(x) = Γ(x + n) / (x (x+1) … (x+n−1))
  let prod = 1;
  let y = x;
  while (y < 10) {
    prod *= y;
    y += 1;
  }
  return (y - 0.5) * Math.log(y) - y + HALF_LOG_2PI + stirlingSeries(y) - Math.log(prod);
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), accurate for large a, b. */
export function logBeta(a: number, b: number): number {
  const s = a + b;
  // (a−½)ln a + (b−½)ln b − (s−½)ln s written with a/s, b/s to avoid cancellation
  return (
    HALF_LOG_2PI -
    0.5 * Math.log(s) +
    (a - 0.5) * Math.log(a / s) +
    (b - 0.5) * Math.log(b / s) +
    stirlingCorrection(a) +
    stirlingCorrection(b) -
    stirlingCorrection(s)
  );
}

/** d − ln(1 + d) for d > −1, accurate for small |d| (series) and large d. */
export function log1pmx(d: number): number {
  if (Math.abs(d) > 0.01) return d - Math.log1p(d);
  // Σ_{k≥2} (−1)^k d^k / k, to d^12 (relative truncation error < 1e-20)
  let s = 0;
  for (let k = 12; k >= 2; k--) s = s * -d + 1 / k;
  return s * d * d;
}

/**
 * ln[xᵃ yᵇ / B(a, b)] for x ∈ (0, 1), y = 1 − x passed separately (so callers working
 * near 1 keep precision). This is ln[x y f(x)] where f is the Beta(a, b) density.
 */
export function betaLogPrefactor(x: number, y: number, a: number, b: number): number {
  const s = a + b;
  const diff = x * b - y * a; // = s·x − a
  const dA = diff / a; // x/x₀ − 1
  const dB = -diff / b; // y/y₀ − 1
  // near the mode the series form; far from it (where 1 + d loses digits) the logs directly
  const phiA = Math.abs(dA) < 0.5 ? log1pmx(dA) : dA - Math.log(x) - Math.log(s / a);
  const phiB = Math.abs(dB) < 0.5 ? log1pmx(dB) : dB - Math.log(y) - Math.log(s / b);
  return 0.5 * Math.log((a / s) * (b / (2 * Math.PI))) - a * phiA - b * phiB + stirlingCorrection(s) - stirlingCorrection(a) - stirlingCorrection(b);
}

// Acklam's inverse normal coefficients.
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/**
 * Φ⁻¹(p), the standard normal quantile, for p ∈ (0, 1) (±Infinity at 0 and 1). Relative
 * error about 1e-9 — used for starting values, not as a final answer.
 */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const pLow = 0.02425;
  let x: number;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  } else if (p <= 1 - pLow) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log1p(-p));
    x = -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  }
  return x;
}
