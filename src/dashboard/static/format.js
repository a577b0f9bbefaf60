/*
 * How the dashboard writes numbers. Every number it shows is a value from the API rounded
 * by one of these functions (never recomputed), and the element showing it also carries the
 * exact value in data-value, so what is read can be checked against the API.
 *
 * Loaded by the page as a plain script (window.BanditFormat) and by the tests through require().
 */
(function (root, factory) {
  'use strict';
  var api = factory();
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.BanditFormat = api;
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  function finite(x) {
    return typeof x === 'number' && isFinite(x);
  }

  /** Decimals giving `sig` significant digits of the percentage p, between 1 and 6. */
  function decimalsFor(p, sig) {
    if (p === 0) return 1;
    var d = sig - 1 - Math.floor(Math.log10(Math.abs(p)));
    return Math.max(1, Math.min(6, d));
  }

  /** A rate (mean, interval end, expected loss) as a percentage with three significant digits: 0.04531 → "4.53%". */
  function rate(x) {
    if (!finite(x)) return '—';
    var p = x * 100;
    return p.toFixed(decimalsFor(p, 3)) + '%';
  }

  /** An interval of rates, each end as `rate` writes it: "0.0562% – 7.87%". */
  function interval(lo, hi) {
    if (!finite(lo) || !finite(hi)) return '—';
    return rate(lo) + ' – ' + rate(hi);
  }

  /** A probability as a percentage with two decimals: 0.97312 → "97.31%". */
  function prob(x) {
    if (!finite(x)) return '—';
    return (x * 100).toFixed(2) + '%';
  }

  /** A count with thousands separators: 12345 → "12,345". */
  function count(n) {
    if (!finite(n)) return '—';
    var neg = n < 0;
    var s = String(Math.round(Math.abs(n)));
    var out = '';
    for (var i = 0; i < s.length; i++) {
      if (i > 0 && (s.length - i) % 3 === 0) out += ',';
      out += s[i];
    }
    return (neg ? '-' : '') + out;
  }

  /** A number with `sig` significant digits, without exponent for ordinary magnitudes. */
  function num(x, sig) {
    if (!finite(x)) return '—';
    if (x === 0) return '0';
    var a = Math.abs(x);
    if (a >= 1e6 || a < 1e-4) return x.toPrecision(sig || 3);
    if (Number.isInteger(x)) return count(x);
    var d = Math.max(0, (sig || 3) - 1 - Math.floor(Math.log10(a)));
    return x.toFixed(Math.min(d, 8));
  }

  /** A duration in seconds as "3 d 4 h", "2 h 05 min", "12 min", "40 s". */
  function duration(seconds) {
    if (!finite(seconds)) return '—';
    var s = Math.max(0, Math.round(seconds));
    var d = Math.floor(s / 86400);
    var h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60);
    if (d > 0) return d + ' d ' + h + ' h';
    if (h > 0) return h + ' h ' + (m < 10 ? '0' : '') + m + ' min';
    if (m > 0) return m + ' min';
    return s + ' s';
  }

  function pad(n) {
    return (n < 10 ? '0' : '') + n;
  }

  /** A timestamp as local "YYYY-MM-DD HH:MM:SS". */
  function dateTime(t) {
    var d = t instanceof Date ? t : new Date(t);
    if (isNaN(d.getTime())) return '—';
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  /** Parses what `rate`, `prob` or `count` wrote back into a number (for checks). */
  function parse(text) {
    var t = String(text).replace(/,/g, '').trim();
    var pctMatch = /^(-?\d+(?:\.\d+)?)%$/.exec(t);
    if (pctMatch) return Number(pctMatch[1]) / 100;
    return Number(t);
  }

  return { rate: rate, interval: interval, prob: prob, count: count, num: num, duration: duration, dateTime: dateTime, parse: parse, decimalsFor: decimalsFor };
});
