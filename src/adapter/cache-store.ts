import type { AppId, ChannelName, EventName } from '../protocol/types.js';

export interface CachedEvent {
  readonly event: EventName;
  /** The event's data as it is sent on the wire. */
  readonly data: string;
}

/** The last event of each cache channel, replayed to new subscribers. */
export interface CacheStore {
  get(appId: AppId, channel: ChannelName): Promise<CachedEvent | undefined>;
  set(appId: AppId, channel: ChannelName, event: CachedEvent): Promise<void>;
}

export class MemoryCacheStore implements CacheStore {
  private readonly entries = new Map<string, { event: CachedEvent; expiresAt: number }>();
  private lastPrune = Date.now();

  constructor(private readonly ttlMs: number) {}

  /** Cached events held, expired ones not yet pruned included. */
  get size(): number {
    return this.entries.size;
  }

  async get(appId: AppId, channel: ChannelName) {
    const key = keyOf(appId, channel);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.event;
  }

  async set(appId: AppId, channel: ChannelName, event: CachedEvent) {
    const now = Date.now();
    this.entries.set(keyOf(appId, channel), { event, expiresAt: now + this.ttlMs });
    // Expired entries of channels nobody reads again are dropped now and then.
    if (now - this.lastPrune > this.ttlMs) {
      this.lastPrune = now;
      for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    }
  }
}

const keyOf = (appId: AppId, channel: ChannelName) => `${appId}\u0000${channel}`;
