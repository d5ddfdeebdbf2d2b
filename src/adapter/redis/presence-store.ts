import { MemoryPresenceStore, type PresenceJoin, type PresenceJoinOptions, type PresenceLeave, type PresenceStore } from '../presence-store.js';
import type { PresenceMember } from '../../protocol/types.js';
import type { RedisKeys } from './keys.js';
import type { RedisLink } from './link.js';
import { occupancyEntry, presenceEntry, type NodeMembership } from './membership.js';
import { joinPresence, leavePresence } from './scripts.js';
import type { AppId, ChannelName, SocketId, UserId } from './types.js';

/**
 * Presence membership shared by every node through Redis: a user counts once
 * however many sockets on however many nodes it joins with. A join or a
 * leave is one script, which also records the node's occupancy of the
 * channel when it changes, so a presence subscribe costs one round trip.
 * This node's own joins are also kept locally, to answer from while Redis is
 * unreachable and to write back when it returns.
 */
export class RedisPresenceStore implements PresenceStore {
  private readonly local = new MemoryPresenceStore();

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly membership: NodeMembership,
  ) {}

  async join(appId: AppId, channel: ChannelName, socketId: SocketId, member: PresenceMember, options: PresenceJoinOptions): Promise<PresenceJoin> {
    const node = this.membership.node;
    const index = this.membership.channelIndex(appId, channel);
    const entry = presenceEntry(node, appId, channel, member.user_id, socketId);
    const occupancy = options.occupying ? occupancyEntry(node, appId, channel) : '';
    const info = JSON.stringify(member.user_info ?? null);
    this.membership.record(index, entry, info);
    if (occupancy) this.membership.record(index, occupancy, '');
    const reply = await this.membership.run('presence join', index, joinPresence, [entry, info, options.maxMembers, occupancy]);
    if (reply === null) {
      // Decided locally for now (this node's members only); the resync when Redis returns tells the cluster.
      const admitted = await this.local.admit(appId, channel, socketId, member, options.maxMembers);
      if (admitted.full) this.membership.forget(index, entry);
      return { ...admitted, occupied: options.occupying };
    }
    const [occupied, joined, flat] = reply as [number, number, string[]];
    if (joined === -1) {
      this.membership.forget(index, entry);
      return { full: true, occupied: occupied === 1 };
    }
    await this.local.add(appId, channel, socketId, member);
    const members = new Map<UserId, unknown>();
    for (let i = 0; i + 1 < flat.length; i += 2) members.set(flat[i] as UserId, JSON.parse(flat[i + 1] as string));
    return { full: false, occupied: occupied === 1, isNewUser: joined === 1, members };
  }

  async leave(appId: AppId, channel: ChannelName, socketId: SocketId, userId: UserId, vacating: boolean): Promise<PresenceLeave> {
    const local = await this.local.remove(appId, channel, socketId, userId);
    const node = this.membership.node;
    const index = this.membership.channelIndex(appId, channel);
    const entry = presenceEntry(node, appId, channel, userId, socketId);
    const occupancy = vacating ? occupancyEntry(node, appId, channel) : '';
    this.membership.forget(index, entry);
    if (occupancy) this.membership.forget(index, occupancy);
    const answer = await this.membership.run('presence leave', index, leavePresence, [entry, occupancy]);
    if (answer === null) return { userLeft: local.userLeft, vacated: vacating };
    const [left, vacated] = answer as [number, number];
    return { userLeft: left === 1, vacated: vacated === 1 };
  }

  async members(appId: AppId, channel: ChannelName): Promise<Map<UserId, unknown>> {
    const all = await this.link.attempt('presence members', (redis) => redis.hgetall(this.keys.presenceMembers(appId, channel)), () => null);
    if (all === null) return this.local.members(appId, channel);
    const out = new Map<UserId, unknown>();
    for (const [userId, info] of Object.entries(all)) out.set(userId, JSON.parse(info));
    return out;
  }

  isMember(appId: AppId, channel: ChannelName, userId: UserId): Promise<boolean> {
    return this.link.attempt(
      'presence member',
      async (redis) => (await redis.hexists(this.keys.presenceMembers(appId, channel), userId)) === 1,
      () => this.local.isMember(appId, channel, userId),
    );
  }

  memberCount(appId: AppId, channel: ChannelName): Promise<number> {
    return this.link.attempt(
      'presence count',
      (redis) => redis.hlen(this.keys.presenceMembers(appId, channel)),
      () => this.local.memberCount(appId, channel),
    );
  }
}
