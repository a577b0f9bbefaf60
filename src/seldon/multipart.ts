/**
 * @fastify/multipart for Seldon's form bodies, its per-request work done for multipart
 * requests only. The plugin adds two hooks to every route of the instance — preValidation
 * (read the parts into the body) and onResponse (remove files saved to disk) — both
 * async, so every request of the service, /select included, paid two promises and the
 * hook runner's promise handling for a check that answers "not multipart". Here the plugin
 * registers through a facade that keeps those two hooks, and the instance gets callback
 * hooks that call them only when the content-type parser marked the request multipart
 * (a request that is not has no parts to read and no files saved). Everything else (the
 * content-type parser, the request decorators, the limits) is the plugin's own.
 */
import multipart, { type FastifyMultipartAttachFieldsToBodyOptions, type FastifyMultipartOptions } from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

type AsyncHook = (this: FastifyInstance, req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

const ON_DEMAND = new Set(['preValidation', 'onResponse']);

export async function registerMultipart(fastify: FastifyInstance, options: FastifyMultipartOptions | FastifyMultipartAttachFieldsToBodyOptions): Promise<void> {
  const kept: Array<{ name: string; hook: AsyncHook }> = [];
  const plugin = (instance: FastifyInstance, _opts: unknown, done: (err?: Error) => void): void => {
    const facade: FastifyInstance = new Proxy(instance, {
      get(target, prop) {
        if (prop !== 'addHook') return Reflect.get(target, prop, target) as unknown;
        return (name: string, hook: AsyncHook) => {
          if (!ON_DEMAND.has(name)) return (target.addHook as (n: string, h: AsyncHook) => FastifyInstance)(name, hook);
          kept.push({ name, hook });
          return facade;
        };
      },
    });
    // the plugin's own function (not its fastify-plugin wrapper): it runs on this (unencapsulated) scope
    (multipart as unknown as { fastifyMultipart: (f: FastifyInstance, o: typeof options, d: (err?: Error) => void) => void }).fastifyMultipart(facade, options, done);
  };
  // on the instance itself, not an encapsulated child (what fastify-plugin marks): the parser and decorators serve every route
  (plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  await fastify.register(plugin);
  for (const { name, hook } of kept) {
    const onDemand = function (this: FastifyInstance, req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void {
      if (!req.isMultipart()) return done();
      hook.call(this, req, reply).then(() => done(), done);
    };
    fastify.addHook(name as 'preValidation', onDemand);
  }
}
