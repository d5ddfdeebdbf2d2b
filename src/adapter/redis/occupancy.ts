import { occupancyEntry, type NodeMembership } from './membership.js';
import { applyEntry } from './scripts.js';
import type { AppId, ChannelName } from './types.js';

/**
 * Which nodes have subscribers in which channels, as membership entries: the
 * first node in makes the channel occupied for the cluster, the last one out
 * vacates it, and a dead node's channels are vacated by the survivor that
 * removes it. Costs one script per channel per node when it fills or empties,
 * not one per subscriber.
 */
export class RedisOccupancy {
  constructor(private readonly membership: NodeMembership) {}

  async change(appId: AppId, channel: ChannelName, occupied: boolean): Promise<boolean> {
    const index = this.membership.channelIndex(appId, channel);
    const entry = occupancyEntry(this.membership.node, appId, channel);
    if (occupied) this.membership.record(index, entry, '');
    else this.membership.forget(index, entry);
    const reply = await this.membership.run('channel occupancy', index, applyEntry, [occupied ? 'add' : 'remove', entry, '']);
    // Decided locally for now when Redis could not answer; the resync when Redis returns tells the cluster.
    return reply === null ? true : reply === 1;
  }
}
