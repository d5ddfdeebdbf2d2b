import { publishInOrder, type RedisClient } from './connection.js';
import type { PubSubTraffic } from '../pubsub-traffic.js';

/** Asked of Redis in one command at most, so that a resubscription after an outage never builds one huge command. */
const TOPICS_PER_COMMAND = 1000;

/**
 * Every pub/sub PUBLISH, SUBSCRIBE and UNSUBSCRIBE of the adapter goes
 * through here, and every message heard comes out of here, counted. It is
 * the one place that knows which commands carry them: plain pub/sub on a
 * single Redis, or sharded pub/sub (SPUBLISH / SSUBSCRIBE: on a Redis
 * Cluster each topic is then carried by the one shard that owns its hash
 * slot, instead of by every node of the cluster).
 */
export class PubSubBus {
  constructor(
    private readonly commands: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly traffic: PubSubTraffic,
    /** SPUBLISH / SSUBSCRIBE instead of PUBLISH / SUBSCRIBE (Redis 7). */
    private readonly sharded = false,
  ) {}

  /** Calls `listener` with each message heard (topic and text). */
  onMessage(listener: (topic: string, text: string) => void): void {
    // Buffers, so that the bytes counted are the bytes that crossed the wire.
    this.subscriber.on(this.sharded ? 'smessageBuffer' : 'messageBuffer', (topic: Buffer, message: Buffer) => {
      this.traffic.messagesIn++;
      this.traffic.bytesIn += message.length;
      listener(topic.toString(), message.toString());
    });
  }

  publish(topic: string, text: string): Promise<unknown> {
    this.traffic.messagesOut++;
    this.traffic.bytesOut += Buffer.byteLength(text);
    return this.sharded ? this.commands.spublish(topic, text) : publishInOrder(this.commands, topic, text);
  }

  /** Resolves once Redis confirmed every topic: from then on each message published to them reaches this node. */
  async subscribe(topics: readonly string[]): Promise<void> {
    // Sharded: one topic a command, as the topics of one command must share a hash slot on a cluster.
    if (this.sharded) await Promise.all(topics.map((topic) => this.subscriber.ssubscribe(topic)));
    else for (let i = 0; i < topics.length; i += TOPICS_PER_COMMAND) await this.subscriber.subscribe(...topics.slice(i, i + TOPICS_PER_COMMAND));
  }

  async unsubscribe(topics: readonly string[]): Promise<void> {
    if (this.sharded) await Promise.all(topics.map((topic) => this.subscriber.sunsubscribe(topic)));
    else for (let i = 0; i < topics.length; i += TOPICS_PER_COMMAND) await this.subscriber.unsubscribe(...topics.slice(i, i + TOPICS_PER_COMMAND));
  }
}
