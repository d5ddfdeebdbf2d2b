// WebSockets served straight on the TCP (or TLS) socket: Herald answers the
// handshake itself and reads and writes frames itself. A connection then
// costs a socket, one small object and a frame reader; no HTTP request
// object, no stream objects of a WebSocket library. This is the path of
// every client that asks for a plain WebSocket to `/app/{key}` (the front
// door decides, see front-door.ts); the others are served by `ws`.
import type { Socket } from 'node:net';
import type { Connection } from '../../connection/connection.js';
import type { Gateway } from '../../connection/gateway.js';
import { MAX_FRAMES_BEFORE_ADMISSION, type Transport } from '../../connection/transport.js';
import type { DomainEvents } from '../../events/domain-events.js';
import type { TrustedProxies } from '../../http/client-address.js';
import type { Logger } from '../../logging/logger.js';
import { CloseCodes, SocketErrors } from '../../protocol/errors.js';
import { connectRequest } from './connect-request.js';
import { FrameReader, type FrameReaderSink } from './frame-reader.js';
import { closeFrame, pongFrame } from './frame-writer.js';
import { corkUntilTurnEnds, DEFAULT_MAX_BUFFERED_BYTES, framed, reportSlowConsumer, SLOW_CONSUMER_GRACE_MS } from './socket-writes.js';
import { switchingProtocols, type UpgradeHead } from './upgrade-head.js';

/**
 * After Herald sent its close frame, how long the client has to answer with
 * its own (and to read what was queued before it) before the socket is
 * destroyed.
 */
const CLOSING_TIMEOUT_MS = SLOW_CONSUMER_GRACE_MS;

const OPEN = 0;
/** Herald's close frame is sent (or the client's received): no frames go out or are read in but the close. */
const CLOSING = 1;
const CLOSED = 2;

export interface DirectWebSocketOptions {
  readonly maxFrameBytes: number;
  readonly maxBufferedBytes?: number;
  readonly trustedProxies?: TrustedProxies;
}

/** The transport of one client; the socket's listeners find it here, so they are shared, not one closure each. */
const CARRIED = Symbol('herald.websocket');
type CarrierSocket = Socket & { [CARRIED]?: DirectWebSocket };

function onData(this: CarrierSocket, chunk: Buffer): void {
  this[CARRIED]?.reader.push(chunk);
}

function onClose(this: CarrierSocket): void {
  this[CARRIED]?.socketClosed();
}

function onError(this: CarrierSocket, err: Error): void {
  this[CARRIED]?.server.socketError(err);
}

const TOO_MANY_EARLY_FRAMES = `more than ${MAX_FRAMES_BEFORE_ADMISSION} messages before the connection was established`;

class DirectWebSocket implements Transport, FrameReaderSink {
  readonly kind = 'ws' as const;
  readonly reader: FrameReader;
  /** The client this socket carries, once the gateway admitted it. */
  connection: Connection | null = null;
  /** Until the gateway decided: frames that arrived while the app was looked up (created on the first). */
  private deciding = true;
  private early: string[] | null = null;
  private state = OPEN;
  private closingTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly socket: Socket,
    /** The client's address, read once from the upgrade request (the forwarded one behind a trusted proxy). */
    readonly remoteAddress: string | undefined,
    readonly server: DirectWebSocketServer,
  ) {
    this.reader = new FrameReader(server.maxFrameBytes, this);
  }

  get isOpen(): boolean {
    return this.state === OPEN;
  }

  send(frame: string): void {
    // Not writable: the client half-closed and node:net ended this side; its close event is on its way.
    if (this.state !== OPEN || !this.socket.writable) return;
    const buffered = this.socket.writableLength;
    if (buffered > this.server.maxBufferedBytes) {
      this.cutSlowConsumer(buffered);
      return;
    }
    corkUntilTurnEnds(this.socket);
    this.socket.write(framed(frame));
  }

  close(code: number, reason: string): void {
    if (this.state !== OPEN) return;
    this.state = CLOSING;
    this.write(closeFrame(code, reason));
    // The client answers with its close frame; then the socket ends. One that does not answer is not waited for long.
    this.destroyLater();
  }

  // Frames read from the socket (FrameReaderSink).

  message(text: string): void {
    if (this.state !== OPEN) return;
    if (this.connection) this.server.gateway.receive(this.connection, text);
    else if (this.deciding) this.keepEarly(text);
  }

  ping(payload: Buffer): void {
    if (this.state !== OPEN) return;
    this.write(pongFrame(payload));
  }

  closeReceived(code: number, reason: string): void {
    // Answered with the same code, as §5.5.1 asks; then Herald, the server, ends the TCP connection first (§7.1.1).
    if (this.state === OPEN) {
      this.state = CLOSING;
      this.write(closeFrame(code, reason));
      // Its side of the TCP connection is the client's to end; one that does not is not waited for long.
      this.destroyLater();
    }
    this.socket.end();
  }

  violation(code: number, reason: string): void {
    // Failing the connection (§7.1.7): the close frame says why, then the socket ends without waiting for an answer.
    this.close(code, reason);
    this.socket.end();
  }

  /** Admitted by the gateway: the frames that came meanwhile are handed over, in order. */
  admitted(conn: Connection): void {
    this.connection = conn;
    this.deciding = false;
    const early = this.early;
    this.early = null;
    if (early) for (const text of early) this.server.gateway.receive(conn, text);
  }

  refused(): void {
    this.deciding = false;
    this.early = null;
  }

  destroy(): void {
    this.socket.destroy();
  }

  socketClosed(): void {
    this.state = CLOSED;
    this.reader.stop();
    if (this.closingTimer) clearTimeout(this.closingTimer);
    this.server.forget(this);
  }

  private keepEarly(text: string): void {
    const early = (this.early ??= []);
    if (early.length < MAX_FRAMES_BEFORE_ADMISSION) early.push(text);
    else this.violation(CloseCodes.policyViolation, TOO_MANY_EARLY_FRAMES);
  }

  private destroyLater(): void {
    this.closingTimer = setTimeout(destroyCarried, CLOSING_TIMEOUT_MS, this.socket);
    this.closingTimer.unref();
  }

  private write(bytes: Buffer): void {
    if (!this.socket.writable) return;
    corkUntilTurnEnds(this.socket);
    this.socket.write(bytes);
  }

  private cutSlowConsumer(buffered: number): void {
    this.close(SocketErrors.overCapacity.code, 'Over capacity: the client is not reading its messages');
    if (this.connection) reportSlowConsumer(this.server.log, this.server.activity, this.connection, buffered, this.server.maxBufferedBytes);
  }
}

