/**
 * What a node's adapter sends to and hears from the other nodes: plain
 * numbers bumped where the messages pass, turned into metrics only when
 * scraped. With interest routing a node should hear about as many events as
 * it delivers; with one broadcast topic it hears every event of the cluster.
 */
export class PubSubTraffic {
  /** Pub/sub messages received (a batch of a turn's broadcasts counts once). */
  messagesIn = 0;
  bytesIn = 0;
  /** Broadcasts (one event for one channel) inside the messages received. */
  broadcastsIn = 0;
  messagesOut = 0;
  bytesOut = 0;
  /** Pub/sub topics this node is subscribed to now (confirmed by Redis). */
  topics = 0;
}
