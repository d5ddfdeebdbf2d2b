import type { RedisKeys } from './keys.js';
import type { RedisLink } from './link.js';
import { occupancyEntry, type NodeEntries } from './membership.js';
import { applyEntry, runScript } from './scripts.js';
import type { AppId, ChannelName, NodeId } from './types.js';

/**
 * Which nodes have subscribers in which channels, as membership entries: the
 * first node in makes the channel occupied for the cluster, the last one out
 * vacates it, and a dead node's channels are vacated by the survivor that
 * removes it. Costs one script per channel per node when it fills or empties,
 * not one per subscriber.
 */
export class RedisOccupancy {
  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly node: NodeId,
    private readonly entries: NodeEntries,
  ) {}

  change(appId: AppId, channel: ChannelName, occupied: boolean): Promise<boolean> {
    const entry = occupancyEntry(this.node, appId, channel);
    if (occupied) this.entries.set(entry, '');
    else this.entries.delete(entry);
    return this.link.attempt(
      'channel occupancy',
      async (redis) => (await runScript(redis, applyEntry, [this.keys.prefix, this.node, occupied ? 'add' : 'remove', entry, ''])) === 1,
      // Decided locally for now; the resync when Redis returns tells the cluster.
      () => true,
    );
  }
}
