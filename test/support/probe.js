// Answers whether a service is reachable, for the synchronous suite-level checks in
// services.ts: `node probe.js redis|postgres URL` exits 0 when it answers, else prints why
// on stderr and exits 1.
const [kind, url] = process.argv.slice(2);

async function main() {
  if (kind === 'redis') {
    const Redis = require('ioredis');
    const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null });
    let cause = null;
    r.on('error', (e) => (cause = e));
    try {
      await r.connect().catch((e) => {
        throw cause ?? e;
      });
      const pong = await r.ping();
      if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
    } finally {
      r.disconnect();
    }
  } else if (kind === 'postgres') {
    const { Client } = require('pg');
    const c = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await c.connect();
      await c.query('select 1');
    } finally {
      await c.end().catch(() => undefined);
    }
  } else {
    throw new Error(`unknown service kind ${kind}`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(String((err && (err.message || err.code)) || err).split('\n')[0] || 'no answer');
    process.exit(1);
  },
);
