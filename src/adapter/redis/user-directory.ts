import { MemoryUserDirectory, type UserDirectory } from '../user-directory.js';
import type { RedisKeys } from './keys.js';
import type { RedisLink } from './link.js';
import { userEntry, type NodeEntries } from './membership.js';
import { applyEntry, runScript } from './scripts.js';
import type { AppId, NodeId, SocketId, UserId } from './types.js';

/**
 * Which users are signed in anywhere in the cluster, for watchlists. Like
 * presence, this node's own sign-ins are also kept locally for outages.
 */
export class RedisUserDirectory implements UserDirectory {
  private readonly local = new MemoryUserDirectory();

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly node: NodeId,
    private readonly entries: NodeEntries,
  ) {}

  async signedIn(appId: AppId, userId: UserId, socketId: SocketId) {
    const local = await this.local.signedIn(appId, userId, socketId);
    const entry = userEntry(this.node, appId, userId, socketId);
    this.entries.set(entry, '');
    return (await this.apply('add', entry)) ?? local;
  }

  async signedOut(appId: AppId, userId: UserId, socketId: SocketId) {
    const local = await this.local.signedOut(appId, userId, socketId);
    const entry = userEntry(this.node, appId, userId, socketId);
    this.entries.delete(entry);
    return (await this.apply('remove', entry)) ?? local;
  }

  async online(appId: AppId, userIds: readonly UserId[]) {
    if (userIds.length === 0) return [];
    return this.link.attempt(
      'online users',
      async (redis) => {
        const pipeline = redis.pipeline();
        for (const id of userIds) pipeline.exists(this.keys.user(appId, id));
        const results = (await pipeline.exec()) ?? [];
        return userIds.filter((_, i) => results[i]?.[1] === 1);
      },
      () => this.local.online(appId, userIds),
    );
  }

  /** Whether the user appeared / disappeared cluster-wide; null when Redis could not say, and the local answer stands. */
  private apply(op: 'add' | 'remove', entry: string): Promise<boolean | null> {
    return this.link.attempt(
      `user ${op}`,
      async (redis) => (await runScript(redis, applyEntry, [this.keys.prefix, this.node, op, entry, ''])) === 1,
      () => null,
    );
  }
}
