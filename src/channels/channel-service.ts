import type { Adapter } from '../adapter/adapter.js';
import type { App } from '../apps/app.js';
import type { Connection } from '../connection/connection.js';
import type { DomainEvents } from '../events/domain-events.js';
import { channelKind, watchersOf } from '../protocol/channel-names.js';
import { SubscriptionError } from '../protocol/errors.js';
import { encodeFrame } from '../protocol/frames.js';
import type { AppId, ChannelName, EventName, PresenceMember, SocketId, UserId } from '../protocol/types.js';
import type { LocalSubscribers } from '../adapter/local-subscribers.js';
import { historyPolicy } from '../apps/history-policy.js';
import { Announcements } from './announcements.js';
import { ChannelHistory } from './channel-history.js';
import { SubscriptionCounts } from './subscription-counts.js';

export interface PublishRequest {
  readonly channel: ChannelName;
  readonly event: EventName;
  /** The data as sent on the wire (a string, usually JSON). */
  readonly data: string;
  /** A socket that must not receive it (the sender, or `socket_id` of the API). */
  readonly except?: SocketId;
  /** The sending user, for client events on presence channels. */
  readonly userId?: UserId;
}

/**
 * Channel membership and publishing, once a request has been validated and
 * authorized: keeps the local subscriber index, presence membership and the
 * cache in step, and sends the protocol's channel frames.
 */
export class ChannelService {
  private readonly counts: SubscriptionCounts;
  /** Where every membership fact is told, for this node's clients and for the cluster's own findings. */
  readonly announce: Announcements;
  /** Resumes of channels with history, for clients that ask. */
  readonly history: ChannelHistory;

  constructor(
    private readonly adapter: Adapter,
    private readonly subscribers: LocalSubscribers,
    private readonly activity: DomainEvents,
  ) {
    this.counts = new SubscriptionCounts(adapter);
    this.announce = new Announcements(adapter, activity);
    this.history = new ChannelHistory(adapter);
  }

  async subscribe(conn: Connection, channel: ChannelName, member: PresenceMember | null): Promise<void> {
    const app = conn.app;
    const kind = channelKind(channel);
    const already = conn.channels.has(channel);
    if (!already && conn.channels.size >= app.maxChannelsPerConnection) {
      throw new SubscriptionError(
        'channelLimit',
        `cannot subscribe to ${channel}: this connection is already subscribed to ${conn.channels.size} channels, the most this app allows (maxChannelsPerConnection ${app.maxChannelsPerConnection}); unsubscribe from one first`,
      );
    }

    if (member) {
      let members: Map<UserId, unknown>;
      if (already) members = await this.adapter.presence.members(app.id, channel);
      else members = await this.joinPresence(conn, channel, member);
      const hash: Record<string, unknown> = {};
      for (const [id, info] of members) hash[id] = info ?? null;
      await this.adapter.listening(app.id, channel);
      conn.sendEvent('pusher_internal:subscription_succeeded', { presence: { ids: [...members.keys()], hash, count: members.size } }, channel);
    } else {
      if (!already) {
        const occupying = this.index(conn, channel, null);
        this.activity.emit('subscribed', { appId: app.id, socketId: conn.socketId, channel });
        if (occupying) await this.occupancyChanged(app.id, channel, true);
      }
      // Told only once this node hears the channel from every node: an event
      // triggered after the client saw this reaches it.
      await this.adapter.listening(app.id, channel);
      conn.sendEvent('pusher_internal:subscription_succeeded', {}, channel);
      if (!already) this.counts.changed(app, channel);
    }

    if (kind.cache) {
      const last = await this.adapter.cache.get(app.id, channel);
      if (last) conn.send(encodeFrame(last.event, last.data, channel));
      else {
        conn.send(JSON.stringify({ event: 'pusher:cache_miss', channel }));
        this.activity.emit('cache_miss', { appId: app.id, channel, socketId: conn.socketId });
      }
    }
  }

