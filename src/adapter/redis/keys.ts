import type { AppId, ChannelName, NodeId, SocketId, UserId } from './types.js';

/**
 * Every Redis key and pub/sub channel of one cluster, under its prefix so
 * that several clusters can share one Redis. Channel names cannot contain
 * ':' (protocol rule), which keeps these keys unambiguous.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** Sorted set: node id → time of its last heartbeat (Redis clock, ms). */
  get nodes(): string {
    return `${this.prefix}:nodes`;
  }

  /** Pub/sub: frames to deliver (the hot path). */
  get broadcastTopic(): string {
    return `${this.prefix}:broadcast`;
  }

  /** Pub/sub: node-to-node requests (terminate, queries). */
  get controlTopic(): string {
    return `${this.prefix}:control`;
  }

  /** Pub/sub: answers addressed to one node. */
  replyTopic(node: NodeId): string {
    return `${this.prefix}:reply:${node}`;
  }

  presenceMembers(appId: AppId, channel: ChannelName): string {
    return `${this.prefix}:presence:${appId}:${channel}:members`;
  }

  /** Set of the nodes with subscribers in a channel (kept by the membership scripts). */
  occupancy(appId: AppId, channel: ChannelName): string {
    return `${this.prefix}:occupancy:${appId}:${channel}`;
  }

  cache(appId: AppId, channel: ChannelName): string {
    return `${this.prefix}:cache:${appId}:${channel}`;
  }

  /** Counter of an app's budget for one action in the one-second window starting at `windowStart`. */
  rateWindow(appId: AppId, action: string, windowStart: number): string {
    return `${this.prefix}:rate:${appId}:${action}:${windowStart}`;
  }

  user(appId: AppId, userId: UserId): string {
    return `${this.prefix}:user:${appId}:${userId}`;
  }
}

/** A socket as other nodes see it: unique across the cluster. */
export const socketRef = (node: NodeId, socketId: SocketId) => `${node}/${socketId}`;
