/**
 * `grpc.health.v1.Health` for the code server: SERVING for the overall server ("") and for
 * `api.DagsterApi`; NOT_SERVING once shutdown started. Watch streams the status and ends on cancel.
 */
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from './proto';

type Status = 'SERVING' | 'NOT_SERVING';
const KNOWN = new Set(['', 'api.DagsterApi']);

export class HealthService {
  private status: Status = 'SERVING';
  private readonly watchers = new Set<grpc.ServerWritableStream<{ service: string }, { status: string }>>();

  setServing(serving: boolean): void {
    this.status = serving ? 'SERVING' : 'NOT_SERVING';
    for (const w of this.watchers) w.write({ status: this.status });
  }

  addToServer(server: grpc.Server): void {
    server.addService(loadProtos().health, {
      Check: (call: grpc.ServerUnaryCall<{ service: string }, { status: string }>, cb: grpc.sendUnaryData<{ status: string }>) => {
        if (!KNOWN.has(call.request.service ?? '')) return cb({ code: grpc.status.NOT_FOUND, details: `unknown service ${call.request.service}` });
        cb(null, { status: this.status });
      },
      Watch: (call: grpc.ServerWritableStream<{ service: string }, { status: string }>) => {
        call.write({ status: KNOWN.has(call.request.service ?? '') ? this.status : 'SERVICE_UNKNOWN' });
        this.watchers.add(call);
        call.on('cancelled', () => this.watchers.delete(call));
      },
    });
  }
}
