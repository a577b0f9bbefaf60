/**
 * The Dagster code server (`bandit code-server`) under hostile gRPC input: random bytes,
 * truncated protobuf, well-formed protobuf carrying broken serdes JSON (through a grpc-js
 * client with a pass-through serializer), and raw HTTP/2 streams whose gRPC frame lies
 * about its length or is cut off. Each gets an error status; the server stays up and
 * answers Ping after every batch.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { BANDIT_BIN, describeIf, hasBuiltCli } from '../../support/env';
import { freePort, waitFor } from '../../support/processes';

jest.setTimeout(180_000);

/** Methods whose request carries a serialized Dagster object: garbage there is an error. */
const JSON_METHODS = [
  'ExternalRepository',
  'StreamingExternalRepository',
  'ExecutionPlanSnapshot',
  'ExternalJob',
  'ExternalPipelineSubsetSnapshot',
  'ExternalPartitionNames',
  'ExternalPartitionConfig',
  'ExternalPartitionTags',
  'SyncExternalScheduleExecution',
  'SyncExternalSensorExecution',
  'StartRun',
  'CancelExecution',
  'CanCancelExecution',
];
// (ListRepositoriesRequest is an empty message: whatever decodes is a valid request.)
const STREAMING = new Set(['StreamingExternalRepository']);

const identity = (b: Buffer) => b;

/** protobuf: field 1, wire type 2 (length-delimited), the bytes. */
function field1(bytes: Buffer): Buffer {
  const len: number[] = [];
  let n = bytes.length;
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n > 0) b |= 0x80;
    len.push(b);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x0a, ...len]), bytes]);
}

interface Reply {
  code: number;
  details: string;
  body?: Buffer;
}

