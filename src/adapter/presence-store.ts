import type { AppId, ChannelName, PresenceMember, SocketId, UserId } from '../protocol/types.js';

/**
 * Presence membership: which users are in a presence channel and through
 * which sockets. A user counts once however many sockets it joins with.
 * Kept apart from message routing so that a cluster can share it (Redis)
 * while each node routes its own sockets. Joins and leaves go through the
 * adapter (`joinPresence`, `leavePresence`), which records them together
 * with the channel's occupancy; this is what everyone else may read.
 */
export interface PresenceStore {
  /** A socket joins: the member limit, the membership, the member list and, when `occupying`, the node's occupancy. */
  join(appId: AppId, channel: ChannelName, socketId: SocketId, member: PresenceMember, options: PresenceJoinOptions): Promise<PresenceJoin>;
  /** A socket leaves; with the node's occupancy when `vacating` (its last subscriber there). */
  leave(appId: AppId, channel: ChannelName, socketId: SocketId, userId: UserId, vacating: boolean): Promise<PresenceLeave>;
  /** Distinct members, each with the user_info of its most recent join. */
  members(appId: AppId, channel: ChannelName): Promise<Map<UserId, unknown>>;
  isMember(appId: AppId, channel: ChannelName, userId: UserId): Promise<boolean>;
  memberCount(appId: AppId, channel: ChannelName): Promise<number>;
}

/** A socket's join of a presence channel: refused when full, else whether its user is new there and who is in now. */
export type PresenceAdmission =
  | { readonly full: true }
  | { readonly full: false; readonly isNewUser: boolean; readonly members: Map<UserId, unknown> };

export interface PresenceJoinOptions {
  /** The most distinct users the channel may have; a user already in always joins. */
  readonly maxMembers: number;
  /** This is the node's first subscriber of the channel. */
  readonly occupying: boolean;
}

/** A presence join, and whether the channel became occupied cluster-wide (only ever when `occupying`). */
export type PresenceJoin = PresenceAdmission & { readonly occupied: boolean };

/** Whether the user left the channel (its last socket), and whether the channel became vacant cluster-wide. */
export interface PresenceLeave {
  readonly userLeft: boolean;
  readonly vacated: boolean;
}

interface MemberEntry {
  info: unknown;
  sockets: Set<SocketId>;
}

export class MemoryPresenceStore implements PresenceStore {
  private readonly channels = new Map<string, Map<UserId, MemberEntry>>();

  /** One node: its own first subscriber occupies the channel, its last vacates it. */
  async join(appId: AppId, channel: ChannelName, socketId: SocketId, member: PresenceMember, options: PresenceJoinOptions): Promise<PresenceJoin> {
    return { ...(await this.admit(appId, channel, socketId, member, options.maxMembers)), occupied: options.occupying };
  }

  async leave(appId: AppId, channel: ChannelName, socketId: SocketId, userId: UserId, vacating: boolean): Promise<PresenceLeave> {
    return { ...(await this.remove(appId, channel, socketId, userId)), vacated: vacating };
  }

  /** Joins unless the channel already has `maxMembers` users and this one is not among them. */
  async admit(appId: AppId, channel: ChannelName, socketId: SocketId, member: PresenceMember, maxMembers: number): Promise<PresenceAdmission> {
    if (!(await this.isMember(appId, channel, member.user_id)) && (await this.memberCount(appId, channel)) >= maxMembers) return { full: true };
    const { isNewUser } = await this.add(appId, channel, socketId, member);
    return { full: false, isNewUser, members: await this.members(appId, channel) };
  }

  /** Records a socket joining as `member`; `isNewUser` when no other socket of that user is in. */
  async add(appId: AppId, channel: ChannelName, socketId: SocketId, member: PresenceMember) {
    const key = keyOf(appId, channel);
    let members = this.channels.get(key);
    if (!members) {
      members = new Map();
      this.channels.set(key, members);
    }
    const entry = members.get(member.user_id);
    if (entry) {
      entry.sockets.add(socketId);
      entry.info = member.user_info;
      return { isNewUser: false };
    }
    members.set(member.user_id, { info: member.user_info, sockets: new Set([socketId]) });
    return { isNewUser: true };
  }

  /** Records a socket leaving; `userLeft` when it was that user's last socket in the channel. */
  async remove(appId: AppId, channel: ChannelName, socketId: SocketId, userId: UserId) {
    const key = keyOf(appId, channel);
    const members = this.channels.get(key);
    const entry = members?.get(userId);
    if (!members || !entry || !entry.sockets.delete(socketId)) return { userLeft: false };
    if (entry.sockets.size > 0) return { userLeft: false };
    members.delete(userId);
    if (members.size === 0) this.channels.delete(key);
    return { userLeft: true };
  }

  async members(appId: AppId, channel: ChannelName) {
    const out = new Map<UserId, unknown>();
    for (const [id, entry] of this.channels.get(keyOf(appId, channel)) ?? []) out.set(id, entry.info);
    return out;
  }

  async isMember(appId: AppId, channel: ChannelName, userId: UserId) {
    return this.channels.get(keyOf(appId, channel))?.has(userId) ?? false;
  }

  async memberCount(appId: AppId, channel: ChannelName) {
    return this.channels.get(keyOf(appId, channel))?.size ?? 0;
  }

  /** What this store holds, for the stats endpoint. */
  size(): { channels: number; members: number; sockets: number } {
    let members = 0;
    let sockets = 0;
    for (const byUser of this.channels.values()) {
      members += byUser.size;
      for (const entry of byUser.values()) sockets += entry.sockets.size;
    }
    return { channels: this.channels.size, members, sockets };
  }
}

const keyOf = (appId: AppId, channel: ChannelName) => `${appId}\u0000${channel}`;
