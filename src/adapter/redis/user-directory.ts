import { MemoryUserDirectory, type UserDirectory } from '../user-directory.js';
import type { RedisKeys } from './keys.js';
import type { RedisLink } from './link.js';
import { userEntry, type NodeMembership } from './membership.js';
import { applyEntry } from './scripts.js';
import type { AppId, SocketId, UserId } from './types.js';

/**
 * Which users are signed in anywhere in the cluster, for watchlists. Like
 * presence, this node's own sign-ins are also kept locally for outages.
 */
export class RedisUserDirectory implements UserDirectory {
  private readonly local = new MemoryUserDirectory();

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly membership: NodeMembership,
  ) {}

  async signedIn(appId: AppId, userId: UserId, socketId: SocketId) {
    const local = await this.local.signedIn(appId, userId, socketId);
    const index = this.membership.userIndex(appId, userId);
    const entry = userEntry(this.membership.node, appId, userId, socketId);
    this.membership.record(index, entry, '');
    return (await this.apply('add', index, entry)) ?? local;
  }

  async signedOut(appId: AppId, userId: UserId, socketId: SocketId) {
    const local = await this.local.signedOut(appId, userId, socketId);
    const index = this.membership.userIndex(appId, userId);
    const entry = userEntry(this.membership.node, appId, userId, socketId);
    this.membership.forget(index, entry);
    return (await this.apply('remove', index, entry)) ?? local;
  }

  async online(appId: AppId, userIds: readonly UserId[]) {
    if (userIds.length === 0) return [];
    return this.link.attempt(
      'online users',
      async (redis) => {
        // One command per user, sent together (auto-pipelined): each user's key has its own slot on a Redis Cluster.
        const results = await Promise.all(userIds.map((id) => redis.exists(this.keys.user(appId, id))));
        return userIds.filter((_, i) => results[i] === 1);
      },
      () => this.local.online(appId, userIds),
    );
  }

  /** Whether the user appeared / disappeared cluster-wide; null when Redis could not say, and the local answer stands. */
  private async apply(op: 'add' | 'remove', index: string, entry: string): Promise<boolean | null> {
    const reply = await this.membership.run(`user ${op}`, index, applyEntry, [op, entry, '']);
    return reply === null ? null : reply === 1;
  }
}
