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

  get(appId: AppId, channel: ChannelName): Promise<CachedEvent | undefined> {
    return this.link.attempt(
      'cache read',
      async (redis) => {
        const text = await redis.get(this.keys.cache(appId, channel));
        if (text === null) return undefined;
        const [event, data] = JSON.parse(text) as [string, string];
        return { event, data };
      },
      () => this.local.get(appId, channel),
    );
  }

  async set(appId: AppId, channel: ChannelName, event: CachedEvent): Promise<void> {
    await this.local.set(appId, channel, event);
    await this.link.attempt(
      'cache write',
      async (redis) => {
        await redis.set(this.keys.cache(appId, channel), JSON.stringify([event.event, event.data]), 'PX', this.ttlMs);
      },
      () => undefined,
    );
  }
}
