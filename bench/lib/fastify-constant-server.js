/**
 * Bare Fastify answering every POST /select with the constant JSON of the node:http
 * ceiling (bench/lib/ceiling-server.js), its JSON body parsed as Fastify parses it: the
 * framework's own cost per request. FASTIFY_DIR picks another Fastify build (a directory
 * holding its package.json), to compare versions side by side.
 *
 *   node bench/lib/fastify-constant-server.js PORT
 */
'use strict';
const fastify = require(process.env.FASTIFY_DIR || 'fastify');

const BODY = { decision_id: 'bench.1.AAAAAAAAAAAAAAAAAAAAAA', experiment_id: 'bench', arm: 'treatment-a', arm_index: 1, propensity: 0.3333333333333333 };
const app = fastify({ logger: false, keepAliveTimeout: 65000 });
app.post('/select', (req, reply) => {
  reply.send(BODY);
});
app.listen({ port: Number(process.argv[2]), host: '127.0.0.1' });
process.on('SIGTERM', () => process.exit(0));
