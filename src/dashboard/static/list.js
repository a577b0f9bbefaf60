/*
 * The list of experiments: one card each with status, traffic, the leader and every arm's
 * P(best) as one stacked bar; refreshed every few seconds.
 */
(function () {
  'use strict';
  var F = window.BanditFormat;
  var C = window.BanditCharts;
  var K = window.BanditCommon;
  var REFRESH_MS = 5000;
  // the service's root, relative to where the page is served (works behind a proxy's path prefix)
  var root = location.pathname.replace(/dashboard\/?$/, '');
  var views = [];

  function listOf(body) {
    return body && Array.isArray(body.experiments) ? body.experiments : [];
  }

  function detailed(item) {
    if (Array.isArray(item.arms) && item.arms.length && typeof item.arms[0].probBest === 'number') return Promise.resolve(item);
    return K.getJson(root + 'experiments/' + encodeURIComponent(item.id));
  }

  function card(list, v) {
    var a = C.htmlEl('a', 'exp-card', list);
    a.setAttribute('href', root + 'experiments/' + encodeURIComponent(v.id) + '/dashboard');
    a.setAttribute('data-experiment', v.id);
    a.setAttribute('data-status', v.status);
    var head = C.htmlEl('div', 'exp-card-head', a);
    C.htmlEl('span', 'exp-card-name', head, v.id);
    var pill = C.htmlEl('span', 'pill', head, v.status);
    pill.setAttribute('data-status', v.status);
    var served = 0;
    v.arms.forEach(function (arm) {
      served += arm.assignments || 0;
    });
    var facts = C.htmlEl('div', 'exp-card-facts', a);
    var f1 = C.htmlEl('span', null, facts);
    C.htmlEl('strong', null, f1, F.count(served));
    f1.appendChild(document.createTextNode(' served · ' + v.arms.length + ' arms'));
    if (v.createdAt) C.htmlEl('span', 'muted', facts, 'since ' + F.dateTime(v.createdAt));
    C.htmlEl('div', 'exp-card-caption', a, 'P(best) of each arm');
    var bar = C.htmlEl('div', 'pbest-stack', a);
    bar.setAttribute('title', 'P(best) of each arm');
    v.arms.forEach(function (arm) {
      var seg = C.htmlEl('span', 'pbest-seg', bar);
      seg.style.width = Math.max(0, (arm.probBest || 0) * 100) + '%';
      seg.style.background = K.armColor(arm.index);
      seg.setAttribute('title', arm.name + ': P(best) ' + F.prob(arm.probBest));
    });
    var legend = C.htmlEl('div', 'exp-card-arms', a);
    v.arms.forEach(function (arm) {
      var item = C.htmlEl('span', 'legend-item', legend);
      C.htmlEl('span', 'swatch', item).style.background = K.armColor(arm.index);
      item.appendChild(document.createTextNode(arm.name + ' '));
      var pbv = C.htmlEl('strong', null, item, F.prob(arm.probBest));
      pbv.setAttribute('data-value', String(arm.probBest));
    });
    var foot = C.htmlEl('div', 'exp-card-foot', a);
    if (v.winnerIndex !== null) {
      var w = v.arms.filter(function (arm) {
        return arm.index === v.winnerIndex;
      })[0];
      C.htmlEl('span', 'tag tag-winner', foot, 'winner');
      C.htmlEl('strong', null, foot, w ? w.name : 'arm ' + v.winnerIndex);
    } else if (v.leader) {
      C.htmlEl('span', 'muted', foot, 'leader ');
      C.htmlEl('strong', null, foot, v.leader.name);
      var pb = C.htmlEl('span', 'muted', foot, ' · P(best) ');
      var val = C.htmlEl('strong', null, pb, F.prob(v.leader.probBest));
      val.setAttribute('data-value', String(v.leader.probBest));
    }
  }

  function render() {
    var list = document.getElementById('experiments');
    list.textContent = '';
    var showEnded = document.getElementById('show-ended').checked;
    var shown = views.filter(function (v) {
      return showEnded || v.status === 'running';
    });
    shown.sort(function (p, q) {
      if ((p.status === 'running') !== (q.status === 'running')) return p.status === 'running' ? -1 : 1;
      return String(q.createdAt || '').localeCompare(String(p.createdAt || ''));
    });
    shown.forEach(function (v) {
      card(list, v);
    });
    document.getElementById('empty').hidden = views.length > 0;
  }

  function refresh() {
    K.getJson(root + 'experiments?limit=500') // the API pages by 50 by default
      .then(function (body) {
        return Promise.all(listOf(body).map(detailed));
      })
      .then(function (all) {
        views = all.map(K.normalize);
        K.showError(null);
        K.setLive('live', 'Live · every ' + REFRESH_MS / 1000 + ' s');
        render();
      })
      .catch(function (err) {
        K.setLive('offline', 'Offline');
        K.showError('Cannot list the experiments: ' + err.message);
      })
      .then(function () {
        setTimeout(refresh, REFRESH_MS);
      });
  }

  document.getElementById('show-ended').addEventListener('change', render);
  refresh();
})();