describeIf(() => hasBuiltCli())('code server under hostile gRPC payloads', () => {
  let child: ChildProcess;
  let port: number;
  let client: grpc.Client;
  let out = '';
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bandit-rel-grpc-'));

  function unary(method: string, payload: Buffer, deadlineMs = 10_000): Promise<Reply> {
    const p = `/api.DagsterApi/${method}`;
    return new Promise((resolve) => {
      if (STREAMING.has(method)) {
        const call = client.makeServerStreamRequest(p, identity, identity, payload, new grpc.Metadata(), { deadline: Date.now() + deadlineMs });
        const chunks: Buffer[] = [];
        call.on('data', (d: Buffer) => chunks.push(d));
        call.on('error', (e: grpc.ServiceError) => resolve({ code: e.code, details: e.details }));
        call.on('end', () => resolve({ code: grpc.status.OK, details: '', body: Buffer.concat(chunks) }));
        return;
      }
      client.makeUnaryRequest(p, identity, identity, payload, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err, res) => {
        if (err) resolve({ code: err.code, details: err.details });
        else resolve({ code: grpc.status.OK, details: '', body: res });
      });
    });
  }

  async function expectPing(): Promise<void> {
    const echo = `still-here-${randomBytes(4).toString('hex')}`;
    const r = await unary('Ping', field1(Buffer.from(echo)));
    expect(r.code).toBe(grpc.status.OK);
    expect(r.body?.includes(Buffer.from(echo))).toBe(true);
    expect(child.exitCode).toBeNull();
  }

  beforeAll(async () => {
    port = await freePort();
    child = spawn(process.execPath, [BANDIT_BIN, 'code-server', '--port', String(port), '--host', '127.0.0.1'], {
      env: { PATH: process.env.PATH, HOME: home, DAGSTER_HOME: home, BANDIT_DATA_DIR: path.join(home, 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    await waitFor(
      'the code server to answer Ping',
      async () => (await unary('Ping', field1(Buffer.from('up')), 1000)).code === grpc.status.OK,
      60_000,
      250,
    );
  });

  afterAll(async () => {
    client?.close();
    if (child && child.exitCode === null) {
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await done;
    }
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('random bytes as the request of every method that reads serialized objects: an error status', async () => {
    const oks: string[] = [];
    for (const method of JSON_METHODS) {
      for (let i = 0; i < 12; i++) {
        const payload = randomBytes(1 + ((i * 97) % 400));
        const r = await unary(method, payload);
        if (r.code === grpc.status.OK) oks.push(`${method} ${payload.toString('hex')}`);
      }
      await expectPing();
    }
    expect(oks).toEqual([]);
  });

  it('well-formed protobuf carrying broken serdes JSON: an error status naming the problem', async () => {
    const broken = ['', '{', 'null', '[]', '"x"', '{"__class__": "NoSuchThing"}', '{"__class__": "ExecuteRunArgs"}', 'x'.repeat(100_000), '\u0000\uffff', JSON.stringify({ __class__: 'RepositoryPythonOrigin', a: { b: { c: [1, 2, 3] } } })];
    const oks: string[] = [];
    for (const method of JSON_METHODS) {
      for (const s of broken) {
        const r = await unary(method, field1(Buffer.from(s)));
        if (r.code === grpc.status.OK) oks.push(`${method} ${JSON.stringify(s.slice(0, 40))}`);
        else expect(r.details.length).toBeGreaterThan(0);
      }
    }
    expect(oks).toEqual([]);
    await expectPing();
  });

  it('truncated protobuf (a length prefix longer than the bytes): an error status', async () => {
    const whole = field1(Buffer.from(JSON.stringify({ __class__: 'ExecuteRunArgs', job_origin: 'x'.repeat(300) })));
    for (const method of JSON_METHODS) {
      for (const cut of [1, 2, 5, Math.floor(whole.length / 2), whole.length - 1]) {
        const r = await unary(method, whole.subarray(0, cut));
        expect(r.code).not.toBe(grpc.status.OK);
      }
    }
    // (protobufjs reads a cut-off string field as the bytes present, so a truncated Ping
    // echoes them: answered either way, never a crash)
    await unary('Ping', field1(Buffer.from('abcdef')).subarray(0, 4));
    await expectPing();
  });

  it('raw HTTP/2: a gRPC frame cut short, a frame claiming 4 GB, a compressed frame without an encoding', async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const send = (frame: Buffer, pathName = '/api.DagsterApi/ExternalRepository', extra: Record<string, string> = {}) =>
      new Promise<{ status: string | undefined; grpcStatus: string | undefined; message: string | undefined }>((resolve, reject) => {
        const req = session.request({ ':method': 'POST', ':path': pathName, 'content-type': 'application/grpc', te: 'trailers', ...extra });
        let headers: http2.IncomingHttpHeaders = {};
        req.on('response', (h) => (headers = h));
        req.on('trailers', (t) => (headers = { ...headers, ...t }));
        req.on('data', () => undefined);
        req.on('end', () => resolve({ status: String(headers[':status']), grpcStatus: headers['grpc-status'] as string | undefined, message: headers['grpc-message'] as string | undefined }));
        req.on('error', reject);
        req.setTimeout(10_000, () => req.close(http2.constants.NGHTTP2_CANCEL));
        req.end(frame);
      });
    const header = (compressed: number, length: number) => {
      const h = Buffer.alloc(5);
      h[0] = compressed;
      h.writeUInt32BE(length, 1);
      return h;
    };
    const body = field1(Buffer.from('{"__class__": "RepositoryPythonOrigin"}'));
    try {
      const cases = [
        Buffer.concat([header(0, body.length + 50), body]), // claims more than it sends
        Buffer.concat([header(0, 0xffffffff), body]), // 4 GB
        Buffer.concat([header(1, body.length), body]), // compressed flag, no grpc-encoding
        Buffer.from([0x00, 0x00]), // half a frame header
        randomBytes(64),
      ];
      for (const frame of cases) {
        const r = await send(frame);
        expect(r.grpcStatus).toBeDefined();
        expect(r.grpcStatus).not.toBe('0');
      }
      // an unknown method is UNIMPLEMENTED
      expect((await send(Buffer.concat([header(0, body.length), body]), '/api.DagsterApi/NoSuchMethod')).grpcStatus).toBe(String(grpc.status.UNIMPLEMENTED));
    } finally {
      session.close();
    }
    await expectPing();
    expect(out).not.toMatch(/uncaught|unhandled/i);
  });
});
