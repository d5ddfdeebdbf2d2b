import type { AppId, ChannelName, NodeId, SocketId, UserId } from './types.js';

/**
 * One variable part of a Redis key or pub/sub channel name (an app id, a
 * channel, a user id), made safe to join with ':' and to stand inside a
 * hash tag. App ids come from the operator and may contain anything; user
 * ids come from the app's signed auth and may contain ':'; so may
 * `#server-to-user-` channels, which carry a user id. Escaping the
 * separator (and the escape character itself) makes the key of two
 * different part lists always differ, wherever in the key a part stands;
 * escaping the braces keeps a part from ending a hash tag early (or
 * starting one), so the keys that must share a Redis Cluster slot do.
 * Every other character is kept.
 *
 * The Lua scripts build keys with the same rule (`part` in scripts.ts).
 */
export function keyPart(part: string): string {
  return part.replace(/[%:{}]/g, (c) => ESCAPES[c] as string);
}

const ESCAPES: Readonly<Record<string, string>> = { '%': '%25', ':': '%3A', '{': '%7B', '}': '%7D' };

/**
 * Every Redis key and pub/sub channel of one cluster, under its prefix so
 * that several clusters can share one Redis. Each variable part goes
 * through `keyPart`, so no app id, channel or user id can make two keys meet.
 *
 * Keys that one Lua script touches together share a hash tag (the part in
 * braces), so that on a Redis Cluster they live in one slot: a channel's
 * keys are tagged by app and channel, a signed-in user's by app and user,
 * the node list and the webhook queue each by their own name. On one Redis
 * the braces mean nothing.
 */
