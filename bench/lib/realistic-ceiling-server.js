/**
 * The realistic ceiling of /select: a minimal bare Fastify + ioredis server doing exactly
 * /select's work and nothing else — parse the JSON body, check experiment_id, draw the arm
 * from the allocation (fixed here: 1/3 each, the allocation of three equal posteriors)
 * with the service's generator, mint the decision id, run the service's select script
 * through the service's own store code (ioredis, auto-pipelining, EVALSHA with the same
 * keys and arguments and the status check), reply with the same JSON. No Nest, no
 * metrics, no rate limit, no event drain, no allocation refresh.
 *
 *   node bench/lib/realistic-ceiling-server.js PORT REDIS_URL [DIST]
 */
'use strict';
const path = require('node:path');
const fastify = require('fastify');

const port = Number(process.argv[2]);
const redisUrl = process.argv[3];
const dist = path.resolve(process.argv[4] || path.join(__dirname, '..', '..', 'dist'));
const { DragonflyPosteriorStore } = require(path.join(dist, 'posterior-store', 'dragonfly.store.js'));
const { connectRedis } = require(path.join(dist, 'posterior-store', 'redis-client.js'));
const { encodeStatus, priorCounters } = require(path.join(dist, 'posterior-store', 'posterior-store.js'));
const { newDecisionId } = require(path.join(dist, 'posterior-store', 'decision-id.js'));
const { createRng, sampleCategorical } = require(path.join(dist, 'core', 'index.js'));

const EXPERIMENT = process.env.BENCH_EXPERIMENT || 'bench-realistic';
const ARMS = ['control', 'treatment-a', 'treatment-b'];
const PROBS = [1 / 3, 1 / 3, 1 / 3];
const RUNNING = { status: 'running', winner: null };

async function main() {
  const u = new URL(redisUrl);
  const client = connectRedis({ url: redisUrl, host: u.hostname, port: Number(u.port || 6379), db: Number(u.pathname.slice(1) || 0) });
  const store = new DragonflyPosteriorStore(client);
  await store.writeState(EXPERIMENT, priorCounters(ARMS.map(() => ({ alpha: 1, beta: 1 }))), RUNNING, 'overwrite');
  const expected = encodeStatus(RUNNING);
  const rng = createRng(7);
  const app = fastify({ logger: false, keepAliveTimeout: 65000 });
  app.post('/select', async (req, reply) => {
    const id = req.body && req.body.experiment_id;
    if (typeof id !== 'string' || id !== EXPERIMENT) return reply.status(404).send({ error: { code: 'not_found', message: 'unknown experiment' } });
    const arm = sampleCategorical(PROBS, rng);
    const d = newDecisionId(EXPERIMENT, arm);
    const outcome = await store.recordSelection({ experimentId: EXPERIMENT, decisionId: d.decisionId, token: d.token, arm, propensity: PROBS[arm], unitId: undefined, sticky: false, ttlSeconds: 7 * 24 * 3600, at: Date.now(), expectedStatus: expected });
    if (outcome.kind !== 'recorded') return reply.status(503).send({ error: { code: 'unavailable', message: outcome.kind } });
    return { decision_id: d.decisionId, experiment_id: EXPERIMENT, arm: ARMS[outcome.arm], arm_index: outcome.arm, propensity: outcome.propensity };
  });
  await app.listen({ port, host: '127.0.0.1' });
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
process.on('SIGTERM', () => process.exit(0));
