/*
 * The live page of one experiment: posterior densities, the arms' numbers, the stopping
 * rule against its thresholds, and the history charts. Numbers come from GET
 * /experiments/:id (pushed again by GET /experiments/:id/stream as traffic arrives) and
 * from GET /experiments/:id/history; only the density curves are computed here.
 */
(function () {
  'use strict';
  var F = window.BanditFormat;
  var B = window.BanditMath;
  var C = window.BanditCharts;
  var K = window.BanditCommon;

  // relative to where the page is served, so it also works behind a proxy's path prefix
  var base = location.pathname.replace(/\/dashboard\/?$/, '');
  var id = decodeURIComponent(base.slice(base.lastIndexOf('/') + 1));

  var state = { view: null, history: null, historyAt: 0, historyPending: false, updates: 0, focus: null };

  document.getElementById('exp-id').textContent = id;
  document.getElementById('api-link').setAttribute('href', base);
  document.getElementById('history-link').setAttribute('href', base + '/history');

  function byId(x) {
    return document.getElementById(x);
  }

  function setNumber(el, value, text) {
    el.textContent = text;
    if (value === null || value === undefined) el.removeAttribute('data-value');
    else el.setAttribute('data-value', String(value));
  }

  function armName(v, index) {
    for (var i = 0; i < v.arms.length; i++) if (v.arms[i].index === index) return v.arms[i].name;
    return 'arm ' + index;
  }

  // ---------- header, banner, KPIs ----------

  function renderHeader(v) {
    document.title = v.id + ' · Bayesian Bandit';
    byId('exp-name').textContent = v.name || v.id;
    var bits = [v.arms.length + ' arms'];
    if (v.name) bits.unshift(v.id);
    if (v.algorithm) bits.push(v.algorithm === 'top_two' ? 'top-two Thompson sampling' : 'Thompson sampling');
    if (v.createdAt) bits.push('created ' + F.dateTime(v.createdAt));
    byId('exp-description').textContent = bits.join(' · ');
    var pill = byId('exp-status');
    pill.textContent = v.status;
    pill.setAttribute('data-status', v.status);
    byId('updated').textContent = 'updated ' + F.dateTime(new Date());
  }

  /** When an evaluation was made, as the banner and the card label it. */
  function evaluatedAt(ev) {
    return (ev.source === 'decision' ? 'decided ' : 'evaluated ') + F.dateTime(ev.at);
  }

  /** The numbers of the server's evaluation for the arm it is about: [label, text, exact value]. */
  function evaluationNumbers(ev, arm) {
    if (!ev) return [];
    var out = [];
    var pb = arm === null ? null : ev.probBestByArm[arm];
    var el = arm === null ? null : ev.expectedLossByArm[arm];
    var seen = 0;
    ev.observations.forEach(function (n) {
      seen += n || 0;
    });
    if (typeof pb === 'number') out.push(['P(best)', F.prob(pb), pb]);
    if (typeof el === 'number') out.push(['expected loss', F.rate(el), el]);
    out.push(['observations', F.count(seen), seen]);
    if (ev.at) out.push([ev.source === 'decision' ? 'decided' : 'evaluated', F.dateTime(ev.at), null]);
    return out;
  }

  var TRIGGERS = { manual: 'concluded by hand', auto: 'stopping rule met', max_duration: 'maximum duration reached' };

  function renderBanner(v) {
    var el = byId('banner');
    el.textContent = '';
    if (v.status === 'running') {
      el.hidden = true;
      return;
    }
    el.hidden = false;
    if (v.status === 'paused') {
      el.setAttribute('data-kind', 'stopped');
      var paused = C.htmlEl('div', 'banner-title', el);
      C.htmlEl('span', 'banner-label', paused, 'Paused');
      C.htmlEl('span', 'banner-name', paused, 'serving ' + armName(v, 0) + ' to everyone; nothing is recorded or learnt');
      return;
    }
    var title = C.htmlEl('div', 'banner-title', el);
    var ev = v.evaluation;
    // the recorded verdict that goes with the evaluation (for its trigger), when it is one
    var d = ev && ev.source === 'decision' && v.verdictRecord && v.verdictRecord.id === ev.verdictId ? v.verdictRecord : null;
    var about = v.winnerIndex !== null ? v.winnerIndex : ev ? ev.leaderIndex : v.leader ? v.leader.index : null;
    if (ev) el.setAttribute('data-evaluated-at', ev.at);
    if (v.status === 'concluded' && v.winnerIndex !== null) {
      el.setAttribute('data-kind', 'winner');
      C.htmlEl('span', 'banner-label', title, 'Winner');
      C.htmlEl('span', 'banner-name', title, armName(v, v.winnerIndex)).setAttribute('id', 'winner-name');
    } else {
      el.setAttribute('data-kind', v.status === 'concluded' ? 'nowinner' : 'stopped');
      var equivalent = v.status === 'concluded' && ev && ev.verdict === 'no_meaningful_difference';
      C.htmlEl('span', 'banner-label', title, equivalent ? 'No meaningful difference' : v.status === 'concluded' ? 'Concluded without a winner' : 'Stopped');
      if (about !== null) C.htmlEl('span', 'banner-name', title, 'leader: ' + armName(v, about));
    }
    var facts = C.htmlEl('div', 'banner-facts', el);
    evaluationNumbers(ev, about).forEach(function (f) {
      var item = C.htmlEl('span', 'fact', facts);
      C.htmlEl('span', 'fact-label', item, f[0] + ' ');
      setNumber(C.htmlEl('strong', 'fact-value', item), f[2], f[1]);
    });
    if (ev) {
      if (ev.reason) C.htmlEl('div', 'banner-verdict', el, ev.reason).setAttribute('id', 'verdict-reason');
      var why = [d ? TRIGGERS[d.trigger] || d.trigger : null].concat(ev.reasons);
      C.htmlEl('div', 'banner-reason', el, why.filter(Boolean).join(' · '));
    }
  }

  function renderKpis(v) {
    var served = 0;
    var rewards = 0;
    v.arms.forEach(function (a) {
      served += a.assignments || 0;
      rewards += a.rewards || 0;
    });
    setNumber(byId('kpi-served'), served, F.count(served));
    setNumber(byId('kpi-rewards'), rewards, F.num(rewards, 4));
    byId('kpi-leader').textContent = v.leader ? v.leader.name : '—';
    setNumber(byId('kpi-pbest'), v.leader ? v.leader.probBest : null, v.leader ? F.prob(v.leader.probBest) : '—');
    var created = v.createdAt ? new Date(v.createdAt).getTime() : NaN;
    var running = v.status === 'running';
    var end = running ? Date.now() : new Date(v.updatedAt).getTime(); // the status change
    byId('kpi-age-label').textContent = running ? 'Running for' : 'Ran for';
    byId('kpi-age').textContent = isNaN(created) || isNaN(end) ? '—' : F.duration((end - created) / 1000);
  }

  // ---------- posterior densities ----------

  function densityDomain(arms) {
    var ranges = arms.map(function (a) {
      return B.massRange(a.alpha, a.beta, 7, a.ciLow, a.ciHigh);
    });
    var widths = ranges.map(function (r) {
      return r[1] - r[0];
    });
    var minW = Math.min.apply(null, widths);
    var lo = Infinity;
    var hi = -Infinity;
    ranges.forEach(function (r, i) {
      // a posterior far wider than the sharpest one (an arm with little data) is drawn
      // clipped instead of stretching the axis until the informative curves are spikes
      if (widths[i] > 25 * minW) return;
      lo = Math.min(lo, r[0]);
      hi = Math.max(hi, r[1]);
    });
    return { domain: [lo, hi], ranges: ranges };
  }

  /** Drops the flat ends of a curve (density below 1/1000 of its peak), so tails do not run along the axis. */
  function trimTails(pts) {
    var peak = 0;
    pts.forEach(function (p) {
      if (isFinite(p[1]) && p[1] > peak) peak = p[1];
    });
    var floor = peak * 1e-3;
    var i = 0;
    var j = pts.length - 1;
    while (i < j && pts[i + 1][1] < floor) i++;
    while (j > i && pts[j - 1][1] < floor) j--;
    return pts.slice(i, j + 1);
  }

  function renderDensity(v) {
    var box = byId('density-chart');
    var arms = v.arms.filter(function (a) {
      return a.alpha > 0 && a.beta > 0;
    });
    if (!arms.length) {
      box.textContent = 'No arms.';
      return;
    }
    var d = densityDomain(arms);
    var curves = arms.map(function (a, i) {
      var r = d.ranges[i];
      var from = Math.max(r[0], d.domain[0]);
      var to = Math.min(r[1], d.domain[1]);
      var pts = to > from ? trimTails(B.densityGrid(a.alpha, a.beta, from, to, 320)) : [];
      return { name: a.name, color: K.armColor(a.index), alpha: a.alpha, beta: a.beta, points: pts, ci: a.ciLow !== null && a.ciHigh !== null ? [a.ciLow, a.ciHigh] : null, mean: a.mean };
    });
    C.density(box, curves, { height: window.innerWidth < 640 ? 230 : 300, domain: d.domain, normalize: byId('normalize').checked });
    box.querySelectorAll('.curve').forEach(function (g) {
      g.setAttribute('data-index', String(arms[Number(g.getAttribute('data-arm'))].index));
    });
    var legend = byId('legend');
    legend.textContent = '';
    arms.forEach(function (a, i) {
      var item = C.htmlEl('span', 'legend-item' + (state.focus === a.index ? ' on' : ''), legend);
      item.setAttribute('data-arm', String(a.index));
      item.setAttribute('role', 'button');
      item.setAttribute('tabindex', '0');
      item.setAttribute('title', 'Highlight ' + a.name + ' (click to keep)');
      C.htmlEl('span', 'swatch', item).style.background = K.armColor(a.index);
      C.htmlEl('span', 'legend-name', item, a.name);
      var r = d.ranges[i];
      if (r[0] < d.domain[0] || r[1] > d.domain[1]) C.htmlEl('span', 'legend-note', item, 'wider than the view');
      C.htmlEl('span', 'legend-params', item, 'Beta(' + F.num(a.alpha, 6) + ', ' + F.num(a.beta, 6) + ')');
    });
  }

  /** Highlights one arm's curve (hover, or click / Enter to keep it). */
  function applyFocus(index) {
    var layer = document.querySelector('#density-chart .curves');
    if (!layer) return;
    layer.classList.toggle('focused', index !== null);
    layer.querySelectorAll('.curve').forEach(function (g) {
      g.classList.toggle('on', g.getAttribute('data-index') === String(index));
    });
    document.querySelectorAll('#legend .legend-item').forEach(function (el) {
      el.classList.toggle('on', el.getAttribute('data-arm') === String(index));
    });
  }

  function legendIndex(ev) {
    var item = ev.target.closest ? ev.target.closest('.legend-item[data-arm]') : null;
    return item ? Number(item.getAttribute('data-arm')) : null;
  }

  var legendBox = byId('legend');
  legendBox.addEventListener('mouseover', function (ev) {
    var i = legendIndex(ev);
    if (i !== null) applyFocus(i);
  });
  legendBox.addEventListener('mouseleave', function () {
    applyFocus(state.focus);
  });
  legendBox.addEventListener('click', function (ev) {
    var i = legendIndex(ev);
    if (i === null) return;
    state.focus = state.focus === i ? null : i;
    applyFocus(state.focus);
  });
  legendBox.addEventListener('keydown', function (ev) {
    if (ev.key !== 'Enter' && ev.key !== ' ') return;
    var i = legendIndex(ev);
    if (i === null) return;
    ev.preventDefault();
    state.focus = state.focus === i ? null : i;
    applyFocus(state.focus);
  });

  // ---------- arms table ----------

  var COLUMN_LABELS = {
    assignments: 'Served',
    observations: 'Observed',
    rewards: 'Rewards',
    mean: 'Mean',
    ci95: '95% interval',
    probBest: 'P(best)',
    expectedLoss: 'Expected loss',
    share: 'Traffic',
    allocation: 'Next select',
  };

  function cell(tr, field, armIndex, value, text, cls) {
    var td = C.htmlEl('td', cls || 'num', tr);
    td.setAttribute('data-field', field);
    td.setAttribute('data-label', COLUMN_LABELS[field]);
    td.setAttribute('data-arm', String(armIndex));
    setNumber(td, value, text);
    return td;
  }

  function renderArms(v) {
    var body = byId('arms-body');
    body.textContent = '';
    var total = 0;
    v.arms.forEach(function (a) {
      total += a.assignments || 0;
    });
    v.arms.forEach(function (a) {
      var tr = C.htmlEl('tr', null, body);
      tr.setAttribute('data-arm', String(a.index));
      var th = C.htmlEl('th', 'arm-name', tr);
      th.setAttribute('scope', 'row');
      var label = C.htmlEl('span', 'arm-label', th);
      C.htmlEl('span', 'swatch', label).style.background = K.armColor(a.index);
      C.htmlEl('span', null, label, a.name);
      if (v.winnerIndex === a.index) C.htmlEl('span', 'tag tag-winner', label, 'winner');
      else if (v.leader && v.leader.index === a.index && v.status === 'running') C.htmlEl('span', 'tag', label, 'leader');
      cell(tr, 'assignments', a.index, a.assignments, F.count(a.assignments));
      cell(tr, 'observations', a.index, a.observations, F.count(a.observations));
      cell(tr, 'rewards', a.index, a.rewards, F.num(a.rewards, 6));
      cell(tr, 'mean', a.index, a.mean, F.rate(a.mean));
      var ci = cell(tr, 'ci95', a.index, null, F.interval(a.ciLow, a.ciHigh));
      ci.setAttribute('data-low', String(a.ciLow));
      ci.setAttribute('data-high', String(a.ciHigh));
      var pb = cell(tr, 'probBest', a.index, a.probBest, '', 'num bar-cell');
      C.htmlEl('span', 'bar-text', pb, F.prob(a.probBest));
      var bar = C.htmlEl('span', 'bar', C.htmlEl('span', 'bar-track', pb));
      bar.style.width = Math.max(0, Math.min(100, (a.probBest || 0) * 100)) + '%';
      bar.style.background = K.armColor(a.index);
      cell(tr, 'expectedLoss', a.index, a.expectedLoss, F.rate(a.expectedLoss));
      var share = total > 0 ? (a.assignments || 0) / total : null;
      cell(tr, 'share', a.index, share, share === null ? '—' : F.prob(share));
      cell(tr, 'allocation', a.index, a.allocation, F.prob(a.allocation));
    });
  }

  // ---------- stopping rule ----------

  function criterion(list, o) {
    var row = C.htmlEl('div', 'criterion', list);
    row.setAttribute('data-criterion', o.key);
    row.setAttribute('data-met', o.met === null ? 'unknown' : String(o.met));
    var head = C.htmlEl('div', 'criterion-head', row);
    C.htmlEl('span', 'criterion-label', head, o.label);
    C.htmlEl('span', 'criterion-state', head, o.met === null ? 'not set' : o.met ? 'met' : 'not yet');
    var nums = C.htmlEl('div', 'criterion-numbers', row);
    var cur = C.htmlEl('span', 'criterion-value', nums);
    setNumber(cur, o.value, o.valueText);
    C.htmlEl('span', 'criterion-op', nums, ' ' + o.op + ' ');
    var th = C.htmlEl('span', 'criterion-threshold', nums);
    setNumber(th, o.threshold, o.thresholdText);
    var track = C.htmlEl('div', 'meter', row);
    var fill = C.htmlEl('span', 'meter-fill', track);
    fill.style.width = Math.max(0, Math.min(100, o.progress * 100)) + '%';
  }

  var CHECK_FORMATS = { count: F.count, probability: F.prob, rate: F.rate, seconds: F.duration };

  /** The server's evaluation, drawn as it is: the card re-applies nothing. */
  function renderStopping(v) {
    var list = byId('stopping');
    list.textContent = '';
    var ev = v.evaluation;
    var at = byId('stopping-at');
    if (!ev) {
      list.removeAttribute('data-status');
      at.textContent = '';
      byId('stopping-note').textContent = 'No evaluation of the stopping rule.';
      return;
    }
    list.setAttribute('data-status', ev.status);
    list.setAttribute('data-source', ev.source);
    at.textContent = evaluatedAt(ev);
    at.setAttribute('datetime', ev.at || '');
    var leaderName = ev.leaderIndex === null ? null : armName(v, ev.leaderIndex);
    ev.checks.forEach(function (c) {
      var fmt = CHECK_FORMATS[c.unit] || F.num;
      criterion(list, {
        key: c.key,
        label: c.label + ((c.key === 'probBest' || c.key === 'expectedLoss') && leaderName ? ' · ' + leaderName : ''),
        value: c.value,
        valueText: c.value === null ? '—' : fmt(c.value),
        op: c.op,
        threshold: c.threshold,
        thresholdText: c.threshold === null ? '—' : fmt(c.threshold),
        met: c.met,
        progress: c.progress,
      });
    });
    var verdict = ev.verdict === 'winner' ? 'winner ' + armName(v, ev.winnerIndex) : ev.verdict === 'continue' ? 'keep going' : ev.verdict.split('_').join(' ');
    var note = (ev.source === 'decision' ? 'As decided ' : 'Evaluated ') + F.dateTime(ev.at) + ': ' + verdict + '.';
    if (ev.reason) note += ' ' + ev.reason;
    if (ev.reasons.length) note += ' (' + ev.reasons.join('; ') + '.)';
    if (v.status === 'running') {
      var timed = ev.checks.some(function (c) {
        return c.key === 'maxDuration';
      });
      note += ' A winner is declared when the first three hold together' + (timed ? '; when time runs out the experiment ends without one.' : '.');
      note += ' Observations are rewarded selects.';
    } else if (ev.source === 'live') note += ' The experiment is ' + v.status + '.';
    byId('stopping-note').textContent = note;
  }

  // ---------- history charts ----------

  function seriesByArm(v, rows, field, withBand) {
    return v.arms.map(function (a) {
      var s = {
        name: a.name,
        color: K.armColor(a.index),
        values: rows.map(function (r) {
          var x = r[field] ? r[field][a.index] : null;
          return typeof x === 'number' ? x : null;
        }),
      };
      if (withBand) {
        s.low = rows.map(function (r) {
          return r.ciLow && typeof r.ciLow[a.index] === 'number' ? r.ciLow[a.index] : null;
        });
        s.high = rows.map(function (r) {
          return r.ciHigh && typeof r.ciHigh[a.index] === 'number' ? r.ciHigh[a.index] : null;
        });
      }
      return s;
    });
  }

  /** Snapshot rows from the history, followed by the live numbers of the current view. */
  function snapshotRows(v, h) {
    var rows = (h && h.snapshots ? h.snapshots : []).map(function (s) {
      return { t: new Date(s.t).getTime(), probBest: s.probBest, mean: s.mean, ciLow: s.ciLow, ciHigh: s.ciHigh };
    });
    var now = { t: Date.now(), probBest: [], mean: [], ciLow: [], ciHigh: [] };
    v.arms.forEach(function (a) {
      now.probBest[a.index] = a.probBest;
      now.mean[a.index] = a.mean;
      now.ciLow[a.index] = a.ciLow;
      now.ciHigh[a.index] = a.ciHigh;
    });
    if (v.status === 'running' || !rows.length) rows.push(now);
    return rows;
  }

  function renderHistory(v) {
    var h = state.history;
    var small = window.innerWidth < 640;
    var height = small ? 190 : 220;
    var rows = snapshotRows(v, h);
    var t = rows.map(function (r) {
      return r.t;
    });
    C.timeSeries(
      byId('pbest-chart'),
      { t: t, series: seriesByArm(v, rows, 'probBest', false) },
      {
        height: height,
        yMin: 0,
        yMax: 1,
        yFormat: 'pct',
        legend: true,
        thresholds: v.stopping.probBestThreshold !== null ? [{ y: v.stopping.probBestThreshold, label: 'threshold ' + F.prob(v.stopping.probBestThreshold) }] : [],
      },
    );
    C.timeSeries(byId('mean-chart'), { t: t, series: seriesByArm(v, rows, 'mean', true) }, { height: height, yFormat: 'pct', valueFormat: F.rate, legend: true });

    var buckets = h && h.buckets ? h.buckets : [];
    var shareRows = [];
    buckets.forEach(function (b) {
      var total = 0;
      (b.selects || []).forEach(function (n) {
        total += n || 0;
      });
      if (total > 0)
        shareRows.push({
          t: new Date(b.t).getTime(),
          share: (b.selects || []).map(function (n) {
            return (n || 0) / total;
          }),
        });
    });
    C.timeSeries(
      byId('traffic-chart'),
      {
        t: shareRows.map(function (r) {
          return r.t;
        }),
        series: seriesByArm(v, shareRows, 'share', false),
      },
      { height: height, stacked: true, yMin: 0, yMax: 1, yFormat: 'pct', emptyText: 'No traffic yet.', legend: true },
    );

    var cum = h && h.cumulative ? h.cumulative : [];
    var series = [
      {
        name: 'cumulative reward',
        color: '#0072B2',
        values: cum.map(function (c) {
          return c.reward;
        }),
      },
    ];
    if (
      cum.some(function (c) {
        return typeof c.regret === 'number';
      })
    ) {
      series.push({
        name: 'estimated regret',
        color: '#D55E00',
        values: cum.map(function (c) {
          return typeof c.regret === 'number' ? c.regret : null;
        }),
      });
    }
    C.timeSeries(
      byId('reward-chart'),
      {
        t: cum.map(function (c) {
          return new Date(c.t).getTime();
        }),
        series: series,
      },
      { height: height, yMin: 0, emptyText: 'No rewards yet.', legend: true },
    );
    byId('traffic-note').textContent = h ? 'Share of the selects in each ' + F.duration(h.bucketSeconds) + ' bucket.' : '';
    byId('regret-note').textContent =
      'Estimated regret: each pull costs the gap between the best and the pulled arm’s current posterior mean.' +
      (byId('range').value ? ' Totals count from the start of the range.' : '');
  }

  // ---------- updates ----------

  /** One line of health checks: sample-ratio mismatch, open conversion windows, conversion delay. */
  function renderHealth(v) {
    var el = byId('health');
    if (!el) return;
    el.textContent = '';
    var h = v.health;
    el.hidden = !h;
    if (!h) return;
    el.setAttribute('data-ok', h.srmOk || h.srmAcknowledged ? 'true' : 'false');
    var srm = h.srmP === null ? 'sample ratio: not enough assignments yet' : 'sample ratio p = ' + F.prob(h.srmP) + (h.srmOk ? ' (ok)' : h.srmAcknowledged ? ' (mismatch, acknowledged)' : ' (mismatch: automatic winner held back until acknowledged)');
    var parts = [srm];
    if (v.pendingTotal > 0 || (h.openShare !== null && h.openShare > 0)) {
      parts.push(
        'open assignments ' +
          F.count(v.pendingTotal) +
          ' (' +
          v.arms
            .map(function (a) {
              return a.name + ' ' + F.count(a.pending);
            })
            .join(', ') +
          ')',
      );
    }
    if (h.delayMedianSeconds !== null) parts.push('conversion delay median ' + h.delayMedianSeconds.toFixed(1) + ' s, p90 ' + (h.delayP90Seconds || 0).toFixed(1) + ' s');
    var ho = v.holdout;
    if (ho) {
      parts.push(
        'holdout ' +
          Math.round((ho.share || 0) * 100) +
          '%: lift ' +
          (ho.lift === null ? 'not measured yet' : (ho.lift >= 0 ? '+' : '') + F.rate(ho.lift) + (ho.ciLow === null ? '' : ' (95% ' + F.interval(ho.ciLow, ho.ciHigh) + ')')),
      );
    }
    C.htmlEl('span', 'health-text', el, parts.join(' · '));
  }

  function render() {
    var v = state.view;
    if (!v) return;
    renderHeader(v);
    renderBanner(v);
    renderHealth(v);
    renderKpis(v);
    renderDensity(v);
    applyFocus(state.focus);
    renderArms(v);
    renderStopping(v);
    renderHistory(v);
    document.body.setAttribute('data-updates', String(state.updates));
  }

  function loadHistory(force) {
    var now = Date.now();
    if (state.historyPending || (!force && now - state.historyAt < 3000)) return;
    state.historyPending = true;
    var range = byId('range').value;
    var query = range ? '?from=' + encodeURIComponent(new Date(now - Number(range) * 1000).toISOString()) : '';
    K.getJson(base + '/history' + query)
      .then(function (h) {
        state.history = h;
        state.historyAt = Date.now();
        render();
      })
      .catch(function () {
        /* the history is secondary; the next update retries */
      })
      .then(function () {
        state.historyPending = false;
      });
  }

  function accept(json) {
    state.view = K.normalize(json);
    state.updates += 1;
    K.showError(null);
    render();
    loadHistory(false);
  }

  function poll() {
    K.setLive('polling', 'Live (polling)');
    var tick = function () {
      K.getJson(base)
        .then(accept)
        .catch(function (err) {
          K.setLive('offline', 'Offline');
          K.showError('Cannot reach the service: ' + err.message);
        })
        .then(function () {
          setTimeout(tick, 3000);
        });
    };
    tick();
  }

  function stream() {
    if (!window.EventSource) return poll();
    var opened = false;
    var failures = 0;
    var es = new EventSource(base + '/stream');
    es.addEventListener('open', function () {
      opened = true;
      failures = 0;
      K.setLive('live', 'Live');
    });
    es.addEventListener('experiment', function (ev) {
      try {
        accept(JSON.parse(ev.data));
      } catch (e) {
        K.showError('Unreadable update: ' + e.message);
      }
    });
    es.addEventListener('unavailable', function (ev) {
      var msg;
      try {
        msg = JSON.parse(ev.data).message;
      } catch {
        msg = String(ev.data);
      }
      K.showError('The service cannot read the experiment right now (' + msg + '); the numbers shown are the last known.');
    });
    es.addEventListener('gone', function (ev) {
      es.close();
      K.setLive('offline', 'Ended');
      K.showError(ev.data ? JSON.parse(ev.data).message : 'The experiment is gone.');
    });
    es.addEventListener('error', function () {
      failures += 1;
      if (!opened && failures >= 3) {
        es.close();
        poll();
        return;
      }
      K.setLive('reconnecting', 'Reconnecting…');
    });
  }

  byId('normalize').addEventListener('change', render);
  byId('range').addEventListener('change', function () {
    state.history = null;
    render();
    loadHistory(true);
  });
  var lastWidth = window.innerWidth;
  window.addEventListener('resize', function () {
    if (window.innerWidth === lastWidth) return;
    lastWidth = window.innerWidth;
    render();
  });
  // the history of a quiet experiment still moves forward (snapshots are periodic)
  setInterval(function () {
    loadHistory(true);
  }, 30000);

  K.getJson(base)
    .then(function (json) {
      accept(json);
      loadHistory(true);
      stream();
    })
    .catch(function (err) {
      byId('exp-name').textContent = err.status === 404 ? 'Experiment not found' : 'Cannot load the experiment';
      document.body.setAttribute('data-state', 'unavailable');
      K.showError(err.message + (err.status === 404 ? ' — see the list of experiments.' : ''));
      K.setLive('offline', 'Offline');
      if (err.status !== 404) setTimeout(function () {
        location.reload();
      }, 10000);
    });
})();
