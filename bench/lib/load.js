/**
 * One bounded autocannon run: a fixed number of connections for a fixed time (or a fixed
 * number of requests), with a watchdog that stops the run if it overstays. Requests per
 * second count only 2xx replies over the time from the start to the last response:
 * autocannon's own duration of a run bounded by `amount` ends on its next one-second
 * tick, which would understate the rate of a short run by up to half.
 */
'use strict';
const autocannon = require('autocannon');

/**
 * @param {object} o
 * @param {string} o.url            full URL (loopback only)
 * @param {object} [o.body]         JSON body of every request (or use setupRequest)
 * @param {Function} [o.setupRequest] (req, context) => req, to vary the body per request
 * @param {Function} [o.onResponse] (status, body, context) => void
 * @param {number} o.connections
 * @param {number} o.duration       seconds
 * @param {number} [o.amount]       total requests instead of a duration (still bounded by the watchdog)
 * @param {Promise} [o.until]       stop early when this settles (a background load beside another)
 */
async function load(o) {
  const { hostname } = new URL(o.url);
  if (hostname !== '127.0.0.1' && hostname !== 'localhost' && hostname !== '::1') throw new Error(`benchmarks run on loopback only, got ${o.url}`);
  const request = { method: 'POST', headers: { 'content-type': 'application/json' } };
  if (o.body !== undefined) request.body = JSON.stringify(o.body);
  if (o.setupRequest) request.setupRequest = o.setupRequest;
  if (o.onResponse) request.onResponse = o.onResponse;
  const opts = { url: o.url, connections: o.connections, requests: [request], timeout: 10 };
  if (o.amount !== undefined) opts.amount = o.amount;
  else opts.duration = o.duration;
  const started = process.hrtime.bigint();
  let lastResponse = started;
  const instance = autocannon(opts);
  instance.on('response', () => {
    lastResponse = process.hrtime.bigint();
  });
  let finished = false;
  const stop = () => finished || instance.stop();
  const watchdog = setTimeout(stop, (o.duration * 2 + 10) * 1000);
  o.until?.finally(stop);
  const r = await new Promise((resolve, reject) => {
    instance.on('done', resolve);
    instance.on('error', reject);
  }).finally(() => {
    finished = true;
    clearTimeout(watchdog);
  });
  const ok = r['2xx'];
  const seconds = Number(lastResponse - started) / 1e9;
  return {
    rps: seconds > 0 ? ok / seconds : 0,
    mean: r.latency.mean ?? r.latency.average,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    seconds,
  };
}

/** A short load to warm a server's JIT and connection pools; the numbers are discarded. */
async function warmUp(o) {
  await load({ ...o, duration: Math.min(2, o.duration ?? 2), amount: undefined });
}

module.exports = { load, warmUp };
