/*
 * Small SVG charts for the dashboard, without dependencies: posterior densities, and time
 * series (lines with optional bands, or stacked shares) sharing one time axis, each with a
 * crosshair tooltip. Charts are drawn at the container's pixel width, so text stays crisp
 * and readable on a phone; the page redraws them when the width changes.
 */
(function (root) {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  var F = root.BanditFormat;

  function svgEl(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    if (attrs) for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, String(attrs[k]));
    if (parent) parent.appendChild(e);
    return e;
  }

  function htmlEl(tag, cls, parent, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  // ticks and densities: the server's own TypeScript, bundled into bandit-math.js
  var M = root.BanditMath;
  var niceTicks = M.niceTicks;

  var TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

  function timeTicks(t0, t1, count) {
    var span = (t1 - t0) / 1000;
    var step = TIME_STEPS[TIME_STEPS.length - 1];
    for (var i = 0; i < TIME_STEPS.length; i++) {
      if (span / TIME_STEPS[i] <= count) {
        step = TIME_STEPS[i];
        break;
      }
    }
    var ms = step * 1000;
    var offset = new Date(t0).getTimezoneOffset() * 60000;
    var out = [];
    for (var t = Math.ceil((t0 - offset) / ms) * ms + offset; t <= t1; t += ms) out.push(t);
    return { ticks: out, step: step };
  }

  function pad(n) {
    return (n < 10 ? '0' : '') + n;
  }

  function timeLabel(t, step) {
    var d = new Date(t);
    if (step >= 86400) return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
    var hm = pad(d.getHours()) + ':' + pad(d.getMinutes());
    return step < 60 ? hm + ':' + pad(d.getSeconds()) : hm;
  }

  function frame(container, height, margin) {
    container.textContent = '';
    var width = Math.max(260, Math.floor(container.clientWidth || 600));
    var heading = container.closest ? container.closest('.card') : null;
    var title = heading && heading.querySelector('h2') ? heading.querySelector('h2').textContent : 'chart';
    var svg = svgEl('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, class: 'chart-svg', role: 'img', 'aria-label': title }, container);
    return {
      svg: svg,
      width: width,
      height: height,
      x0: margin.left,
      x1: width - margin.right,
      y0: height - margin.bottom,
      y1: margin.top,
    };
  }

  function scale(d0, d1, r0, r1) {
    var k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
    return function (v) {
      return r0 + (v - d0) * k;
    };
  }

  function yAxis(f, ticks, y, fmt) {
    var g = svgEl('g', { class: 'axis axis-y' }, f.svg);
    ticks.forEach(function (v) {
      var py = y(v);
      svgEl('line', { x1: f.x0, x2: f.x1, y1: py, y2: py, class: 'grid' }, g);
      svgEl('text', { x: f.x0 - 6, y: py, dy: '0.32em', 'text-anchor': 'end' }, g).textContent = fmt(v);
    });
  }

  function xAxisLabels(f, ticks, x, fmt, minGap) {
    var g = svgEl('g', { class: 'axis axis-x' }, f.svg);
    svgEl('line', { x1: f.x0, x2: f.x1, y1: f.y0, y2: f.y0, class: 'baseline' }, g);
    var last = -Infinity;
    ticks.forEach(function (v) {
      var px = x(v);
      if (px < f.x0 - 0.5 || px > f.x1 + 0.5 || px - last < minGap) return;
      last = px;
      svgEl('line', { x1: px, x2: px, y1: f.y0, y2: f.y0 + 4, class: 'tick' }, g);
      svgEl('text', { x: px, y: f.y0 + 16, 'text-anchor': 'middle' }, g).textContent = fmt(v);
    });
  }

  function pathFrom(points) {
    var d = '';
    var pen = false;
    for (var i = 0; i < points.length; i++) {
      var p = points[i];
      if (p === null) {
        pen = false;
        continue;
      }
      d += (pen ? 'L' : 'M') + p[0].toFixed(1) + ',' + p[1].toFixed(1);
      pen = true;
    }
    return d;
  }

  /** Percent tick labels with as few decimals as the tick step needs. */
  function pctTickFormat(ticks) {
    var step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) * 100 : 1;
    var d = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
    if (step * Math.pow(10, d) % 1 > 1e-6) d += 1;
    return function (v) {
      return (v * 100).toFixed(d) + '%';
    };
  }

  function tooltip(container) {
    var tip = htmlEl('div', 'chart-tip', container);
    tip.hidden = true;
    return tip;
  }

  function showTip(container, tip, px, title, rows) {
    tip.textContent = '';
    htmlEl('div', 'chart-tip-title', tip, title);
    rows.forEach(function (r) {
      var row = htmlEl('div', 'chart-tip-row', tip);
      var sw = htmlEl('span', 'swatch', row);
      sw.style.background = r.color;
      htmlEl('span', 'chart-tip-name', row, r.name);
      htmlEl('span', 'chart-tip-value', row, r.value);
    });
    tip.hidden = false;
    var w = tip.offsetWidth;
    var left = px + 14;
    if (left + w > container.clientWidth) left = Math.max(0, px - w - 14);
    tip.style.left = left + 'px';
  }

  function hover(f, container, onMove) {
    var tip = tooltip(container);
    var cross = svgEl('line', { x1: 0, x2: 0, y1: f.y1, y2: f.y0, class: 'crosshair', visibility: 'hidden' }, f.svg);
    var overlay = svgEl('rect', { x: f.x0, y: f.y1, width: Math.max(0, f.x1 - f.x0), height: Math.max(0, f.y0 - f.y1), class: 'overlay' }, f.svg);
    function move(ev) {
      var box = f.svg.getBoundingClientRect();
      var px = Math.min(f.x1, Math.max(f.x0, ev.clientX - box.left));
      var r = onMove(px);
      if (!r) return;
      cross.setAttribute('x1', r.px);
      cross.setAttribute('x2', r.px);
      cross.setAttribute('visibility', 'visible');
      showTip(container, tip, r.px, r.title, r.rows);
    }
    function leave() {
      cross.setAttribute('visibility', 'hidden');
      tip.hidden = true;
    }
    overlay.addEventListener('pointermove', move);
    overlay.addEventListener('pointerdown', move);
    overlay.addEventListener('pointerleave', leave);
  }

  /**
   * Posterior densities. curves: [{ name, color, points: [[x, pdf]], ci: [lo, hi], mean }].
   * opts: { height, domain: [x0, x1], normalize (scale each curve to its own peak) }.
   */
  function density(container, curves, opts) {
    opts = opts || {};
    var f = frame(container, opts.height || 300, { top: 14, right: 16, bottom: 30, left: 16 });
    var domain = opts.domain;
    var x = scale(domain[0], domain[1], f.x0, f.x1);
    var peaks = curves.map(function (c) {
      var m = 0;
      c.points.forEach(function (p) {
        if (p[0] >= domain[0] && p[0] <= domain[1] && isFinite(p[1]) && p[1] > m) m = p[1];
      });
      return m || 1;
    });
    var shared = Math.max.apply(null, peaks.concat([1e-300]));
    var xt = niceTicks(domain[0], domain[1], Math.max(3, Math.floor((f.x1 - f.x0) / 90)));
    var xfmt = pctTickFormat(xt);
    xt.forEach(function (v) {
      svgEl('line', { x1: x(v), x2: x(v), y1: f.y1, y2: f.y0, class: 'grid' }, f.svg);
    });
    xAxisLabels(f, xt, x, xfmt, 40);
    var layer = svgEl('g', { class: 'curves' }, f.svg);
    curves.forEach(function (c, i) {
      var top = opts.normalize ? peaks[i] : shared;
      var y = scale(0, top * 1.06, f.y0, f.y1);
      var inDomain = c.points.filter(function (p) {
        return p[0] >= domain[0] && p[0] <= domain[1];
      });
      if (inDomain.length < 2) return;
      var line = inDomain.map(function (p) {
        return [x(p[0]), y(Math.min(p[1], top * 1.06))];
      });
      var g = svgEl('g', { class: 'curve', 'data-arm': i, 'data-name': c.name }, layer);
      if (c.ci) {
        var band = inDomain.filter(function (p) {
          return p[0] >= c.ci[0] && p[0] <= c.ci[1];
        });
        if (band.length >= 2) {
          var pts = band.map(function (p) {
            return [x(p[0]), y(Math.min(p[1], top * 1.06))];
          });
          var area = pathFrom(pts) + 'L' + pts[pts.length - 1][0].toFixed(1) + ',' + f.y0 + 'L' + pts[0][0].toFixed(1) + ',' + f.y0 + 'Z';
          // many overlapping intervals would add up to a muddy fill: thinner with more arms
          svgEl('path', { d: area, fill: c.color, class: 'ci-area', 'fill-opacity': Math.min(0.16, 0.7 / curves.length).toFixed(3) }, g);
        }
        [c.ci[0], c.ci[1]].forEach(function (v) {
          if (v >= domain[0] && v <= domain[1]) svgEl('line', { x1: x(v), x2: x(v), y1: f.y0, y2: f.y0 - 6, stroke: c.color, class: 'ci-tick' }, g);
        });
      }
      svgEl('path', { d: pathFrom(line), stroke: c.color, class: 'density-line' }, g);
      if (typeof c.mean === 'number' && c.mean >= domain[0] && c.mean <= domain[1]) {
        svgEl('line', { x1: x(c.mean), x2: x(c.mean), y1: f.y0, y2: f.y1, stroke: c.color, class: 'mean-line' }, g);
      }
    });
    hover(f, container, function (px) {
      var xv = domain[0] + ((px - f.x0) / (f.x1 - f.x0)) * (domain[1] - domain[0]);
      return {
        px: px,
        title: 'rate ' + F.rate(xv),
        rows: curves.map(function (c) {
          return { name: c.name, color: c.color, value: 'density ' + F.num(M.pdf(xv, c.alpha, c.beta), 3) };
        }),
      };
    });
    return f;
  }

  /**
   * Time series on a shared time axis. data: { t: [ms], series: [{ name, color, values: [number|null],
   * low?: [..], high?: [..] }] }. opts: { height, stacked (shares summing to 1), yMin, yMax,
   * yFormat, thresholds: [{ y, label }], emptyText }.
   */
  function timeSeries(container, data, opts) {
    opts = opts || {};
    var t = data.t;
    if (!t.length) {
      container.textContent = '';
      htmlEl('div', 'chart-empty', container, opts.emptyText || 'No data yet.');
      return null;
    }
    var f = frame(container, opts.height || 220, { top: 12, right: 14, bottom: 28, left: 54 });
    var tMin = t[0];
    var tMax = t.length > 1 ? t[t.length - 1] : t[0] + 1000;
    var x = scale(tMin, tMax, f.x0, f.x1);
    var lo = opts.yMin;
    var hi = opts.yMax;
    if (lo === undefined || hi === undefined) {
      var vals = [];
      data.series.forEach(function (s) {
        [s.values, s.low, s.high].forEach(function (arr) {
          if (arr) arr.forEach((v) => v !== null && isFinite(v) && vals.push(v));
        });
      });
      if (lo === undefined) lo = vals.length ? Math.min.apply(null, vals.concat([0])) : 0;
      if (hi === undefined) hi = vals.length ? Math.max.apply(null, vals) : 1;
      if (!(hi > lo)) hi = lo + 1;
      hi = hi + (hi - lo) * 0.05;
    }
    var y = scale(lo, hi, f.y0, f.y1);
    var yt = niceTicks(lo, hi, 4);
    var yfmt = opts.yFormat === 'pct' ? pctTickFormat(yt) : opts.yFormat || F.num;
    yAxis(f, yt, y, yfmt);
    var tt = timeTicks(tMin, tMax, Math.max(2, Math.floor((f.x1 - f.x0) / 80)));
    xAxisLabels(
      f,
      tt.ticks,
      x,
      function (v) {
        return timeLabel(v, tt.step);
      },
      56,
    );
    var layer = svgEl('g', { class: 'series' }, f.svg);
    if (opts.stacked) {
      // a single bucket has no width of its own: draw it across the whole span
      var ts = t.length === 1 ? [tMin, tMax] : t;
      var base = ts.map(function () {
        return 0;
      });
      data.series.forEach(function (s) {
        var upper = ts.map(function (_, i) {
          return base[i] + (s.values[t.length === 1 ? 0 : i] || 0);
        });
        var top = ts.map(function (ti, i) {
          return [x(ti), y(upper[i])];
        });
        var bottom = ts
          .map(function (ti, i) {
            return [x(ti), y(base[i])];
          })
          .reverse();
        svgEl('path', { d: pathFrom(top.concat(bottom)) + 'Z', fill: s.color, class: 'stack-area', 'data-name': s.name }, layer);
        base = upper;
      });
    } else {
      data.series.forEach(function (s) {
        if (s.low && s.high) {
          var seg = [];
          var flush = function () {
            if (seg.length >= 2) {
              var upper = seg.map(function (i) {
                return [x(t[i]), y(s.high[i])];
              });
              var lower = seg
                .map(function (i) {
                  return [x(t[i]), y(s.low[i])];
                })
                .reverse();
              svgEl('path', { d: pathFrom(upper.concat(lower)) + 'Z', fill: s.color, class: 'band' }, layer);
            }
            seg = [];
          };
          t.forEach(function (_, i) {
            if (s.low[i] === null || s.high[i] === null) flush();
            else seg.push(i);
          });
          flush();
        }
        var pts = t.map(function (ti, i) {
          return s.values[i] === null || s.values[i] === undefined ? null : [x(ti), y(s.values[i])];
        });
        svgEl('path', { d: pathFrom(pts), stroke: s.color, class: 'series-line', 'data-name': s.name }, layer);
        if (t.length === 1 && pts[0]) svgEl('circle', { cx: pts[0][0], cy: pts[0][1], r: 3, fill: s.color }, layer);
      });
    }
    (opts.thresholds || []).forEach(function (th) {
      if (th.y < lo || th.y > hi) return;
      svgEl('line', { x1: f.x0, x2: f.x1, y1: y(th.y), y2: y(th.y), class: 'threshold' }, f.svg);
      svgEl('text', { x: f.x1 - 4, y: y(th.y) - 4, 'text-anchor': 'end', class: 'threshold-label' }, f.svg).textContent = th.label;
    });
    if (opts.legend) {
      var legend = htmlEl('div', 'chart-legend', container);
      data.series.forEach(function (s) {
        var item = htmlEl('span', 'legend-item', legend);
        htmlEl('span', 'swatch', item).style.background = s.color;
        htmlEl('span', null, item, s.name);
      });
    }
    var vfmt = opts.valueFormat || (opts.yFormat === 'pct' ? F.prob : F.num);
    hover(f, container, function (px) {
      var tv = tMin + ((px - f.x0) / (f.x1 - f.x0)) * (tMax - tMin);
      var best = 0;
      for (var i = 1; i < t.length; i++) if (Math.abs(t[i] - tv) < Math.abs(t[best] - tv)) best = i;
      return {
        px: x(t[best]),
        title: F.dateTime(t[best]),
        rows: data.series.map(function (s) {
          var v = s.values[best];
          return { name: s.name, color: s.color, value: v === null || v === undefined ? '—' : vfmt(v) };
        }),
      };
    });
    return f;
  }

  root.BanditCharts = { density: density, timeSeries: timeSeries, niceTicks: niceTicks, svgEl: svgEl, htmlEl: htmlEl };
})(typeof self !== 'undefined' ? self : this);