function destroyCarried(socket: Socket): void {
  socket.destroy();
}

/** Serves the WebSockets the front door hands over, from the handshake to the close. */
export class DirectWebSocketServer {
  readonly maxFrameBytes: number;
  readonly maxBufferedBytes: number;
  private readonly open = new Set<DirectWebSocket>();

  constructor(
    readonly gateway: Gateway,
    readonly log: Logger,
    private readonly options: DirectWebSocketOptions,
    readonly activity?: DomainEvents,
  ) {
    this.maxFrameBytes = options.maxFrameBytes;
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  }

  get size(): number {
    return this.open.size;
  }

  /** Opens the WebSocket on `socket` for the upgrade `head`; `rest` is what the client sent after the head (frames already). */
  accept(socket: Socket, head: UpgradeHead, rest: Buffer): void {
    const peer = socket.remoteAddress;
    const remoteAddress = this.options.trustedProxies ? this.options.trustedProxies.clientAddress(peer, head.forwardedFor, head.forwarded) : peer;
    const transport = new DirectWebSocket(socket, remoteAddress, this);
    (socket as CarrierSocket)[CARRIED] = transport;
    // A client that half-closes without a close frame will send nothing more: node:net then ends the socket from this side too.
    socket.allowHalfOpen = false;
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onError);
    this.open.add(transport);
    // Corked until this turn ends, the handshake answer and
    // connection_established leave as one write: one syscall and one
    // wake-up of the client instead of two.
    corkUntilTurnEnds(socket);
    socket.write(switchingProtocols(head.key));
    if (rest.length > 0) transport.reader.push(rest);
    void this.admit(transport, head);
  }

  private async admit(transport: DirectWebSocket, head: UpgradeHead): Promise<void> {
    let conn: Connection | null = null;
    try {
      conn = await this.gateway.open(transport, connectRequest(head.target, head.origin));
    } catch (err) {
      this.log.error({ err }, 'accepting a connection failed');
      transport.close(CloseCodes.serverError, 'internal error');
    }
    if (conn === null) {
      transport.refused();
      return;
    }
    if (!transport.isOpen) {
      // Gone while the app was looked up: the connection leaves as soon as it came.
      transport.refused();
      this.gateway.closed(conn);
      return;
    }
    transport.admitted(conn);
  }

  /** The socket closed: its connection, if admitted, leaves. */
  forget(transport: DirectWebSocket): void {
    this.open.delete(transport);
    if (transport.connection) this.gateway.closed(transport.connection);
  }

  socketError(err: Error): void {
    this.log.debug({ err }, 'websocket error');
  }

  /** Tells every client the server is going away (4200); their sockets end as they answer, or at the closing timeout. */
  close(): void {
    for (const transport of this.open) transport.close(SocketErrors.serverShuttingDown.code, 'Server shutting down');
  }

  /** Cuts the clients still there (the shutdown deadline has passed). */
  destroyAll(): void {
    for (const transport of this.open) transport.destroy();
  }
}
