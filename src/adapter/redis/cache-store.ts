import { MemoryCacheStore, type CachedEvent, type CacheStore } from '../cache-store.js';
import type { RedisKeys } from './keys.js';
import type { RedisLink } from './link.js';
import type { AppId, ChannelName } from './types.js';

/**
 * The last event of each cache channel, shared by every node with Redis
 * expiring it. Also kept locally so this node's own subscribers still get
 * a replay while Redis is unreachable.
 */
export class RedisCacheStore implements CacheStore {
  private readonly local: MemoryCacheStore;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly ttlMs: number,
  ) {
    this.local = new MemoryCacheStore(ttlMs);
  }

  async get(appId: AppId, channel: ChannelName): Promise<CachedEvent | undefined> {
    if (this.link.usable) {
      try {
        const text = await this.link.commands.get(this.keys.cache(appId, channel));
        if (text === null) return undefined;
        const [event, data] = JSON.parse(text) as [string, string];
        return { event, data };
      } catch (err) {
        this.link.failed('cache read', err);
      }
    }
    return this.local.get(appId, channel);
  }

  async set(appId: AppId, channel: ChannelName, event: CachedEvent): Promise<void> {
    await this.local.set(appId, channel, event);
    if (!this.link.usable) return;
    try {
      await this.link.commands.set(this.keys.cache(appId, channel), JSON.stringify([event.event, event.data]), 'PX', this.ttlMs);
    } catch (err) {
      this.link.failed('cache write', err);
    }
  }
}
