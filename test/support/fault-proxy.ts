/**
 * A TCP proxy to a server (Redis) that can misbehave on demand: `dropReplyWith(marker)`
 * swallows the next reply chunk containing `marker` and resets both sides (the server ran
 * the command, the client never hears of it); `stall(true)` holds everything in both
 * directions while connections stay open (a server that accepts but never answers, until
 * `stall(false)` lets it all through in order).
 */
import * as net from 'node:net';

export class FaultProxy {
  port = 0;
  drops = 0;
  private stalled = false;
  private marker: string | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly server = net.createServer((client) => {
    const up = net.connect(this.targetPort, '127.0.0.1');
    this.sockets.add(client).add(up);
    const end = () => {
      client.destroy();
      up.destroy();
      this.sockets.delete(client);
      this.sockets.delete(up);
    };
    for (const s of [client, up]) {
      s.on('error', end);
      s.on('close', end);
    }
    if (this.stalled) {
      client.pause();
      up.pause();
    }
    client.on('data', (chunk: Buffer) => up.write(chunk));
    up.on('data', (chunk: Buffer) => {
      if (this.marker !== undefined && chunk.includes(this.marker)) {
        this.marker = undefined;
        this.drops++;
        end();
        return;
      }
      client.write(chunk);
    });
  });

  constructor(private readonly targetPort: number) {}

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
    return this;
  }

  stall(on: boolean): void {
    this.stalled = on;
    for (const s of this.sockets) {
      if (on) s.pause();
      else s.resume();
    }
  }

  dropReplyWith(marker: string): void {
    this.marker = marker;
  }

  /** `url` with host and port replaced by this proxy's. */
  via(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
