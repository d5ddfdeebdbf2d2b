import { MemoryPresenceStore, type PresenceJoin, type PresenceJoinOptions, type PresenceLeave, type PresenceStore } from '../presence-store.js';
import type { PresenceMember } from '../../protocol/types.js';
import type { RedisKeys } from './keys.js';
import type { RedisLink } from './link.js';
import { occupancyEntry, presenceEntry, type NodeEntries } from './membership.js';
import type { LuaScript } from './lua.js';
import { joinPresence, leavePresence, runScript } from './scripts.js';
import type { AppId, ChannelName, NodeId, SocketId, UserId } from './types.js';

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
    private readonly node: NodeId,
    private readonly entries: NodeEntries,
  ) {}

  async join(appId: AppId, channel: ChannelName, socketId: SocketId, member: PresenceMember, options: PresenceJoinOptions): Promise<PresenceJoin> {
    const entry = presenceEntry(this.node, appId, channel, member.user_id, socketId);
    const occupancy = options.occupying ? occupancyEntry(this.node, appId, channel) : '';
    const info = JSON.stringify(member.user_info ?? null);
    this.entries.set(entry, info);
    if (occupancy) this.entries.set(occupancy, '');
    const reply = await this.run('presence join', joinPresence, [entry, info, options.maxMembers, occupancy]);
    if (reply === null) {
      // Decided locally for now (this node's members only); the resync when Redis returns tells the cluster.
      const admitted = await this.local.admit(appId, channel, socketId, member, options.maxMembers);
      if (admitted.full) this.entries.delete(entry);
      return { ...admitted, occupied: options.occupying };
    }
    const [occupied, joined, flat] = reply as [number, number, string[]];
    if (joined === -1) {
      this.entries.delete(entry);
      return { full: true, occupied: occupied === 1 };
    }
    await this.local.add(appId, channel, socketId, member);
    const members = new Map<UserId, unknown>();
    for (let i = 0; i + 1 < flat.length; i += 2) members.set(flat[i] as UserId, JSON.parse(flat[i + 1] as string));
    return { full: false, occupied: occupied === 1, isNewUser: joined === 1, members };
  }

  async leave(appId: AppId, channel: ChannelName, socketId: SocketId, userId: UserId, vacating: boolean): Promise<PresenceLeave> {
    const local = await this.local.remove(appId, channel, socketId, userId);
    const entry = presenceEntry(this.node, appId, channel, userId, socketId);
    const occupancy = vacating ? occupancyEntry(this.node, appId, channel) : '';
    this.entries.delete(entry);
    if (occupancy) this.entries.delete(occupancy);
    const reply = await this.run('presence leave', leavePresence, [entry, occupancy]);
    if (reply === null) return { userLeft: local.userLeft, vacated: vacating };
    const [left, vacated] = reply as [number, number];
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

  /** A membership script's reply; null when Redis could not answer, and the local answer stands. */
  private run(what: string, s: LuaScript, args: readonly (string | number)[]): Promise<unknown> {
    return this.link.attempt(what, (redis) => runScript(redis, s, [this.keys.prefix, this.node, ...args]), () => null);
  }
}
