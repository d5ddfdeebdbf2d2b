import { watchersOf } from '../protocol/channel-names.js';
import { encodeFrame, watchlistFrame } from '../protocol/frames.js';
import type { ActivityFeed } from '../events/domain-events.js';
import type { Adapter, ClusterChange } from '../adapter/adapter.js';

/**
 * Tells clients about a membership change the cluster found by itself (a
 * dead node's members, a node's own members put back after an outage) with
 * the same frames a client's own subscribe, unsubscribe or sign-in causes.
 */
export function announceClusterChange(change: ClusterChange, adapter: Adapter, activity: ActivityFeed): void {
  switch (change.kind) {
    case 'member_added':
      adapter.broadcast(change.appId, change.channel, encodeFrame('pusher_internal:member_added', { user_id: change.userId, user_info: change.userInfo }, change.channel));
      activity.emit('member_added', { appId: change.appId, channel: change.channel, userId: change.userId });
      return;
    case 'member_removed':
      adapter.broadcast(change.appId, change.channel, encodeFrame('pusher_internal:member_removed', { user_id: change.userId }, change.channel));
      activity.emit('member_removed', { appId: change.appId, channel: change.channel, userId: change.userId });
      return;
    case 'channel_occupied':
    case 'channel_vacated':
      activity.emit(change.kind, { appId: change.appId, channel: change.channel });
      return;
    case 'user_online':
    case 'user_offline':
      adapter.broadcast(change.appId, watchersOf(change.userId), watchlistFrame(change.kind === 'user_online' ? 'online' : 'offline', [change.userId]));
      return;
  }
}
