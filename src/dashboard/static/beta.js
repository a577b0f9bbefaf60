/*
 * Beta posterior densities for the dashboard, computed in the browser from (alpha, beta).
 *
 * logGamma: Lanczos approximation (g = 7, 9 coefficients; Numerical Recipes 3rd ed. §6.1,
 * relative error below 1e-14 for x > 0.5) with the reflection formula below 0.5.
 * logPdf: (a-1) ln x + (b-1) ln(1-x) - ln B(a, b), ln(1-x) via log1p so that posteriors of
 * click-through-rate scale (mean 1e-3, alpha + beta in the millions) keep their precision.
 * densityGrid samples each curve on its own grid around its mass (mean ± 7 sd, clipped to
 * [0, 1] and widened to contain the given interval), so a narrow posterior still draws as a
 * curve instead of a single spike between two grid points. O(n) per curve.
 *
 * Example: BetaDensity.pdf(0.5, 2, 2) === 1.5
 *
 * Loaded by the page as a plain script (window.BetaDensity) and by the tests through require().
 */
(function (root, factory) {
  'use strict';
  var api = factory();
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.BetaDensity = api;
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  var G = 7;
  var LANCZOS = [
    0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905,
    -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
  ];
  var LN_SQRT_2PI = 0.9189385332046728;

  function logGamma(x) {
    if (!(x > 0)) {
      if (x === Math.floor(x)) return Infinity;
      // reflection: Γ(x)Γ(1-x) = π / sin(πx)
      return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
    }
    if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
    var z = x - 1;
    var s = LANCZOS[0];
    for (var i = 1; i < G + 2; i++) s += LANCZOS[i] / (z + i);
    var t = z + G + 0.5;
    return LN_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(s);
  }

  function logBeta(a, b) {
    return logGamma(a) + logGamma(b) - logGamma(a + b);
  }

  function checkShape(a, b) {
    if (!(a > 0) || !(b > 0) || !isFinite(a) || !isFinite(b)) throw new RangeError('Beta shape parameters must be finite and > 0, got ' + a + ', ' + b);
  }

  /** ln of the Beta(a, b) density at x; -Infinity outside [0, 1]. */
  function logPdf(x, a, b) {
    checkShape(a, b);
    if (x < 0 || x > 1 || x !== x) return -Infinity;
    if (x === 0) return a < 1 ? Infinity : a === 1 ? -logBeta(a, b) : -Infinity;
    if (x === 1) return b < 1 ? Infinity : b === 1 ? -logBeta(a, b) : -Infinity;
    return (a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - logBeta(a, b);
  }

  function pdf(x, a, b) {
    return Math.exp(logPdf(x, a, b));
  }

  function moments(a, b) {
    var n = a + b;
    return { mean: a / n, sd: Math.sqrt((a * b) / (n * n * (n + 1))) };
  }

  /** Where the mass of Beta(a, b) lies: [mean - k sd, mean + k sd] ∩ [0, 1], widened to [lo, hi] when given. */
  function massRange(a, b, k, lo, hi) {
    checkShape(a, b);
    var m = moments(a, b);
    var span = (k || 7) * m.sd;
    var from = Math.max(0, m.mean - span);
    var to = Math.min(1, m.mean + span);
    if (typeof lo === 'number' && isFinite(lo)) from = Math.max(0, Math.min(from, lo));
    if (typeof hi === 'number' && isFinite(hi)) to = Math.min(1, Math.max(to, hi));
    if (!(to > from)) {
      from = Math.max(0, m.mean - 1e-12);
      to = Math.min(1, m.mean + 1e-12);
    }
    return [from, to];
  }

  /**
   * Points [x, pdf(x)] on n + 1 evenly spaced x in [from, to], plus the mode when it falls
   * inside (so the peak is drawn at its true height). Infinite densities at an edge (a < 1 or
   * b < 1) are replaced by the density one step inside.
   */
  function densityGrid(a, b, from, to, n) {
    checkShape(a, b);
    n = Math.max(2, n || 240);
    var xs = [];
    for (var i = 0; i <= n; i++) xs.push(from + ((to - from) * i) / n);
    if (a > 1 && b > 1) {
      var mode = (a - 1) / (a + b - 2);
      if (mode > from && mode < to) xs.push(mode);
    }
    xs.sort(function (p, q) {
      return p - q;
    });
    var lb = logBeta(a, b);
    var step = (to - from) / n;
    var at = function (x) {
      return Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - lb);
    };
    var pts = [];
    for (var j = 0; j < xs.length; j++) {
      var x = xs[j];
      var y;
      if (x <= 0) y = a < 1 ? at(Math.min(step, 0.5)) : a === 1 ? Math.exp(-lb) : 0;
      else if (x >= 1) y = b < 1 ? at(Math.max(1 - step, 0.5)) : b === 1 ? Math.exp(-lb) : 0;
      else y = at(x);
      pts.push([x, y]);
    }
    return pts;
  }

  return { logGamma: logGamma, logBeta: logBeta, logPdf: logPdf, pdf: pdf, moments: moments, massRange: massRange, densityGrid: densityGrid };
});
