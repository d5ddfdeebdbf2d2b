import { SocketError } from '../protocol/errors.js';
import type { AppId, SocketId } from '../protocol/types.js';
import type { Connection } from './connection.js';

/**
 * The connections open on this node, by socket id, by app and by client
 * address, and the one timer that watches their liveness (a sweep rather
 * than a timer per socket).
 */
export class ConnectionRegistry {
  private readonly bySocketId = new Map<SocketId, Connection>();
  private readonly perApp = new Map<AppId, number>();
  /** Open connections per client address, and per app and address; an address leaves the maps with its last connection. */
  private readonly perAddress = new Map<string, number>();
  private readonly perAppAddress = new Map<AppId, Map<string, number>>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly activityTimeoutMs: number,
    private readonly pongTimeoutMs: number,
  ) {}

  add(conn: Connection): void {
    this.bySocketId.set(conn.socketId, conn);
    this.perApp.set(conn.app.id, (this.perApp.get(conn.app.id) ?? 0) + 1);
    const address = conn.remoteAddress;
    if (address === undefined) return;
    bump(this.perAddress, address, 1);
    let ofApp = this.perAppAddress.get(conn.app.id);
    if (!ofApp) this.perAppAddress.set(conn.app.id, (ofApp = new Map()));
    bump(ofApp, address, 1);
  }

  remove(conn: Connection): boolean {
    if (!this.bySocketId.delete(conn.socketId)) return false;
    const n = (this.perApp.get(conn.app.id) ?? 1) - 1;
    if (n === 0) this.perApp.delete(conn.app.id);
    else this.perApp.set(conn.app.id, n);
    const address = conn.remoteAddress;
    if (address === undefined) return true;
    bump(this.perAddress, address, -1);
    const ofApp = this.perAppAddress.get(conn.app.id);
    if (ofApp) {
      bump(ofApp, address, -1);
      if (ofApp.size === 0) this.perAppAddress.delete(conn.app.id);
    }
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

  /** Connections open from one client address: to any app, or to `appId`. */
  countFrom(address: string, appId?: AppId): number {
    return appId === undefined ? (this.perAddress.get(address) ?? 0) : (this.perAppAddress.get(appId)?.get(address) ?? 0);
  }

  /** Client addresses with a connection open (for the stats: a map that must shrink back). */
  get addressCount(): number {
    return this.perAddress.size;
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
        conn.pinged(now);
        conn.sendEvent('pusher:ping', {});
      }
    }
  }
}

/** Adds `delta` to a count, forgetting the key when it reaches zero. */
function bump(counts: Map<string, number>, key: string, delta: 1 | -1): void {
  const n = (counts.get(key) ?? 0) + delta;
  if (n <= 0) counts.delete(key);
  else counts.set(key, n);
}
