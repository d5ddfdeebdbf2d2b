import type { HistoryPolicy } from '../apps/history-policy.js';
import type { HistoryStore } from './history-store.js';
import type { AppRateLimiter } from './rate-limit.js';
import type { PubSubTraffic } from './pubsub-traffic.js';
import type { RequestForwarding } from './forwarding.js';
import type { CacheStore } from './cache-store.js';
import type { PresenceJoin, PresenceJoinOptions, PresenceLeave, PresenceStore } from './presence-store.js';
import type { AppId, ChannelName, PresenceMember, SocketId, UserId } from '../protocol/types.js';
import type { UserDirectory } from './user-directory.js';

/**
 * The scaling boundary. Everything that must be the same on every node goes
 * through here: fan-out of frames, cluster-wide views of channels and
 * connections, and the shared presence, cache and user state. The local
 * adapter keeps it all in this process; a cluster adapter spreads it.
 *
 * `broadcast` is the hot path: the frame is encoded once by the caller and
 * each node writes it to its own subscribers.
 */
export interface Adapter {
  readonly presence: PresenceStore;
  readonly cache: CacheStore;
  readonly users: UserDirectory;
  /** Per-app request budgets, shared by every node where the adapter spans several. */
  readonly rateLimits: AppRateLimiter;
  /** Requests for what only another node holds (an HTTP fallback session), carried to that node. */
  readonly forwarding: RequestForwarding;

  /** What this node sent to and heard from the other nodes (zero on one node). */
  readonly pubsub: PubSubTraffic;

  /**
   * Resolves once events published to the channel from any node reach this
   * node: at once on one node; in a cluster routed by interest, once Redis
   * confirmed this node's subscription to the channel's topic (which its
   * first local subscriber asked for). A client is told it is subscribed only
   * after this, so that no event it could expect is missed. Never rejects:
   * while Redis is unreachable the node serves its own clients.
   */
  listening(appId: AppId, channel: ChannelName): Promise<void>;
  /** The same for the control messages of a signed-in user (terminate), asked for by its first local connection. */
  listeningToUser(appId: AppId, userId: UserId): Promise<void>;

  /** Kept events of the channels whose app asks for history. */
  readonly history: HistoryStore;

  /** Delivers an encoded frame to a channel's subscribers on every node, except one socket. */
  broadcast(appId: AppId, channel: ChannelName, frame: string, except?: SocketId): void;
  /**
   * `broadcast` for a channel with history: the event is kept and given its
   * serial where it is published, and reaches every node's subscribers in
   * serial order (clients that opted in get the serial with it). Resolves
   * once it is kept.
   */
  broadcastKept(appId: AppId, channel: ChannelName, frame: string, policy: HistoryPolicy, except?: SocketId): Promise<void>;
  /** Closes every connection of a signed-in user, on every node. */
  terminateUserConnections(appId: AppId, userId: UserId): Promise<void>;

  /** Occupied channels of an app with their subscription counts. */
  channels(appId: AppId): Promise<Map<ChannelName, number>>;
  subscriptionCount(appId: AppId, channel: ChannelName): Promise<number>;
  connectionCount(appId: AppId): Promise<number>;

  /**
   * This node's subscribers of a channel went from none to some (`occupied`)
   * or from some to none. Resolves true when that changed whether the channel
   * is occupied anywhere in the cluster, so that `channel_occupied` and
   * `channel_vacated` are told once for the cluster, not once per node.
   */
  channelOccupancy(appId: AppId, channel: ChannelName, occupied: boolean): Promise<boolean>;

  /**
   * A socket joins a presence channel: the member limit, the membership,
   * the member list for `subscription_succeeded` and, when `occupying` (this
   * node's first subscriber of the channel), the node's occupancy, as
   * `channelOccupancy` would record it. One step, so one round trip on a
   * cluster; the occupancy is recorded even when the channel is full, and let
   * go like any other (`channelOccupancy(…, false)`).
   */
  joinPresence(appId: AppId, channel: ChannelName, socketId: SocketId, member: PresenceMember, options: PresenceJoinOptions): Promise<PresenceJoin>;
  /** A socket leaves a presence channel; with the node's occupancy when `vacating` (its last subscriber there). */
  leavePresence(appId: AppId, channel: ChannelName, socketId: SocketId, userId: UserId, vacating: boolean): Promise<PresenceLeave>;

  /**
   * This node's subscriber count of a channel changed. Resolves with the
   * cluster-wide count when it is news to the channel's subscribers, null
   * when they were last told this very count (by this node or another), so
   * that each count is told once for the cluster, not once per node whose
   * count moved. (Webhooks need no such step: the cluster batches their
   * recorded events once.)
   */
  subscriptionCountToTell(appId: AppId, channel: ChannelName): Promise<number | null>;

  /**
   * Failures counted against a budget every node must see the same (wrong
   * operator tokens per client address): `recordFailure` tells the other
   * nodes, and `onFailure` hears theirs (never this node's own).
   */
  recordFailure(budget: string, key: string, at: number): void;
  onFailure(listener: FailureListener): void;

  /** Connects to whatever the adapter shares state through; resolves once usable or given up on (never rejects). */
  start(): Promise<void>;
  /** False while cluster-wide state is unreachable (the readiness endpoint reports it). */
  ready(): boolean;
  close(): Promise<void>;
}

/**
 * A change of cluster-wide membership found by the adapter itself rather
 * than by a client frame on this node: a dead node's presence members and
 * users removed, or this node's own put back after Redis returned. The
 * server turns each into the protocol's frames.
 */
export type ClusterChange =
  | { readonly kind: 'member_added'; readonly appId: AppId; readonly channel: ChannelName; readonly userId: UserId; readonly userInfo: unknown }
  | { readonly kind: 'member_removed'; readonly appId: AppId; readonly channel: ChannelName; readonly userId: UserId }
  | { readonly kind: 'user_online' | 'user_offline'; readonly appId: AppId; readonly userId: UserId }
  | { readonly kind: 'channel_occupied' | 'channel_vacated'; readonly appId: AppId; readonly channel: ChannelName };


/** A failure another node counted: which budget, whose (a client address), and when. */
export type FailureListener = (budget: string, key: string, at: number) => void;
