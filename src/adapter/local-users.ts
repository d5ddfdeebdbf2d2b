import type { InterestListener } from './local-subscribers.js';
import type { Subscriber } from './subscriber.js';
import { SocketError } from '../protocol/errors.js';
import type { AppId, UserId } from '../protocol/types.js';

/** The signed-in connections on this node, by user, so a user's sockets can be closed. */
export class LocalUsers {
  private readonly byUser = new Map<string, Set<Subscriber>>();
  private interest: InterestListener<UserId> | null = null;

  /** Tells `listener` of each user this node starts or stops holding connections of. */
  followInterest(listener: InterestListener<UserId>): void {
    this.interest = listener;
  }

  /** Signed-in users with a connection on this node. */
  get size(): number {
    return this.byUser.size;
  }

  add(conn: Subscriber, userId: UserId): void {
    const key = keyOf(conn.app.id, userId);
    let set = this.byUser.get(key);
    if (!set) {
      set = new Set();
      this.byUser.set(key, set);
      this.interest?.first(conn.app.id, userId);
    }
    set.add(conn);
  }

  remove(conn: Subscriber, userId: UserId): void {
    const key = keyOf(conn.app.id, userId);
    const set = this.byUser.get(key);
    if (!set) return;
    if (!set.delete(conn) || set.size > 0) return;
    this.byUser.delete(key);
    this.interest?.last(conn.app.id, userId);
  }

  /** Closes every connection of the user on this node; returns how many. */
  terminate(appId: AppId, userId: UserId): number {
    const set = this.byUser.get(keyOf(appId, userId));
    if (!set) return 0;
    const conns = [...set];
    for (const conn of conns) {
      conn.sendError(new SocketError('terminatedByApp', 'The app terminated this user\'s connections'));
    }
    return conns.length;
  }
}

const keyOf = (appId: AppId, userId: UserId) => `${appId}\u0000${userId}`;
