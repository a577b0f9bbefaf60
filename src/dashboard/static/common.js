/*
 * What both dashboard pages share: arm colours, reading the API, the live-connection badge,
 * and one normalised view of an experiment as GET /experiments/:id returns it.
 */
(function (root) {
  'use strict';

  // Okabe–Ito–based palette: distinguishable with the common colour-vision deficiencies.
  var PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#7A5195', '#6B8E23', '#B8860B', '#4D4D4D'];

  /** The palette for the first ten arms, then hues a golden angle apart (experiments may have up to 100 arms). */
  function armColor(i) {
    if (i < PALETTE.length) return PALETTE[i];
    return 'hsl(' + Math.round((i * 137.508) % 360) + ', 55%, ' + (i % 2 ? 42 : 55) + '%)';
  }

  function getJson(url) {
    return fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store' }).then(function (res) {
      return res.text().then(function (text) {
        var body;
        try {
          body = text ? JSON.parse(text) : null;
        } catch {
          body = null;
        }
        if (!res.ok) {
          // error bodies are {"error": {"code", "message"}}
          var msg = body && body.error && body.error.message ? body.error.message : res.status + ' ' + res.statusText;
          var err = new Error(String(msg));
          err.status = res.status;
          throw err;
        }
        return body;
      });
    });
  }

  function num(v) {
    return typeof v === 'number' && isFinite(v) ? v : null;
  }

  /** How far a check is towards its threshold, 0..1 (the meter under it). */
  function progress(c) {
    if (c.value === null || c.threshold === null) return 0;
    if (c.op === '≤') return c.value <= c.threshold ? 1 : c.threshold / c.value;
    return c.threshold > 0 ? c.value / c.threshold : 1;
  }

  /**
   * The server's one evaluation of the stopping rule (`evaluation` of GET /experiments/:id):
   * what the banner and the stopping card both show. Nothing here re-applies the rule.
   */
  function evaluation(e) {
    if (!e || typeof e !== 'object' || !Array.isArray(e.checks)) return null;
    var leader = typeof e.leaderIndex === 'number' ? e.leaderIndex : null;
    var byArm = function (xs) {
      return Array.isArray(xs) ? xs.map(num) : [];
    };
    var probBest = byArm(e.probBest);
    var expectedLoss = byArm(e.expectedLoss);
    var observations = byArm(e.observations);
    return {
      at: e.at || null,
      source: e.source === 'decision' ? 'decision' : 'live',
      verdictId: num(e.verdictId),
      status: String(e.status),
      // what the state means (winner | no_meaningful_difference | continue | no_winner) and why, in plain words
      verdict: String(e.verdict || e.status),
      reason: typeof e.reason === 'string' ? e.reason : '',
      leaderIndex: leader,
      winnerIndex: num(e.winnerIndex),
      probBest: leader === null ? null : probBest[leader],
      expectedLoss: leader === null ? null : expectedLoss[leader],
      probBestByArm: probBest,
      expectedLossByArm: expectedLoss,
      observations: observations,
      checks: e.checks.map(function (c) {
        var out = {
          key: String(c.key),
          label: String(c.label),
          value: num(c.value),
          op: String(c.op),
          threshold: num(c.threshold),
          unit: String(c.unit),
          met: typeof c.met === 'boolean' ? c.met : null,
        };
        out.progress = progress(out);
        return out;
      }),
      reasons: Array.isArray(e.reasons) ? e.reasons.map(String) : [],
    };
  }

  /** The health checks of GET /experiments/:id (null when the server sends none). */
  function health(h) {
    if (!h || typeof h !== 'object') return null;
    var srm = h.srm || {};
    var delay = h.conversion_delay || null;
    return {
      srmP: num(srm.p_value),
      srmOk: srm.ok !== false,
      srmAcknowledged: srm.acknowledged === true,
      openShare: num(h.open_share),
      delayMedianSeconds: delay ? num(delay.median_seconds) : null,
      delayP90Seconds: delay ? num(delay.p90_seconds) : null,
      conversions: delay ? num(delay.conversions) : 0,
    };
  }

  /**
   * The experiment view the pages draw, from GET /experiments/:id. Numbers are the API's
   * own values, passed through unchanged.
   */
  function normalize(view) {
    var def = view.definition || {};
    var stop = def.stopping || {};
    var arms = (view.arms || []).map(function (a, i) {
      var ci = Array.isArray(a.ci95) ? a.ci95 : [];
      return {
        index: typeof a.index === 'number' ? a.index : i,
        name: String(a.name),
        alpha: num(a.alpha),
        beta: num(a.beta),
        assignments: num(a.assignments),
        observations: num(a.observations),
        rewards: num(a.rewards),
        mean: num(a.mean),
        ciLow: num(ci[0]),
        ciHigh: num(ci[1]),
        probBest: num(a.probBest),
        expectedLoss: num(a.expectedLoss),
        allocation: num(a.allocation),
        pending: num(a.pending) || 0,
      };
    });
    var leader = null;
    arms.forEach(function (a) {
      if (a.probBest !== null && (leader === null || a.probBest > leader.probBest)) leader = a;
    });
    var maxHours = num(stop.maxDurationHours);
    return {
      id: String(view.id),
      name: def.name ? String(def.name) : null,
      status: String(view.status || 'running'),
      health: health(view.health),
      holdout: view.holdout
        ? { share: num(view.holdout.share), lift: num(view.holdout.lift), ciLow: view.holdout.ci95 ? num(view.holdout.ci95[0]) : null, ciHigh: view.holdout.ci95 ? num(view.holdout.ci95[1]) : null }
        : null,
      pendingTotal: arms.reduce(function (s, a) {
        return s + a.pending;
      }, 0),
      createdAt: view.createdAt || null,
      updatedAt: view.updatedAt || null,
      algorithm: def.algorithm || null,
      arms: arms,
      leader: leader,
      winnerIndex: view.winner && typeof view.winner.index === 'number' ? view.winner.index : null,
      verdictRecord: (view.winner && view.winner.verdict) || view.lastVerdict || null,
      lastVerdict: view.lastVerdict || null,
      evaluation: evaluation(view.evaluation),
      stopping: {
        probBestThreshold: num(stop.probBest),
        expectedLossThreshold: num(stop.expectedLoss),
        minSamplesPerArm: num(stop.minSamplesPerArm),
        maxDurationSeconds: maxHours === null ? null : maxHours * 3600,
      },
    };
  }

  /** The live badge: 'live', 'polling', 'reconnecting', 'offline'. */
  function setLive(state, text) {
    var el = document.getElementById('live');
    if (!el) return;
    el.setAttribute('data-state', state);
    document.getElementById('live-text').textContent = text;
  }

  function showError(message) {
    var el = document.getElementById('error');
    if (!el) return;
    el.hidden = !message;
    el.textContent = message || '';
  }

  root.BanditCommon = { armColor: armColor, getJson: getJson, normalize: normalize, setLive: setLive, showError: showError };
})(typeof self !== 'undefined' ? self : this);
