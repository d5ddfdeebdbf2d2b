// Where every connection to Herald's port arrives first. Its first bytes say
// what it is: a plain WebSocket upgrade to `/app/{key}` goes to the direct
// path (direct.ts); anything else (HTTP API calls, the console, the HTTP
// fallback, health checks, WebSockets with compression or a subprotocol, a
// malformed request) goes on, bytes untouched, to Node's HTTP server exactly
// as if it had accepted the connection itself, with its parser, its limits
// and its timeouts.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { DirectWebSocketServer } from './direct.js';
import { readUpgradeHead, type HeadRules } from './upgrade-head.js';

/**
 * A connection that has not sent a whole request head within this much (and
 * at most twice this) is handed to the HTTP server, whose own request
 * timeouts then apply, as they would have from the start.
 */
export const HEAD_WAIT_MS = 5_000;

/** A connection whose first bytes are awaited. */
class Arrival {
  bytes: Buffer | null = null;

  constructor(
    readonly socket: Socket,
    readonly onData: (chunk: Buffer) => void,
  ) {}
}

function ignoreError(): void {
  // The socket is destroyed by node:net on error; until it is handed on, nobody else needs to know.
}

export class FrontDoor {
  /** Node's own connection handling of the HTTP server, called for what is not a plain WebSocket. */
  private readonly httpConnection: (socket: Socket) => void;
  /** Arrivals still awaited, in two generations: each sweep hands the older one on. */
  private waiting = new Set<Arrival>();
  private older = new Set<Arrival>();
  private readonly sweep: NodeJS.Timeout;

  /**
   * Takes over the HTTP server's connections: `event` is the one its
   * connection handler listens to ('connection', or 'secureConnection' for
   * HTTPS, where the socket is already the decrypted one).
   */
  constructor(
    private readonly http: Server,
    private readonly direct: DirectWebSocketServer,
    private readonly rules: HeadRules,
    event: 'connection' | 'secureConnection',
  ) {
    const listeners = http.listeners(event) as ((socket: Socket) => void)[];
    if (listeners.length !== 1) throw new Error(`expected Node's one '${event}' listener on the HTTP server, found ${listeners.length}`);
    this.httpConnection = listeners[0]!;
    http.removeListener(event, this.httpConnection);
    http.on(event, (socket: Socket) => this.arrive(socket));
    this.sweep = setInterval(() => this.handOnOlder(), HEAD_WAIT_MS);
    this.sweep.unref();
  }

  close(): void {
    clearInterval(this.sweep);
    for (const generation of [this.older, this.waiting]) for (const arrival of generation) this.handOn(arrival);
  }

  private arrive(socket: Socket): void {
    const arrival: Arrival = new Arrival(socket, (chunk) => this.read(arrival, chunk));
    socket.on('data', arrival.onData);
    socket.on('error', ignoreError);
    this.waiting.add(arrival);
  }

  private read(arrival: Arrival, chunk: Buffer): void {
    const bytes = arrival.bytes === null ? chunk : Buffer.concat([arrival.bytes, chunk]);
    const head = readUpgradeHead(bytes, this.rules);
    if (head === 'incomplete') {
      arrival.bytes = bytes;
      return;
    }
    if (head === 'elsewhere') {
      arrival.bytes = bytes;
      this.handOn(arrival);
      return;
    }
    this.settle(arrival);
    this.direct.accept(arrival.socket, head, bytes.subarray(head.length));
  }

  /** To Node's HTTP server, with the bytes read so far put back in front of the rest. */
  private handOn(arrival: Arrival): void {
    const { socket } = arrival;
    this.settle(arrival);
    if (socket.destroyed) return;
    socket.pause();
    if (arrival.bytes !== null) socket.unshift(arrival.bytes);
    this.httpConnection.call(this.http, socket);
    // Node's handler reads from here on; what was put back is read first.
    socket.resume();
  }

  private settle(arrival: Arrival): void {
    arrival.socket.removeListener('data', arrival.onData);
    arrival.socket.removeListener('error', ignoreError);
    this.waiting.delete(arrival);
    this.older.delete(arrival);
  }

  private handOnOlder(): void {
    const older = this.older;
    this.older = this.waiting;
    this.waiting = new Set();
    for (const arrival of older) this.handOn(arrival);
  }
}