  async unsubscribe(conn: Connection, channel: ChannelName): Promise<void> {
    const member = conn.channels.get(channel);
    if (member === undefined) return;
    const app = conn.app;
    const vacated = this.unindex(conn, channel);
    this.activity.emit('unsubscribed', { appId: app.id, socketId: conn.socketId, channel });
    if (member) {
      const { userLeft, vacated: vacatedEverywhere } = await this.adapter.leavePresence(app.id, channel, conn.socketId, member.user_id, vacated);
      if (userLeft) this.announce.memberRemoved(app.id, channel, member.user_id);
      // Vacated is told after the last member left.
      if (vacatedEverywhere) this.announce.occupancy(app.id, channel, false);
    } else if (vacated) await this.occupancyChanged(app.id, channel, false);
    else this.counts.changed(app, channel);
  }

  async unsubscribeAll(conn: Connection): Promise<void> {
    for (const channel of [...conn.channels.keys()]) await this.unsubscribe(conn, channel);
  }

  /** Sends an event to a channel's subscribers on every node; keeps it if the channel caches or has history. */
  async publish(app: App, req: PublishRequest): Promise<void> {
    const frame = encodeFrame(req.event, req.data, req.channel, req.userId === undefined ? undefined : { user_id: req.userId });
    if (channelKind(req.channel).cache) await this.adapter.cache.set(app.id, req.channel, { event: req.event, data: req.data });
    const history = historyPolicy(app, req.channel);
    if (history) await this.adapter.broadcastKept(app.id, req.channel, frame, history, req.except);
    else this.adapter.broadcast(app.id, req.channel, frame, req.except);
  }

  /**
   * A socket joins a presence channel: limit, membership, occupancy and member
   * list in one adapter step. The socket is indexed before that step is sent,
   * as every subscriber is before its occupancy is: whether it is the node's
   * first subscriber is decided in the same turn as the step leaves, so the
   * cluster records this node's occupancy changes in the order they happen
   * here. A refused socket (channel full; its app did sign its auth) may thus
   * hear the channel for one round trip before it is let go and told why.
   */
  private async joinPresence(conn: Connection, channel: ChannelName, member: PresenceMember): Promise<Map<UserId, unknown>> {
    const app = conn.app;
    const occupying = this.index(conn, channel, member);
    const joined = await this.adapter.joinPresence(app.id, channel, conn.socketId, member, { maxMembers: app.maxPresenceMembers, occupying });
    if (!joined.full) this.activity.emit('subscribed', { appId: app.id, socketId: conn.socketId, channel });
    // Occupied is told before the first member arrives, as a receiver of webhooks expects.
    if (joined.occupied) this.announce.occupancy(app.id, channel, true);
    if (joined.full) {
      if (this.unindex(conn, channel)) await this.occupancyChanged(app.id, channel, false);
      throw new SubscriptionError('memberLimit', `presence channel ${channel} already has its maximum of ${app.maxPresenceMembers} members`);
    }
    if (joined.isNewUser) this.announce.memberAdded(app.id, channel, member, conn.socketId);
    return joined.members;
  }

  /**
   * Signed-in users hear of the users they watch through internal topics:
   * routed like channels, but with no subscribe frame, occupancy or webhook.
   * Resolves once every node's news of them reaches this one.
   */
  async watch(conn: Connection, userIds: readonly UserId[]): Promise<void> {
    for (const userId of userIds) this.index(conn, watchersOf(userId), null);
    await Promise.all(userIds.map((userId) => this.adapter.listening(conn.app.id, watchersOf(userId))));
  }

  unwatch(conn: Connection, userIds: readonly UserId[]): void {
    for (const userId of userIds) this.unindex(conn, watchersOf(userId));
  }

  // The connection's own list and the node's subscriber index are changed
  // together, here only, so they never disagree.

  /** Records the subscription; true when it is this node's first subscriber of the channel. */
  private index(conn: Connection, channel: ChannelName, member: PresenceMember | null): boolean {
    conn.subscribed(channel, member);
    return this.subscribers.add(conn, channel);
  }

  /** Forgets the subscription; true when it was this node's last subscriber of the channel. */
  private unindex(conn: Connection, channel: ChannelName): boolean {
    conn.unsubscribed(channel);
    return this.subscribers.remove(conn, channel);
  }

  /** This node's first subscriber came or its last left: announced when that is true of the whole cluster too. */
  private async occupancyChanged(appId: AppId, channel: ChannelName, occupied: boolean): Promise<void> {
    if (await this.adapter.channelOccupancy(appId, channel, occupied)) this.announce.occupancy(appId, channel, occupied);
  }
}
