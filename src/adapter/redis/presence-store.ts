import { MemoryPresenceStore, type PresenceStore } from '../presence-store.js';
import type { PresenceMember } from '../../protocol/types.js';
import type { RedisKeys } from './keys.js';
import type { RedisLink } from './link.js';
import { presenceEntry, type NodeEntries } from './membership.js';
import { applyEntry, runScript } from './scripts.js';
import type { AppId, ChannelName, NodeId, SocketId, UserId } from './types.js';

/**
 * Presence membership shared by every node through Redis: a user counts once
 * however many sockets on however many nodes it joins with. This node's own
 * joins are also kept locally, to answer from while Redis is unreachable and
 * to write back when it returns.
 */
export class RedisPresenceStore implements PresenceStore {
  private readonly local = new MemoryPresenceStore();

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly node: NodeId,
    private readonly entries: NodeEntries,
  ) {}

  async join(appId: AppId, channel: ChannelName, socketId: SocketId, member: PresenceMember) {
    const local = await this.local.join(appId, channel, socketId, member);
    const entry = presenceEntry(this.node, appId, channel, member.user_id, socketId);
    const info = JSON.stringify(member.user_info ?? null);
    this.entries.set(entry, info);
    const changed = await this.apply('add', entry, info);
    return changed === null ? local : { isNewUser: changed };
  }

  async leave(appId: AppId, channel: ChannelName, socketId: SocketId, userId: UserId) {
    const local = await this.local.leave(appId, channel, socketId, userId);
    const entry = presenceEntry(this.node, appId, channel, userId, socketId);
    this.entries.delete(entry);
    const changed = await this.apply('remove', entry, '');
    return changed === null ? local : { userLeft: changed };
  }

  async members(appId: AppId, channel: ChannelName) {
    const all = await this.read('presence members', () => this.link.commands.hgetall(this.keys.presenceMembers(appId, channel)));
    if (all === null) return this.local.members(appId, channel);
    const out = new Map<UserId, unknown>();
    for (const [userId, info] of Object.entries(all)) out.set(userId, JSON.parse(info));
    return out;
  }

  async isMember(appId: AppId, channel: ChannelName, userId: UserId) {
    const n = await this.read('presence member', () => this.link.commands.hexists(this.keys.presenceMembers(appId, channel), userId));
    return n === null ? this.local.isMember(appId, channel, userId) : n === 1;
  }

  async memberCount(appId: AppId, channel: ChannelName) {
    const n = await this.read('presence count', () => this.link.commands.hlen(this.keys.presenceMembers(appId, channel)));
    return n ?? this.local.memberCount(appId, channel);
  }

  /** True/false when Redis answered; null when it could not, and the local answer stands. */
  private async apply(op: 'add' | 'remove', entry: string, info: string): Promise<boolean | null> {
    const result = await this.read(`presence ${op}`, () => runScript(this.link.commands, applyEntry, [this.keys.prefix, this.node, op, entry, info]));
    return result === null ? null : result === 1;
  }

  private async read<T>(what: string, op: () => Promise<T>): Promise<T | null> {
    if (!this.link.usable) {
      this.link.dirty = true;
      return null;
    }
    try {
      return await op();
    } catch (err) {
      this.link.failed(what, err);
      return null;
    }
  }
}
