import type { AppId, ChannelName, NodeId, SocketId, UserId } from './types.js';

/**
 * One variable part of a Redis key or pub/sub channel name (an app id, a
 * channel, a user id), made safe to join with ':'. App ids come from the
 * operator and may contain anything; user ids come from the app's signed
 * auth and may contain ':'; so may `#server-to-user-` channels, which carry
 * a user id. Escaping the separator (and the escape character itself) makes
 * the key of two different part lists always differ, wherever in the key a
 * part stands. Every other character is kept, so the keys of ordinary ids
 * are the same as before the escaping existed.
 *
 * The Lua scripts build keys with the same rule (`part` in scripts.ts).
 */
export function keyPart(part: string): string {
  return part.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'));
}

/**
 * Every Redis key and pub/sub channel of one cluster, under its prefix so
 * that several clusters can share one Redis. Each variable part goes
 * through `keyPart`, so no app id, channel or user id can make two keys meet.
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
    return `${this.prefix}:reply:${keyPart(node)}`;
  }

  /** Hash: user id → user_info (JSON) of a presence channel's members (kept by the membership scripts). */
  presenceMembers(appId: AppId, channel: ChannelName): string {
    return `${this.prefix}:presence:${keyPart(appId)}:${keyPart(channel)}:members`;
  }

  /** Set of the sockets through which a user is in a presence channel (kept by the membership scripts). */
  presenceSockets(appId: AppId, channel: ChannelName, userId: UserId): string {
    return `${this.prefix}:presence:${keyPart(appId)}:${keyPart(channel)}:user:${keyPart(userId)}`;
  }

  /** Set of the nodes with subscribers in a channel (kept by the membership scripts). */
  occupancy(appId: AppId, channel: ChannelName): string {
    return `${this.prefix}:occupancy:${keyPart(appId)}:${keyPart(channel)}`;
  }

  /** Hash: node id → its subscriber count of a channel, as it last told it (kept by the scripts). */
  subscriptionCounts(appId: AppId, channel: ChannelName): string {
    return `${this.prefix}:subscriptions:${keyPart(appId)}:${keyPart(channel)}`;
  }

  /** Hash: 'clients' → the channel's count its subscribers were last told (kept by the scripts). */
  subscriptionCountsTold(appId: AppId, channel: ChannelName): string {
    return `${this.subscriptionCounts(appId, channel)}:told`;
  }

  cache(appId: AppId, channel: ChannelName): string {
    return `${this.prefix}:cache:${keyPart(appId)}:${keyPart(channel)}`;
  }

  /**
   * Stream: a channel's kept events (channel history), the serial being the
   * stream id. Hash-tagged by app and channel, so it has one slot on a Redis
   * Cluster and the script that appends and publishes touches one key.
   */
  history(appId: AppId, channel: ChannelName): string {
    return `{${this.prefix}:${keyPart(appId)}:${keyPart(channel)}}:history`;
  }

  /** SCAN pattern of every history stream of this cluster (for the usage figures). */
  get historyPattern(): string {
    return `{${this.prefix.replace(/[*?[\]\\]/g, '\\$&')}:*}:history`;
  }

  /** Counter of an app's budget for one action in the one-second window starting at `windowStart`. */
  rateWindow(appId: AppId, action: string, windowStart: number): string {
    return `${this.prefix}:rate:${keyPart(appId)}:${keyPart(action)}:${windowStart}`;
  }

  /** Set of the sockets through which a user is signed in (kept by the membership scripts). */
  user(appId: AppId, userId: UserId): string {
    return `${this.prefix}:user:${keyPart(appId)}:${keyPart(userId)}`;
  }

  /** Set of a node's own membership entries (kept by the membership scripts). */
  nodeEntries(node: NodeId): string {
    return `${this.prefix}:node:${keyPart(node)}:entries`;
  }

  // The webhook queue (webhooks/redis-queue.ts), shared by every node of the cluster.

  /** Stream: recorded events not batched yet, oldest first. */
  get webhookEvents(): string {
    return `${this.prefix}:webhooks:events`;
  }

  /** Sorted set: job id → when it is next due (Redis clock, ms). */
  get webhookDue(): string {
    return `${this.prefix}:webhooks:due`;
  }

  /** Hash: job id → the job (JSON). */
  get webhookJobs(): string {
    return `${this.prefix}:webhooks:jobs`;
  }

  /** Hash: job id → failed deliveries so far. */
  get webhookAttempts(): string {
    return `${this.prefix}:webhooks:attempts`;
  }

  /** Counter: the last job id given. */
  get webhookSeq(): string {
    return `${this.prefix}:webhooks:seq`;
  }

  // The debug console's relay (console/relay.ts).

  /** Pub/sub: which apps a node's consoles are watching, announced every few seconds. */
  get consoleWatchingTopic(): string {
    return `${this.prefix}:console:watching`;
  }

  /** Pub/sub: an app's activity, published by other nodes while some console watches it. */
  consoleEntriesTopic(appId: AppId): string {
    return `${this.prefix}:console:entries:${keyPart(appId)}`;
  }
}

/** A socket as other nodes see it: unique across the cluster. */
export const socketRef = (node: NodeId, socketId: SocketId) => `${node}/${socketId}`;
