import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Connection } from '../../connection/connection.js';
import type { Gateway } from '../../connection/gateway.js';
import { MAX_FRAMES_BEFORE_ADMISSION, type Transport } from '../../connection/transport.js';
import type { DomainEvents } from '../../events/domain-events.js';
import type { TrustedProxies } from '../../http/client-address.js';
import type { Logger } from '../../logging/logger.js';
import { CloseCodes, SocketErrors } from '../../protocol/errors.js';
import { connectRequest } from './connect-request.js';
import { fitCloseReason } from './frame-writer.js';
import { corkUntilTurnEnds, DEFAULT_MAX_BUFFERED_BYTES, framed, reportSlowConsumer, SLOW_CONSUMER_GRACE_MS } from './socket-writes.js';

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
      else if (early.length < MAX_FRAMES_BEFORE_ADMISSION) early.push(data.toString());
      else ws.close(CloseCodes.policyViolation, `more than ${MAX_FRAMES_BEFORE_ADMISSION} messages before the connection was established`);
    });
    try {
      conn = await this.gateway.open(transport, connectRequest(req.url ?? '/', req.headers.origin));
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

  private readonly reportSlowConsumer: SlowConsumerReport = (conn, bufferedBytes, limit) => {
    reportSlowConsumer(this.log, this.activity, conn, bufferedBytes, limit);
  };

  /** Tells every client the server is going away (4200); resolves once all of them are gone. */
  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.close(SocketErrors.serverShuttingDown.code, 'Server shutting down');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  /** Cuts the clients still there (the shutdown deadline has passed). */
  terminateAll(): void {
    for (const ws of this.wss.clients) ws.terminate();
  }
}
