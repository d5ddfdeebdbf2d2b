import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Connection } from '../connection/connection.js';
import type { Gateway } from '../connection/gateway.js';
import type { Transport } from '../connection/transport.js';
import type { DomainEvents } from '../events/domain-events.js';
import type { TrustedProxies } from '../http/client-address.js';
import type { Logger } from '../logging/logger.js';
import { CloseCodes, SocketErrors } from '../protocol/errors.js';
import { splitTarget } from '../protocol/request-target.js';
import { fitCloseReason, textFrame } from './websocket-frame.js';

const APP_PATH = /^\/app\/([^/?]+)\/?$/;

/** A client whose unsent data passes this is not reading; it is cut rather than let grow. */
export const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * A cut client's close frame waits behind everything it has not read. It
 * gets this long to read up to it (and so learn the close code); then its
 * socket is destroyed, so that its buffer is freed well before the 30 s
 * closing handshake timeout of ws would do it.
 */
const SLOW_CONSUMER_GRACE_MS = 5_000;

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

// A broadcast hands the same frame string to every subscriber: encode and
// frame it once, then write the same bytes to every socket.
let lastFrame = '';
let lastFrameBytes = textFrame(Buffer.alloc(0));

function framed(frame: string): Buffer {
  if (frame !== lastFrame) {
    lastFrame = frame;
    lastFrameBytes = textFrame(Buffer.from(frame));
  }
  return lastFrameBytes;
}

/** Told when a client is cut for not reading; one function for the whole server, not one per connection. */
type SlowConsumerReport = (conn: Connection, bufferedBytes: number, limit: number) => void;

function destroySocket(this: Duplex): void {
  this.destroy();
}

class WebSocketTransport implements Transport {
  readonly kind = 'ws' as const;
  /** The client this socket carries, once the gateway admitted it. */
  connection: Connection | null = null;

  /** permessage-deflate was agreed with this client: frames are compressed for it alone, by ws. */
  private readonly compressed: boolean;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Socket,
    /** The client's address, read once from the upgrade request (the forwarded one behind a trusted proxy). */
    readonly remoteAddress: string | undefined,
    private readonly maxBufferedBytes: number,
    private readonly reportSlowConsumer: SlowConsumerReport,
  ) {
    this.compressed = ws.extensions.includes('permessage-deflate');
  }

  send(frame: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const buffered = this.ws.bufferedAmount;
    if (buffered > this.maxBufferedBytes) {
      this.cutSlowConsumer(buffered);
      return;
    }
    if (this.compressed) {
      // ws compresses asynchronously and queues its own frames behind, so
      // everything for this client goes through it, in order.
      this.ws.send(frame);
      return;
    }
    corkUntilTurnEnds(this.socket);
    // Straight to the socket: uncompressed, ws writes its own frames (pongs,
    // close) synchronously too, so frames keep their order.
    this.socket.write(framed(frame));
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.CLOSED || this.ws.readyState === this.ws.CLOSING) return;
    // The limit of a close frame is this transport's business: callers pass their error's message whatever its length.
    this.ws.close(code, fitCloseReason(reason));
  }

  private cutSlowConsumer(buffered: number): void {
    this.close(SocketErrors.overCapacity.code, 'Over capacity: the client is not reading its messages');
    const grace = setTimeout(() => this.ws.terminate(), SLOW_CONSUMER_GRACE_MS);
    grace.unref();
    this.ws.once('close', () => clearTimeout(grace));
    if (this.connection) this.reportSlowConsumer(this.connection, buffered, this.maxBufferedBytes);
  }
}

export interface WebSocketOptions {
  readonly maxFrameBytes: number;
  /** Unsent bytes a client may have waiting before it is cut (4100); DEFAULT_MAX_BUFFERED_BYTES when not given. */
  readonly maxBufferedBytes?: number;
  /** Agree to permessage-deflate with clients that offer it (off when not given). */
  readonly perMessageDeflate?: boolean;
  /** Whose X-Forwarded-For names the client (for its per-address limits); none when not given. */
  readonly trustedProxies?: TrustedProxies;
}

/** Accepts WebSocket upgrades on `/app/{key}` and hands each socket to the gateway. */
export class WebSocketTransportServer {
  private readonly wss: WebSocketServer;

  constructor(
    private readonly gateway: Gateway,
    private readonly log: Logger,
    private readonly options: WebSocketOptions,
    private readonly activity?: DomainEvents,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxFrameBytes,
      clientTracking: true,
      // When on: frames under 1 KiB are sent as they are, and no zlib context
      // is kept between messages, which bounds its memory per connection.
      perMessageDeflate: options.perMessageDeflate ? { threshold: 1024, serverNoContextTakeover: true, clientNoContextTakeover: true } : false,
    });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A plain function, not a closure: a listener that lives as long as the
    // socket must not keep this scope (and with it the upgrade request, some
    // 2 KB of headers) alive for the whole connection.
    socket.on('error', destroySocket);
    // Corked until this turn ends, the handshake answer and
    // connection_established leave as one write: one syscall and one
    // wake-up of the client instead of two.
    corkUntilTurnEnds(socket as Socket);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      void this.accept(ws, req, socket as Socket);
    });
  }

  private async accept(ws: WebSocket, req: IncomingMessage, socket: Socket): Promise<void> {
    const { pathname, query } = splitTarget(req.url ?? '/');
    const match = APP_PATH.exec(pathname);
    const maxBufferedBytes = this.options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    const remoteAddress = this.options.trustedProxies?.of(req) ?? socket.remoteAddress;
    const transport = new WebSocketTransport(ws, socket, remoteAddress, maxBufferedBytes, this.reportSlowConsumer);
    ws.on('error', this.logSocketError);
    // Two closures per connection and no more: each is kept for the
    // connection's whole life. Frames that arrive while the app is being
    // looked up wait in `early`.
    let conn: Connection | null = null;
    const early: string[] = [];
    ws.on('message', (data: Buffer) => {
      if (conn) this.gateway.receive(conn, data.toString());
      else early.push(data.toString());
    });
    let appKey: string | null = null;
    if (match?.[1]) {
      try {
        appKey = decodeURIComponent(match[1]);
      } catch {
        appKey = match[1];
      }
    }
    try {
      conn = await this.gateway.open(transport, { appKey, query, origin: req.headers.origin });
    } catch (err) {
      this.log.error({ err }, 'accepting a connection failed');
      ws.close(CloseCodes.serverError, 'internal error');
    }
    if (!conn || ws.readyState !== ws.OPEN) {
      // Refused or gone: whatever it still sends while closing is dropped, not kept.
      ws.removeAllListeners('message');
      if (conn) this.gateway.closed(conn);
      return;
    }
    const admitted = conn;
    transport.connection = admitted;
    ws.on('close', () => this.gateway.closed(admitted));
    for (const text of early.splice(0)) this.gateway.receive(admitted, text);
  }

  private readonly logSocketError = (err: Error): void => {
    this.log.debug({ err }, 'websocket error');
  };

  // Never silent: the client gets 4100, the operator a log line, metrics and the console an activity event.
  private readonly reportSlowConsumer: SlowConsumerReport = (conn, bufferedBytes, limit) => {
    this.log.warn({ appId: conn.app.id, socketId: conn.socketId, bufferedBytes, limit }, 'slow consumer cut: the client is not reading');
    this.activity?.emit('slow_consumer_cut', { appId: conn.app.id, socketId: conn.socketId, transport: 'ws', bufferedBytes, limit });
  };

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.close(SocketErrors.serverShuttingDown.code, 'Server shutting down');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
