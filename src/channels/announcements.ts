import type { Adapter, ClusterChange } from '../adapter/adapter.js';
import type { DomainEvents } from '../events/domain-events.js';
import { watchersOf } from '../protocol/channel-names.js';
import { encodeFrame, watchlistFrame } from '../protocol/frames.js';
import type { AppId, ChannelName, PresenceMember, SocketId, UserId } from '../protocol/types.js';

/**
 * The one place each fact about a channel's membership is told: to the
 * clients it concerns (the protocol's frames, through the adapter to every
 * node) and to the domain's event bus (webhooks, metrics, the console).
 * A client's own subscribe, unsubscribe or sign-in and a change the cluster
 * found by itself (a dead node's members, members put back after an outage)
 * come through the same functions, so they look the same to everyone.
 */
export class Announcements {
  constructor(
    private readonly adapter: Adapter,
    private readonly events: DomainEvents,
  ) {}

  /** A user's first socket joined a presence channel; `except` is that socket, which learns it from subscription_succeeded. */
  memberAdded(appId: AppId, channel: ChannelName, member: PresenceMember, except?: SocketId): void {
    this.adapter.broadcast(appId, channel, encodeFrame('pusher_internal:member_added', { user_id: member.user_id, user_info: member.user_info }, channel), except);
    this.events.emit('member_added', { appId, channel, userId: member.user_id });
  }

  /** A user's last socket left a presence channel. */
  memberRemoved(appId: AppId, channel: ChannelName, userId: UserId): void {
    this.adapter.broadcast(appId, channel, encodeFrame('pusher_internal:member_removed', { user_id: userId }, channel));
    this.events.emit('member_removed', { appId, channel, userId });
  }

  /** The channel has subscribers somewhere in the cluster, or has none left. */
  occupancy(appId: AppId, channel: ChannelName, occupied: boolean): void {
    this.events.emit(occupied ? 'channel_occupied' : 'channel_vacated', { appId, channel });
  }

  /** A user's first socket signed in, or its last one left: its watchers are told. */
  userPresence(appId: AppId, userId: UserId, online: boolean): void {
    this.adapter.broadcast(appId, watchersOf(userId), watchlistFrame(online ? 'online' : 'offline', [userId]));
  }

  /** A membership change the cluster found by itself. */
  clusterChange(change: ClusterChange): void {
    switch (change.kind) {
      case 'member_added':
        this.memberAdded(change.appId, change.channel, { user_id: change.userId, user_info: change.userInfo });
        return;
      case 'member_removed':
        this.memberRemoved(change.appId, change.channel, change.userId);
        return;
      case 'channel_occupied':
      case 'channel_vacated':
        this.occupancy(change.appId, change.channel, change.kind === 'channel_occupied');
        return;
      case 'user_online':
      case 'user_offline':
        this.userPresence(change.appId, change.userId, change.kind === 'user_online');
        return;
    }
  }
}
