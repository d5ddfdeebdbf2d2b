import type { HistoryPolicy } from '../apps/history-policy.js';
import type { HistoryStore } from './history-store.js';
import { MemoryHistory } from './memory-history.js';
import { MemoryCacheStore, type CacheStore } from './cache-store.js';
import { SINGLE_NODE, type RequestForwarding } from './forwarding.js';
import { LocalSubscribers } from './local-subscribers.js';
import { LocalUsers } from './local-users.js';
import { PubSubTraffic } from './pubsub-traffic.js';
import { MemoryPresenceStore, type PresenceJoin, type PresenceJoinOptions, type PresenceLeave, type PresenceStore } from './presence-store.js';
import { LocalRateLimiter, type AppRateLimiter } from './rate-limit.js';
import { MemoryUserDirectory, type UserDirectory } from './user-directory.js';
import { ProtocolLimits } from '../protocol/limits.js';
import type { AppId, ChannelName, PresenceMember, SocketId, UserId } from '../protocol/types.js';
import type { Adapter, FailureListener } from './adapter.js';

/** The state every node of a cluster must see the same: in this process for one node, in Redis for many. */
export interface SharedState {
  readonly presence: PresenceStore;
  readonly cache: CacheStore;
  readonly users: UserDirectory;
  readonly rateLimits: AppRateLimiter;
  /** Kept events; in this process when not given. */
  readonly history?: HistoryStore;
}

export function inMemory(): SharedState {
  return {
    presence: new MemoryPresenceStore(),
    cache: new MemoryCacheStore(ProtocolLimits.cacheTtlSeconds * 1000),
    users: new MemoryUserDirectory(),
    rateLimits: new LocalRateLimiter(),
  };
}

/**
 * The embedded default, one node with all state in this process, and the
 * local half of every adapter: this node's routing index (who here is
 * subscribed to what, which sockets are which user) and its answers for its
 * own connections. The cluster adapter extends it and adds only what crosses
 * to the other nodes.
 */
export class LocalAdapter implements Adapter {
  /** Who on this node is subscribed to what; broadcasts are written from here. */
  readonly subscribers = new LocalSubscribers();
  /** This node's signed-in connections, by user. */
  readonly localUsers = new LocalUsers();
  readonly presence: PresenceStore;
  readonly cache: CacheStore;
  readonly users: UserDirectory;
  readonly rateLimits: AppRateLimiter;
  readonly pubsub = new PubSubTraffic();
  /** One node: every session is here. A cluster adapter forwards to the node holding one. */
  readonly forwarding: RequestForwarding = SINGLE_NODE;
  readonly history: HistoryStore;
  /** One node's history (unused when a cluster adapter shares its own). */
  private readonly memoryHistory = new MemoryHistory();
  /** Who hears failures other nodes counted (a cluster adapter calls them). */
  protected readonly failureListeners: FailureListener[] = [];
  /** The subscription count each channel's subscribers were last told; none means 0. */
  private readonly told = new Map<string, number>();

  constructor(
    /** This node's open connections of an app. */
    protected readonly localConnectionCount: (appId: AppId) => number,
    shared: SharedState = inMemory(),
  ) {
    ({ presence: this.presence, cache: this.cache, users: this.users, rateLimits: this.rateLimits } = shared);
    this.history = shared.history ?? this.memoryHistory;
  }

  /** One node hears every event it makes. */
  async listening(_appId: AppId, _channel: ChannelName): Promise<void> {}

  async listeningToUser(_appId: AppId, _userId: UserId): Promise<void> {}

  broadcast(appId: AppId, channel: ChannelName, frame: string, except?: SocketId): void {
    this.subscribers.deliver(appId, channel, frame, except);
  }

  async broadcastKept(appId: AppId, channel: ChannelName, frame: string, policy: HistoryPolicy, except?: SocketId): Promise<void> {
    // One node: kept and delivered in the same turn, so delivery follows serial order.
    const serial = this.memoryHistory.append(appId, channel, policy, frame, except);
    this.subscribers.deliver(appId, channel, frame, except, serial);
  }

  async terminateUserConnections(appId: AppId, userId: UserId): Promise<void> {
    this.localUsers.terminate(appId, userId);
  }

  async channels(appId: AppId): Promise<Map<ChannelName, number>> {
    return this.subscribers.channels(appId);
  }

  async subscriptionCount(appId: AppId, channel: ChannelName): Promise<number> {
    return this.subscribers.count(appId, channel);
  }

  async connectionCount(appId: AppId): Promise<number> {
    return this.localConnectionCount(appId);
  }

  async channelOccupancy(_appId: AppId, _channel: ChannelName, _occupied: boolean): Promise<boolean> {
    // One node: its own subscribers are all there are.
    return true;
  }

  joinPresence(appId: AppId, channel: ChannelName, socketId: SocketId, member: PresenceMember, options: PresenceJoinOptions): Promise<PresenceJoin> {
    return this.presence.join(appId, channel, socketId, member, options);
  }

  leavePresence(appId: AppId, channel: ChannelName, socketId: SocketId, userId: UserId, vacating: boolean): Promise<PresenceLeave> {
    return this.presence.leave(appId, channel, socketId, userId, vacating);
  }

  async subscriptionCountToTell(appId: AppId, channel: ChannelName): Promise<number | null> {
    const count = this.subscribers.count(appId, channel);
    const key = `${appId}\u0000${channel}`;
    if ((this.told.get(key) ?? 0) === count) return null;
    if (count === 0) this.told.delete(key);
    else this.told.set(key, count);
    return count;
  }

  /** One node: there is nobody to tell, and nobody tells it. */
  recordFailure(_budget: string, _key: string, _at: number): void {}

  onFailure(listener: FailureListener): void {
    this.failureListeners.push(listener);
  }

  async start(): Promise<void> {}

  ready(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.memoryHistory.close();
  }
}
