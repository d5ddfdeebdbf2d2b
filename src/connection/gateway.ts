import type { Adapter } from '../adapter/adapter.js';
import type { App } from '../apps/app.js';
import type { AppStore } from '../apps/app-store.js';
import { originAllowed } from '../apps/origins.js';
import type { DomainEvents } from '../events/domain-events.js';
import type { Logger } from '../logging/logger.js';
import type { TrafficCounters } from './traffic.js';
import { quoted, SocketError } from '../protocol/errors.js';
import { connectionEstablishedFrame } from '../protocol/frames.js';
import { newSocketId } from '../protocol/socket-id.js';
import { Connection, sendSocketError } from './connection.js';
import type { ConnectionRegistry } from './connection-registry.js';
import type { ConnectRequest, Transport } from './transport.js';

const SUPPORTED_PROTOCOLS = new Set([5, 6, 7]);

/** Where the frames of admitted connections go (the frame handlers, one layer up). */
export interface FrameSink {
  /** One text frame from the client. */
  receive(conn: Connection, text: string): void;
  /** The transport closed; `done` runs once the connection has left everything it was in. */
  disconnected(conn: Connection, done: () => void): void;
}

/** Node-wide admission limits (an app's own are in the App). */
export interface GatewayLimits {
  /** Connections one client address may have open on this node, to all apps together; null for no limit. */
  readonly maxConnectionsPerAddress: number | null;
}

/**
 * Where every transport hands over a new client: admission checks (app,
 * protocol version, origin, quotas), `connection_established`, and the
 * wiring of its frames and its end. Transports only move bytes.
 */
export class Gateway {
  constructor(
    private readonly apps: AppStore,
    private readonly adapter: Adapter,
    private readonly connections: ConnectionRegistry,
    private readonly frames: FrameSink,
    private readonly activity: DomainEvents,
    private readonly log: Logger,
    private readonly activityTimeoutSeconds: number,
    private readonly limits: GatewayLimits,
    /** Frames and bytes in and out, for the metrics; nothing is counted without it. */
    private readonly traffic?: TrafficCounters,
  ) {}

  /** Admits a client or tells it why not (pusher:error, then close). */
  async open(transport: Transport, request: ConnectRequest): Promise<Connection | null> {
    let app: App;
    // The app, once found: a refusal after that (disabled, origin, quota) is counted against it.
    const found: { app?: App } = {};
    try {
      app = await this.admit(request, found);
      // Checked here, with no wait between the check and the registry's count
      // of this connection: clients from one address admitted meanwhile are
      // already counted, so a burst of them cannot all slip under the limit.
      this.admitFromAddress(app, transport.remoteAddress);
    } catch (err) {
      if (!(err instanceof SocketError)) throw err;
      sendSocketError(transport, err);
      // Debug, not info: a storm of refused connections must not become a storm of log lines; metrics count them.
      this.log.debug({ code: err.code, reason: err.message, transport: transport.kind }, 'connection refused');
      this.activity.emit('connection_refused', {
        appId: found.app?.id ?? null,
        appKey: request.appKey === null ? null : quoted(request.appKey),
        code: err.code,
        transport: transport.kind,
      });
      return null;
    }
    let socketId = newSocketId();
    while (this.connections.has(socketId)) socketId = newSocketId();
    const conn = new Connection(socketId, app, transport, this.traffic);
    this.connections.add(conn);
    conn.send(connectionEstablishedFrame(socketId, this.activityTimeoutSeconds));
    this.activity.emit('connection_opened', { appId: app.id, socketId, transport: transport.kind });
    this.log.debug({ appId: app.id, socketId, transport: transport.kind }, 'connection opened');
    return conn;
  }

  receive(conn: Connection, text: string): void {
    this.traffic?.received(text);
    this.frames.receive(conn, text);
  }

  /** The transport is gone: clean up once, after the frames still in flight. */
  closed(conn: Connection): void {
    if (!this.connections.remove(conn)) return;
    this.frames.disconnected(conn, () => {
      this.activity.emit('connection_closed', { appId: conn.app.id, socketId: conn.socketId, transport: conn.transportKind });
      this.log.debug({ appId: conn.app.id, socketId: conn.socketId }, 'connection closed');
    });
  }

  /** The per-address limits (node-wide, then the app's); only this node's connections count. */
  private admitFromAddress(app: App, address: string | undefined): void {
    // No address: the socket is already gone, and the connection with it.
    if (address === undefined) return;
    const nodeLimit = this.limits.maxConnectionsPerAddress;
    if (nodeLimit !== null && this.connections.countFrom(address) >= nodeLimit) {
      throw new SocketError('overConnectionQuota', `Too many connections from one address: this server allows ${nodeLimit} per client address (HERALD_MAX_CONNECTIONS_PER_ADDRESS)`);
    }
    const appLimit = app.maxConnectionsPerAddress;
    if (appLimit !== null && this.connections.countFrom(address, app.id) >= appLimit) {
      throw new SocketError('overConnectionQuota', `Too many connections from one address: this app allows ${appLimit} per client address (maxConnectionsPerAddress)`);
    }
  }

  private async admit(request: ConnectRequest, found: { app?: App }): Promise<App> {
    if (request.appKey === null) {
      throw new SocketError('pathNotFound', 'Path not found: connect to /app/{key}');
    }
    const protocol = request.query.get('protocol');
    if (protocol === null || protocol === '') {
      throw new SocketError('noProtocolVersion', 'No protocol version supplied: add ?protocol=7');
    }
    if (!/^\d+$/.test(protocol)) {
      throw new SocketError('invalidVersionFormat', `Invalid version string format: '${quoted(protocol, 20)}'`);
    }
    if (!SUPPORTED_PROTOCOLS.has(Number(protocol))) {
      throw new SocketError('unsupportedProtocol', `Unsupported protocol version ${quoted(protocol, 20)}: this server speaks protocol 7`);
    }
    const app = await this.apps.findByKey(request.appKey);
    if (!app) throw new SocketError('appNotFound', `App key ${quoted(request.appKey)} not in this cluster`);
    found.app = app;
    if (!app.enabled) throw new SocketError('appDisabled', 'Application disabled');
    if (!originAllowed(request.origin, app.allowedOrigins)) {
      throw new SocketError('unauthorized', `Origin ${quoted(request.origin ?? '')} is not allowed to connect to this app`);
    }
    if (app.maxConnections !== null && (await this.adapter.connectionCount(app.id)) >= app.maxConnections) {
      throw new SocketError('overConnectionQuota', `Application is over its connection quota (${app.maxConnections})`);
    }
    return app;
  }
}
