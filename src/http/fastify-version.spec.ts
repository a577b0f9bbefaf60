/**
 * The Fastify that Nest's adapter runs on must be one whose body parser does not call
 * AsyncResource#bind per request (Fastify < 5.12.2 does; on Node 20 every call builds
 * deprecation wrappers: CPU and garbage on every request with a body). The adapter pins
 * an older version exactly, so package.json overrides it.
 */
import { AsyncResource } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The fastify package the Nest adapter resolves (not whichever a top-level import finds). */
function adapterFastify(): { dir: string; version: string } {
  const adapterDir = dirname(require.resolve('@nestjs/platform-fastify/package.json'));
  const pkg = require.resolve('fastify/package.json', { paths: [adapterDir] });
  return { dir: dirname(pkg), version: (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version };
}

function atLeast(version: string, min: [number, number, number]): boolean {
  const v = version.split(/[.-]/).slice(0, 3).map(Number);
  for (let i = 0; i < 3; i++) if (v[i] !== min[i]) return v[i] > min[i];
  return true;
}

describe('the Fastify under @nestjs/platform-fastify', () => {
  it('is 5.12.2 or newer within major 5 (the package.json override)', () => {
    const { version } = adapterFastify();
    expect(version.startsWith('5.')).toBe(true);
    expect(atLeast(version, [5, 12, 2])).toBe(true);
  });

  it('parses a JSON body without calling AsyncResource#bind', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fastify = require(adapterFastify().dir) as (opts?: object) => import('fastify').FastifyInstance;
    const app = fastify({ logger: false });
    app.post('/echo', async (req) => req.body);
    await app.ready();
    const bind = jest.spyOn(AsyncResource.prototype, 'bind');
    try {
      const r = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"a":1}' });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toEqual({ a: 1 });
      expect(bind).not.toHaveBeenCalled();
    } finally {
      bind.mockRestore();
      await app.close();
    }
  });
});
