import type { AppId, SocketId, UserId } from '../protocol/types.js';

/**
 * Which users are signed in anywhere, for watchlist online/offline events.
 * Like presence, it is shared state a cluster keeps in one place.
 */
export interface UserDirectory {
  /** Records a signed-in socket; true when it is the user's first. */
  signedIn(appId: AppId, userId: UserId, socketId: SocketId): Promise<boolean>;
  /** Forgets a signed-in socket; true when it was the user's last. */
  signedOut(appId: AppId, userId: UserId, socketId: SocketId): Promise<boolean>;
  /** The ones of `userIds` that are signed in. */
  online(appId: AppId, userIds: readonly UserId[]): Promise<UserId[]>;
}

export class MemoryUserDirectory implements UserDirectory {
  private readonly sockets = new Map<string, Set<SocketId>>();

  /** Users signed in, for the stats endpoint. */
  get size(): number {
    return this.sockets.size;
  }

  async signedIn(appId: AppId, userId: UserId, socketId: SocketId) {
    const key = keyOf(appId, userId);
    const set = this.sockets.get(key);
    if (set) {
      set.add(socketId);
      return false;
    }
    this.sockets.set(key, new Set([socketId]));
    return true;
  }

  async signedOut(appId: AppId, userId: UserId, socketId: SocketId) {
    const key = keyOf(appId, userId);
    const set = this.sockets.get(key);
    if (!set || !set.delete(socketId) || set.size > 0) return false;
    this.sockets.delete(key);
    return true;
  }

  async online(appId: AppId, userIds: readonly UserId[]) {
    return userIds.filter((id) => this.sockets.has(keyOf(appId, id)));
  }
}

const keyOf = (appId: AppId, userId: UserId) => `${appId}\u0000${userId}`;
