import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Gateway } from '../connection/gateway.js';
import type { Transport } from '../connection/transport.js';
import type { Logger } from '../observability/logger.js';

const APP_PATH = /^\/app\/([^/?]+)\/?$/;

/** A client whose unsent data passes this is not reading; it is cut rather than let grow. */
const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

// Frames written to a socket during one event-loop turn leave together: the
// socket is corked on its first write of the turn and uncorked once the turn
// is over, so a burst of events costs one syscall per socket, not one each.
const corkedSockets = new Set<Socket>();
let uncorkScheduled = false;

function corkUntilTurnEnds(socket: Socket): void {
  if (corkedSockets.has(socket)) return;
  socket.cork();
  corkedSockets.add(socket);
  if (!uncorkScheduled) {
    uncorkScheduled = true;
    setImmediate(uncorkAll);
  }
}

function uncorkAll(): void {
  uncorkScheduled = false;
  for (const socket of corkedSockets) socket.uncork();
  corkedSockets.clear();
}

// A broadcast hands the same frame string to every subscriber: encode it to
// bytes once, not once per socket.
let lastFrame = '';
let lastFrameBytes = Buffer.alloc(0);

function frameBytes(frame: string): Buffer {
  if (frame !== lastFrame) {
    lastFrame = frame;
    lastFrameBytes = Buffer.from(frame);
  }
  return lastFrameBytes;
}

class WebSocketTransport implements Transport {
  readonly kind = 'ws' as const;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Socket,
    private readonly maxBufferedBytes: number,
  ) {}

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  send(frame: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.maxBufferedBytes) {
      this.close(4100, 'Over capacity: the client is not reading its messages');
      return;
    }
    corkUntilTurnEnds(this.socket);
    this.ws.send(frameBytes(frame), { binary: false });
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.CLOSED || this.ws.readyState === this.ws.CLOSING) return;
    this.ws.close(code, reason);
  }
}

export interface WebSocketOptions {
  readonly maxFrameBytes: number;
  readonly maxBufferedBytes?: number;
}

/** Accepts WebSocket upgrades on `/app/{key}` and hands each socket to the gateway. */
export class WebSocketTransportServer {
  private readonly wss: WebSocketServer;

  constructor(
    private readonly gateway: Gateway,
    private readonly log: Logger,
    private readonly options: WebSocketOptions,
  ) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxFrameBytes, clientTracking: true, perMessageDeflate: false });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      void this.accept(ws, req, socket as Socket);
    });
  }

  private async accept(ws: WebSocket, req: IncomingMessage, socket: Socket): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = APP_PATH.exec(url.pathname);
    const transport = new WebSocketTransport(ws, socket, this.options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES);
    ws.on('error', (err) => this.log.debug({ err }, 'websocket error'));
    // Frames that arrive while the app is being looked up wait here.
    const early: string[] = [];
    ws.on('message', (data: Buffer) => early.push(data.toString()));
    let appKey: string | null = null;
    if (match?.[1]) {
      try {
        appKey = decodeURIComponent(match[1]);
      } catch {
        appKey = match[1];
      }
    }
    const conn = await this.gateway.open(transport, {
      appKey,
      query: url.searchParams,
      origin: req.headers.origin,
    }).catch((err: unknown) => {
      this.log.error({ err }, 'accepting a connection failed');
      ws.close(1011, 'internal error');
      return null;
    });
    ws.removeAllListeners('message');
    if (!conn) return;
    if (ws.readyState !== ws.OPEN) {
      this.gateway.closed(conn);
      return;
    }
    ws.on('message', (data: Buffer) => this.gateway.receive(conn, data.toString()));
    ws.on('close', () => this.gateway.closed(conn));
    for (const text of early) this.gateway.receive(conn, text);
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.close(4200, 'Server shutting down');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
