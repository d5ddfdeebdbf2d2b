import type { Adapter } from '../adapter/adapter.js';
import type { App } from '../apps/app.js';
import type { AppStore } from '../apps/app-store.js';
import { originAllowed } from '../apps/origins.js';
import type { FrameHandler } from '../handlers/frame-handler.js';
import type { ActivityFeed } from '../observability/activity.js';
import type { Logger } from '../observability/logger.js';
import type { TrafficCounters } from '../observability/metrics.js';
import { quoted, SocketError } from '../protocol/errors.js';
import { newSocketId } from '../protocol/socket-id.js';
import { Connection, sendSocketError } from './connection.js';
import type { ConnectionRegistry } from './connection-registry.js';
import type { ConnectRequest, Transport } from './transport.js';

const SUPPORTED_PROTOCOLS = new Set([5, 6, 7]);

/**
 * Where every transport hands over a new client: admission checks (app,
 * protocol version, origin, quota), `connection_established`, and the
 * wiring of its frames and its end. Transports only move bytes.
 */
export class Gateway {
  constructor(
    private readonly apps: AppStore,
    private readonly adapter: Adapter,
    private readonly connections: ConnectionRegistry,
    private readonly frames: FrameHandler,
    private readonly activity: ActivityFeed,
    private readonly log: Logger,
    private readonly activityTimeoutSeconds: number,
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
    conn.sendEvent('pusher:connection_established', { socket_id: socketId, activity_timeout: this.activityTimeoutSeconds });
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
