/**
 * The ceiling of the /select benchmark: a bare node:http server that reads the request
 * body and answers every request with one constant JSON object of /select's size and
 * shape. Nothing a real service can do on this machine is faster.
 *
 *   node bench/lib/ceiling-server.js PORT [BODY]
 *
 * BODY: another constant reply (e.g. a Seldon route reply naming one branch: the
 * constant router behind Seldon's executor in bench/seldon-router.bench.js).
 */
'use strict';
const http = require('node:http');

const BODY = process.argv[3] ?? JSON.stringify({ decision_id: 'bench.1.AAAAAAAAAAAAAAAAAAAAAA', experiment_id: 'bench', arm: 'treatment-a', arm_index: 1, propensity: 0.3333333333333333 });
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(BODY) });
    res.end(BODY);
  });
});
server.keepAliveTimeout = 65000;
server.listen(Number(process.argv[2]), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
