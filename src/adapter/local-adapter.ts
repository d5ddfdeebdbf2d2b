import { LocalRateLimiter } from './rate-limit.js';
import { MemoryCacheStore } from './cache-store.js';
import type { LocalSubscribers } from './local-subscribers.js';
import { MemoryPresenceStore } from './presence-store.js';
import { ProtocolLimits } from '../protocol/limits.js';
import type { AppId, ChannelName, PresenceMember, SocketId, UserId } from '../protocol/types.js';
import type { LocalUsers } from './local-users.js';
import { MemoryUserDirectory } from './user-directory.js';
import type { Adapter, PresenceJoin, PresenceJoinOptions, PresenceLeave } from './adapter.js';

/** The embedded default: one node, all state in this process. */
export class LocalAdapter implements Adapter {
  readonly presence = new MemoryPresenceStore();
  readonly cache = new MemoryCacheStore(ProtocolLimits.cacheTtlSeconds * 1000);
  readonly users = new MemoryUserDirectory();
  readonly rateLimits = new LocalRateLimiter();
  /** The subscription count each channel's subscribers were last told; none means 0. */
  private readonly told = new Map<string, number>();

  constructor(
    private readonly subscribers: LocalSubscribers,
    /** This node's open connections of an app. */
    private readonly localConnectionCount: (appId: AppId) => number,
    private readonly localUsers: LocalUsers,
  ) {}

  broadcast(appId: AppId, channel: ChannelName, frame: string, except?: SocketId): void {
    this.subscribers.deliver(appId, channel, frame, except);
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

  async channelOccupancy(): Promise<boolean> {
    // One node: its own subscribers are all there are.
    return true;
  }

  async joinPresence(appId: AppId, channel: ChannelName, socketId: SocketId, member: PresenceMember, options: PresenceJoinOptions): Promise<PresenceJoin> {
    const admitted = await this.presence.admit(appId, channel, socketId, member, options.maxMembers);
    return { ...admitted, occupied: options.occupying };
  }

  async leavePresence(appId: AppId, channel: ChannelName, socketId: SocketId, userId: UserId, vacating: boolean): Promise<PresenceLeave> {
    const { userLeft } = await this.presence.leave(appId, channel, socketId, userId);
    return { userLeft, vacated: vacating };
  }

  async subscriptionCountToTell(appId: AppId, channel: ChannelName): Promise<number | null> {
    const count = this.subscribers.count(appId, channel);
    const key = `${appId}\u0000${channel}`;
    if ((this.told.get(key) ?? 0) === count) return null;
    if (count === 0) this.told.delete(key);
    else this.told.set(key, count);
    return count;
  }

  async start(): Promise<void> {}

  ready(): boolean {
    return true;
  }

  async close(): Promise<void> {}
}
