import { SocketError } from '../protocol/errors.js';
import type { AppId, SocketId } from '../protocol/types.js';
import type { Connection } from './connection.js';

/**
 * The connections open on this node, by socket id and by app, and the one
 * timer that watches their liveness (a sweep rather than a timer per socket).
 */
export class ConnectionRegistry {
  private readonly bySocketId = new Map<SocketId, Connection>();
  private readonly perApp = new Map<AppId, number>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly activityTimeoutMs: number,
    private readonly pongTimeoutMs: number,
  ) {}

  add(conn: Connection): void {
    this.bySocketId.set(conn.socketId, conn);
    this.perApp.set(conn.app.id, (this.perApp.get(conn.app.id) ?? 0) + 1);
  }

  remove(conn: Connection): boolean {
    if (!this.bySocketId.delete(conn.socketId)) return false;
    const n = (this.perApp.get(conn.app.id) ?? 1) - 1;
    if (n === 0) this.perApp.delete(conn.app.id);
    else this.perApp.set(conn.app.id, n);
    return true;
  }

  has(socketId: SocketId): boolean {
    return this.bySocketId.has(socketId);
  }

  get(socketId: SocketId): Connection | undefined {
    return this.bySocketId.get(socketId);
  }

  count(appId?: AppId): number {
    return appId === undefined ? this.bySocketId.size : (this.perApp.get(appId) ?? 0);
  }

  all(): IterableIterator<Connection> {
    return this.bySocketId.values();
  }

  startLivenessChecks(): void {
    const every = Math.max(50, Math.min(5000, Math.floor(Math.min(this.activityTimeoutMs, this.pongTimeoutMs) / 2)));
    this.sweeper = setInterval(() => this.sweep(Date.now()), every);
    this.sweeper.unref();
  }

  stopLivenessChecks(): void {
    clearInterval(this.sweeper);
  }

  /** Pings clients silent for an activity timeout; closes those that then miss the pong. */
  sweep(now: number): void {
    for (const conn of this.bySocketId.values()) {
      if (conn.pingedAt !== null) {
        if (now - conn.pingedAt >= this.pongTimeoutMs) {
          conn.sendError(new SocketError('pongNotReceived', 'Pong reply not received: the connection was idle and did not answer a ping'));
        }
      } else if (now - conn.lastSeenAt >= this.activityTimeoutMs) {
        conn.pingedAt = now;
        conn.sendEvent('pusher:ping', {});
      }
    }
  }
}