export class RedisKeys {
  /** The prefix as it stands in keys (braces escaped, so it never opens a hash tag). */
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix.replace(/[{}]/g, (c) => ESCAPES[c] as string);
  }

  // The nodes of the cluster (liveness.ts): one slot, so that one script
  // can find the silent ones and hand each to one survivor to clean up.

  /** Sorted set: node id → time of its last heartbeat (Redis clock, ms). */
  get nodes(): string {
    return `${this.prefix}:{nodes}`;
  }

  /** Sorted set: dead node id → until when the survivor cleaning it up holds it (Redis clock, ms). */
  get deadNodes(): string {
    return `${this.prefix}:{nodes}:dead`;
  }

  /** Set of the index keys (`nodeIndex`) in which a node holds membership entries: where its state is when it dies. */
  nodeGroups(node: NodeId): string {
    return `${this.prefix}:{node:${keyPart(node)}}:groups`;
  }

  /** Pub/sub: frames to deliver, every event of every app (broadcast routing only). */
  get broadcastTopic(): string {
    return `${this.prefix}:broadcast`;
  }

  /**
   * Pub/sub: the events of one channel of one app, heard only by the nodes
   * with a subscriber of it (interest routing). The message is a broadcast
   * batch (`encodeBroadcasts` in messages.ts). A script that publishes a
   * channel's event (history, say) takes this name as an argument.
   */
  channelTopic(appId: AppId, channel: ChannelName): string {
    // In the channel's hash slot, so that a script may append to the channel's
    // keys and SPUBLISH to its topic in one step on a Redis Cluster.
    return `${this.channelTag(appId, channel)}:topic`;
  }

  /** Pub/sub: control messages for one signed-in user (terminate), heard only by the nodes holding its connections. */
  userTopic(appId: AppId, userId: UserId): string {
    return `${this.userTag(appId, userId)}:user-topic`;
  }

  /** Whether a topic is a user's (`userTopic`): its messages are control messages, not broadcasts. */
  isUserTopic(topic: string): boolean {
    // Every tag ends with '}' and no escaped part holds ':', so the suffix after it tells a user's topic from a channel's.
    return topic.endsWith('}:user-topic');
  }

  /** Pub/sub: node-to-node requests (terminate, queries). */
  get controlTopic(): string {
    return `${this.prefix}:control`;
  }

  /** Pub/sub: answers addressed to one node. */
  replyTopic(node: NodeId): string {
    return `${this.prefix}:reply:${keyPart(node)}`;
  }

  /** What every key of one channel starts with: its hash tag. */
  private channelTag(appId: AppId, channel: ChannelName): string {
    return `${this.prefix}:{${keyPart(appId)}:${keyPart(channel)}}`;
  }

  /** What every key of one signed-in user starts with: its hash tag (two parts inside, so never a channel's). */
  private userTag(appId: AppId, userId: UserId): string {
    return `${this.prefix}:{${keyPart(appId)}:user:${keyPart(userId)}}`;
  }

  /** Pub/sub: requests forwarded to one node, and the answers to the requests it forwarded (node-requests.ts). */
  forwardTopic(node: NodeId): string {
    return `${this.prefix}:forward:${keyPart(node)}`;
  }

  /** String: the node holding something only it can serve (an HTTP fallback session), kept alive by it (holders.ts). */
  holder(key: string): string {
    return `${this.prefix}:held:${keyPart(key)}`;
  }

  /** Hash: user id → user_info (JSON) of a presence channel's members (kept by the membership scripts). */
  presenceMembers(appId: AppId, channel: ChannelName): string {
    return `${this.channelTag(appId, channel)}:members`;
  }

  /** Set of the sockets through which a user is in a presence channel (kept by the membership scripts). */
  presenceSockets(appId: AppId, channel: ChannelName, userId: UserId): string {
    return `${this.channelTag(appId, channel)}:user:${keyPart(userId)}`;
  }

  /** Set of the nodes with subscribers in a channel (kept by the membership scripts). */
  occupancy(appId: AppId, channel: ChannelName): string {
    return `${this.channelTag(appId, channel)}:occupancy`;
  }

  /** Hash: node id → its subscriber count of a channel, as it last told it (kept by the scripts). */
  subscriptionCounts(appId: AppId, channel: ChannelName): string {
    return `${this.channelTag(appId, channel)}:subscriptions`;
  }

  /** Hash: 'clients' → the channel's count its subscribers were last told (kept by the scripts). */
  subscriptionCountsTold(appId: AppId, channel: ChannelName): string {
    return `${this.subscriptionCounts(appId, channel)}:told`;
  }

  cache(appId: AppId, channel: ChannelName): string {
    return `${this.channelTag(appId, channel)}:cache`;
  }

  /** Set of a node's own membership entries about one channel (presence, occupancy), in the channel's slot. */
  channelIndex(appId: AppId, channel: ChannelName, node: NodeId): string {
    return `${this.channelTag(appId, channel)}:node:${keyPart(node)}`;
  }

  /**
   * Stream: a channel's kept events (channel history), the serial being the
   * stream id. Hash-tagged by app and channel, so it has one slot on a Redis
   * Cluster and the script that appends and publishes touches one key.
   */
  history(appId: AppId, channel: ChannelName): string {
    return `${this.channelTag(appId, channel)}:history`;
  }

  /** SCAN pattern of every history stream of this cluster (for the usage figures). */
  get historyPattern(): string {
    return `${this.prefix.replace(/[*?[\]\\]/g, '\\$&')}:{*}:history`;
  }

  /** Counter of an app's budget for one action in the one-second window starting at `windowStart`. */
  rateWindow(appId: AppId, action: string, windowStart: number): string {
    return `${this.prefix}:rate:${keyPart(appId)}:${keyPart(action)}:${windowStart}`;
  }

  /** Set of the sockets through which a user is signed in (kept by the membership scripts). */
  user(appId: AppId, userId: UserId): string {
    return `${this.userTag(appId, userId)}:sockets`;
  }

  /** Set of a node's own sign-in entries of one user, in the user's slot. */
  userIndex(appId: AppId, userId: UserId, node: NodeId): string {
    return `${this.userTag(appId, userId)}:node:${keyPart(node)}`;
  }

  // The webhook queue (webhooks/redis-queue.ts), shared by every node of the
  // cluster: its scripts touch all five keys, so they share one slot.

  /** Stream: recorded events not batched yet, oldest first. */
  get webhookEvents(): string {
    return `${this.prefix}:{webhooks}:events`;
  }

  /** Sorted set: job id → when it is next due (Redis clock, ms). */
  get webhookDue(): string {
    return `${this.prefix}:{webhooks}:due`;
  }

  /** Hash: job id → the job (JSON). */
  get webhookJobs(): string {
    return `${this.prefix}:{webhooks}:jobs`;
  }

  /** Hash: job id → failed deliveries so far. */
  get webhookAttempts(): string {
    return `${this.prefix}:{webhooks}:attempts`;
  }

  /** Counter: the last job id given. */
  get webhookSeq(): string {
    return `${this.prefix}:{webhooks}:seq`;
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
