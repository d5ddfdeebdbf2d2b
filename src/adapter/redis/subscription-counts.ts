import type { RedisKeys } from './keys.js';
import type { RedisLink } from './link.js';
import { runScript, tellSubscriptionCount } from './scripts.js';
import type { AppId, ChannelName, NodeId } from './types.js';

/**
 * Which node tells a channel's new subscription count. Every node whose own
 * count moved writes it to Redis and adds up everyone's in the same script,
 * which also remembers the last count told to subscribers: a count is
 * told by the first node to arrive at it, and not again by the others.
 * A node's count goes with its occupancy of the channel (the membership
 * scripts drop it when the node leaves the channel or dies).
 */
export class RedisSubscriptionCounts {
  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly node: NodeId,
  ) {}

  toTell(appId: AppId, channel: ChannelName, localCount: number): Promise<number | null> {
    return this.link.attempt(
      'subscription count',
      async (redis) => {
        const total = (await runScript(redis, tellSubscriptionCount, this.keys.subscriptionCounts(appId, channel), [this.keys.prefix, this.node, appId, channel, localCount, 'clients'])) as number;
        return total === -1 ? null : total;
      },
      // Cut off from the others, this node can only tell what it sees.
      () => localCount,
    );
  }
}
