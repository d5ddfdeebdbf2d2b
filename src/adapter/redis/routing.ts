import type { RedisKeys } from './keys.js';
import type { AppId, ChannelName, NodeId, UserId } from './types.js';

/**
 * How events cross between nodes. `interest`: each channel (and each
 * signed-in user) has its own topic, which a node subscribes to while it
 * serves a subscriber of it, so a node hears only what it delivers.
 * `broadcast`: one topic for every event, heard by every node (the older
 * design, kept so that the two can be measured against each other).
 */
export type RoutingMode = 'interest' | 'broadcast';

/** The pub/sub topic of each thing a node publishes to, by routing mode. */
export class TopicRouting {
  constructor(
    private readonly keys: RedisKeys,
    readonly mode: RoutingMode,
  ) {}

  get byInterest(): boolean {
    return this.mode === 'interest';
  }

  /** Where a channel's events go (a script that publishes an event, history for one, takes this as an argument). */
  channelTopic(appId: AppId, channel: ChannelName): string {
    return this.byInterest ? this.keys.channelTopic(appId, channel) : this.keys.broadcastTopic;
  }

  /** Where control messages for one user's connections (terminate) go. */
  userTopic(appId: AppId, userId: UserId): string {
    return this.byInterest ? this.keys.userTopic(appId, userId) : this.keys.controlTopic;
  }

  /** The topics a node hears for as long as it runs, whatever it serves. */
  nodeTopics(node: NodeId): string[] {
    const topics = [this.keys.controlTopic, this.keys.replyTopic(node)];
    if (!this.byInterest) topics.push(this.keys.broadcastTopic);
    return topics;
  }
}
