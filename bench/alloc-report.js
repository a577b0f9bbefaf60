#!/usr/bin/env node
/**
 * Where a sampling heap profile (bench/alloc.bench.js --sample, or Node's --heap-prof)
 * says the bytes were allocated, as shares of the total:
 *
 *   by component   the allocating frame's package (node_modules/<name>), the product's
 *                  folder (dist/<folder>), or Node's own module — Node's internals are
 *                  charged to the nearest caller outside them, so a Buffer made for
 *                  ioredis counts as ioredis
 *   by function    the allocating function (file:line), the top N
 *
 *   node bench/alloc-report.js FILE.heapprofile [--top N] [--bytes-per-request B]
 *
 * With --bytes-per-request (from bench/alloc.bench.js) the shares are also shown in bytes
 * per request.
 */
'use strict';
const fs = require('node:fs');

function component(frame) {
  const url = frame.url || '';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  const d = /\/dist\/([^/]+)\//.exec(url);
  if (d) return `bandit:${d[1]}`;
  if (/\/bench\//.test(url)) return 'bench';
  if (url.startsWith('node:')) return url;
  return url === '' ? `(${frame.functionName || 'native'})` : url;
}

const internal = (frame) => !frame.url || frame.url.startsWith('node:');

function main() {
  const args = process.argv.slice(2);
  const file = args[0];
  if (!file) throw new Error('usage: node bench/alloc-report.js FILE.heapprofile [--top N] [--bytes-per-request B]');
  const top = Number(args[args.indexOf('--top') + 1]) || 25;
  const perReq = args.includes('--bytes-per-request') ? Number(args[args.indexOf('--bytes-per-request') + 1]) : undefined;
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byComponent = new Map();
  const byFunction = new Map();
  let total = 0;
  const walk = (node, stack) => {
    stack.push(node.callFrame);
    const self = node.selfSize;
    if (self > 0) {
      total += self;
      const leaf = node.callFrame;
      let owner = leaf;
      for (let i = stack.length - 1; i >= 0 && internal(owner); i--) owner = stack[i];
      const c = internal(owner) ? component(leaf) : component(owner);
      byComponent.set(c, (byComponent.get(c) ?? 0) + self);
      const f = `${leaf.functionName || '(anonymous)'} ${(leaf.url || '').replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')}:${leaf.lineNumber + 1}`;
      byFunction.set(f, (byFunction.get(f) ?? 0) + self);
    }
    for (const c of node.children) walk(c, stack);
    stack.pop();
  };
  walk(profile.head, []);
  const show = (title, m, n) => {
    console.log(`\n${title}`);
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) {
      const share = v / total;
      console.log(`${(share * 100).toFixed(1).padStart(5)}%${perReq ? `${Math.round(share * perReq).toString().padStart(7)} B/req` : ''}  ${k}`);
    }
  };
  console.log(`${file}: ${(total / 1e6).toFixed(1)} MB sampled`);
  show('by component', byComponent, top);
  show('by allocating function', byFunction, top);
}

main();
