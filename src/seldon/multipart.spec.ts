import Fastify, { type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import { registerMultipart } from './multipart';

const OPTIONS = { attachFieldsToBody: 'keyValues' as const, limits: { fieldSize: 1000, fileSize: 1000, files: 4, fields: 16, parts: 20 } };
const BOUNDARY = '----bandit-test-boundary';

function form(parts: Array<{ name: string; value: string; filename?: string }>): string {
  return (
    parts
      .map((p) => `--${BOUNDARY}\r\ncontent-disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"\r\ncontent-type: application/octet-stream` : ''}\r\n\r\n${p.value}\r\n`)
      .join('') + `--${BOUNDARY}--\r\n`
  );
}

async function app(register: (f: FastifyInstance) => Promise<void>): Promise<{ f: FastifyInstance }> {
  const f = Fastify({ logger: false });
  await register(f);
  f.post('/echo', async (req) => ({ body: req.body, multipart: req.isMultipart() }));
  await f.ready();
  return { f };
}

const REQUESTS = [
  { payload: form([{ name: 'json', value: '{"data":{"ndarray":[[1]]}}' }]), headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } },
  { payload: form([{ name: 'data', value: 'x' }, { name: 'blob', value: 'bytes', filename: 'b.bin' }]), headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } },
  { payload: `--${BOUNDARY}\r\ncontent-disposition: form-data; name="a"\r\n\r\nunterminated`, headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } },
  { payload: form(Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, value: 'v' }))), headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } },
  { payload: '{"experiment_id":"x"}', headers: { 'content-type': 'application/json' } },
];

describe('registerMultipart', () => {
  it('answers every request as the plugin registered as it is does (fields, files, malformed bodies, limits, JSON)', async () => {
    const plain = await app(async (f) => {
      await f.register(multipart, OPTIONS);
    });
    const onDemand = await app((f) => registerMultipart(f, OPTIONS));
    try {
      for (const r of REQUESTS) {
        const [a, b] = await Promise.all([plain.f, onDemand.f].map((f) => f.inject({ method: 'POST', url: '/echo', ...r })));
        expect({ status: b.statusCode, body: b.json() as unknown }).toEqual({ status: a.statusCode, body: a.json() as unknown });
      }
      // the multipart bodies were read into keyValues
      const first = await onDemand.f.inject({ method: 'POST', url: '/echo', ...REQUESTS[0] });
      expect(first.json()).toEqual({ body: { json: '{"data":{"ndarray":[[1]]}}' }, multipart: true });
    } finally {
      await plain.f.close();
      await onDemand.f.close();
    }
  });
});
