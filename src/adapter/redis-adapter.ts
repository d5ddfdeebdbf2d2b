import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging/logger.js';
import { ProtocolLimits } from '../protocol/limits.js';
import type { ClusterChange } from './adapter.js';
import { LocalAdapter } from './local-adapter.js';
import { PubSubBus } from './redis/bus.js';
import { RedisCacheStore } from './redis/cache-store.js';
import { TopicInterest } from './redis/interest.js';
import type { HistoryPolicy } from '../apps/history-policy.js';
import { decodeKeptBroadcast, isKeptBroadcast, RedisHistory } from './redis/history.js';
import { RedisKeys } from './redis/keys.js';
import { RedisLink } from './redis/link.js';
import { RedisHolders } from './redis/holders.js';
import { NodeLiveness } from './redis/liveness.js';
import { NodeMembership } from './redis/membership.js';
import { RedisOccupancy } from './redis/occupancy.js';
import {
  decodeBroadcasts,
  decodeControl,
  decodeReply,
  encodeBroadcasts,
  type Broadcast,
  type ControlMessage,
  type NodeAnswer,
  type NodeQuery,
  type ReplyMessage,
} from './redis/messages.js';
import { RedisNodeRequests } from './redis/node-requests.js';
import { RedisPresenceStore } from './redis/presence-store.js';
import { RedisRateLimiter } from './redis/rate-limiter.js';
import { TopicRouting, type RoutingMode } from './redis/routing.js';
import { RedisSubscriptionCounts } from './redis/subscription-counts.js';
import { RedisUserDirectory } from './redis/user-directory.js';
import type { AppId, ChannelName, NodeId, SocketId, UserId } from './redis/types.js';

export interface RedisAdapterOptions {
  readonly url: string;
  readonly prefix: string;
  readonly heartbeatMs: number;
  readonly nodeTimeoutMs: number;
  readonly log: Logger;
  /** How events reach the other nodes (see TopicRouting); interest unless told otherwise. */
  readonly routing?: RoutingMode;
  /** Membership changes found by the cluster itself (dead nodes, resync), to announce to clients. */
  readonly onClusterChange: (change: ClusterChange) => void;
}

/** How long a cluster query waits for the other nodes before answering with those that replied. */
const QUERY_TIMEOUT_MS = 1000;

/** A turn's broadcasts are published early once their frames pass this size, so one message stays small. */
const MAX_PUBLISH_CHARS = 512 * 1024;

interface PendingQuery {
  readonly waitingFor: Set<NodeId>;
  readonly answers: NodeAnswer[];
  readonly done: () => void;
}

/**
 * Many Herald nodes acting as one through Redis. Message routing is pub/sub:
 * the broadcasts of an event-loop turn to one topic are one PUBLISH of frames
 * encoded once, and each node that hears the topic writes them to its own
 * subscribers. With interest routing a channel's topic is heard only by the
 * nodes serving a subscriber of it; with broadcast routing every event goes
 * on one topic every node hears. Shared state
 * (presence, cache, users) lives in Redis keys; questions about connections
 * (channels, counts) are asked of every live node, which answers for its own.
 * Node liveness is a heartbeat (see NodeLiveness).
 */
export class RedisAdapter extends LocalAdapter {
  readonly node: NodeId;
  override readonly forwarding: RedisNodeRequests;

  private readonly keys: RedisKeys;
  private readonly link: RedisLink;
  private readonly liveness: NodeLiveness;
  private readonly occupancy: RedisOccupancy;
  private readonly counts: RedisSubscriptionCounts;
  private readonly bus: PubSubBus;
  /** Which topic each channel's events and each user's control messages go to. */
  readonly routing: TopicRouting;
  private readonly interest: TopicInterest;
  private readonly ownReplyTopic: string;
  private readonly ownForwardTopic: string;
  private readonly pending = new Map<string, PendingQuery>();
  /** Cluster queries in flight by what they ask: a second asker of the same joins the first. */
  private readonly asking = new Map<string, Promise<NodeAnswer[]>>();
  private readonly log: Logger;
  private droppedWhileDown = 0;
  /** Broadcasts of this turn by topic, delivered here already, still to be published to the other nodes. */
  private unpublished = new Map<string, Broadcast[]>();
  private unpublishedChars = 0;
  private readonly nodeTimeoutMs: number;
  private readonly keptHistory: RedisHistory;

  constructor(
    /** This node's open connections of an app. */
    localConnectionCount: (appId: AppId) => number,
    options: RedisAdapterOptions,
  ) {
    const node: NodeId = randomUUID();
    const log = options.log.child({ node: node.slice(0, 8) });
    const keys = new RedisKeys(options.prefix);
    const link = new RedisLink(options.url, log);
    const membership = new NodeMembership(link, keys, node);
    const history = new RedisHistory(link, keys);
    super(localConnectionCount, {
      presence: new RedisPresenceStore(link, keys, membership),
      cache: new RedisCacheStore(link, keys, ProtocolLimits.cacheTtlSeconds * 1000),
      users: new RedisUserDirectory(link, keys, membership),
      rateLimits: new RedisRateLimiter(link, keys),
      history,
    });
    this.keptHistory = history;
    this.node = node;
    this.log = log;
    this.keys = keys;
    this.link = link;
    this.nodeTimeoutMs = options.nodeTimeoutMs;
    this.occupancy = new RedisOccupancy(membership);
    this.counts = new RedisSubscriptionCounts(link, keys, node);
    this.liveness = new NodeLiveness(
      this.link,
      membership,
      { heartbeatMs: options.heartbeatMs, timeoutMs: options.nodeTimeoutMs },
      (changes) => changes.forEach(options.onClusterChange),
      this.log,
    );
    this.routing = new TopicRouting(keys, options.routing ?? 'interest');
    this.ownReplyTopic = keys.replyTopic(node);
    this.ownForwardTopic = keys.forwardTopic(node);
    this.bus = new PubSubBus(link.commands, link.subscriber, this.pubsub, link.sharded);
    this.interest = new TopicInterest(
      this.bus,
      () => this.link.usable,
      (what, err) => this.link.failed(what, err),
      (heard) => {
        this.pubsub.topics = heard + this.routing.nodeTopics(node).length;
      },
    );
    if (this.routing.byInterest) {
      const routing = this.routing;
      this.subscribers.followInterest({
        first: (appId, channel) => this.interest.want(routing.channelTopic(appId, channel)),
        last: (appId, channel) => this.interest.drop(routing.channelTopic(appId, channel)),
      });
      this.localUsers.followInterest({
        first: (appId, userId) => this.interest.want(routing.userTopic(appId, userId)),
        last: (appId, userId) => this.interest.drop(routing.userTopic(appId, userId)),
      });
    }
    this.bus.onMessage((topic, text) => this.received(topic, text));
    // A connection's subscriptions end with it; they are made again when it is back.
    this.link.subscriber.on('close', () => this.interest.forget());
    this.forwarding = new RedisNodeRequests(link, keys, node, new RedisHolders(link, keys, node), () => this.liveness.peers(), log);
    // Each time Redis (re)connects, including a first connection long after
    // start: subscribe (again: it is idempotent) and resynchronise membership.
    this.link.subscriber.on('ready', () => void this.joinCluster());
  }

  /**
   * Connects, waiting for Redis at most as long as the others would take to
   * give up on this node; after that it serves locally, not ready, and keeps
   * trying.
   */
  override async start(): Promise<void> {
    await this.link.connect(this.nodeTimeoutMs);
    if (this.link.usable) await this.joinCluster();
    else this.log.error('Redis is not reachable at start: serving local clients only (not ready) until it is');
    this.liveness.start();
  }

  override ready(): boolean {
    return this.link.usable && this.liveness.registered;
  }

  override listening(appId: AppId, channel: ChannelName): Promise<void> {
    return this.routing.byInterest ? this.interest.heard(this.routing.channelTopic(appId, channel)) : super.listening(appId, channel);
  }

  override listeningToUser(appId: AppId, userId: UserId): Promise<void> {
    return this.routing.byInterest ? this.interest.heard(this.routing.userTopic(appId, userId)) : super.listeningToUser(appId, userId);
  }

  override broadcast(appId: AppId, channel: ChannelName, frame: string, except?: SocketId): void {
    this.publish({ appId, channel, except, frame });
    super.broadcast(appId, channel, frame, except);
  }

  /**
   * An event of a channel with history is kept and published by one script
   * (its serial is the stream id), and every node, this one included,
   * delivers it when the message comes back from Redis: pub/sub order is the
   * serial order, on every node. Without Redis it reaches this node's
   * clients only, unkept and without a serial, like any broadcast then.
   */
  override async broadcastKept(appId: AppId, channel: ChannelName, frame: string, policy: HistoryPolicy, except?: SocketId): Promise<void> {
    if (this.link.usable) {
      try {
        await this.keptHistory.append(this.node, appId, channel, policy, frame, except, this.routing.channelTopic(appId, channel), this.link.sharded);
        return;
      } catch (err) {
        this.link.failed('history append', err);
      }
    }
    this.publish({ appId, channel, except, frame });
    super.broadcast(appId, channel, frame, except);
  }

  /**
   * The broadcasts of one event-loop turn to one topic go to the other nodes
   * as one PUBLISH, in order (so a channel's events keep their order): a burst of events (a batch trigger, many requests at
   * once) costs Redis and every node one message, not one each. It is queued
   * before this node writes to its own sockets, so that it leaves first at
   * the end of the turn and the other nodes work on it meanwhile.
   */
  private publish(broadcast: Broadcast): void {
    if (!this.link.usable) {
      // Visible, not silent: counted and logged as the outage goes on.
      if (this.droppedWhileDown++ % 1000 === 0) {
        this.log.warn({ dropped: this.droppedWhileDown }, 'Redis unavailable: events reach only this node\'s clients');
      }
      return;
    }
    this.droppedWhileDown = 0;
    const topic = this.routing.channelTopic(broadcast.appId, broadcast.channel);
    const first = this.unpublished.size === 0;
    const queued = this.unpublished.get(topic);
    if (queued) queued.push(broadcast);
    else this.unpublished.set(topic, [broadcast]);
    this.unpublishedChars += broadcast.frame.length;
    if (this.unpublishedChars >= MAX_PUBLISH_CHARS) this.publishPending();
    else if (first) setImmediate(this.publishPending);
  }

  private readonly publishPending = (): void => {
    if (this.unpublished.size === 0) return;
    const byTopic = this.unpublished;
    this.unpublished = new Map();
    this.unpublishedChars = 0;
    for (const [topic, broadcasts] of byTopic) {
      this.bus.publish(topic, encodeBroadcasts({ from: this.node, broadcasts })).catch((err: unknown) => this.link.failed('broadcast', err));
    }
  };

  override async terminateUserConnections(appId: AppId, userId: UserId): Promise<void> {
    await super.terminateUserConnections(appId, userId);
    await this.control({ type: 'terminate_user', from: this.node, appId, userId }, this.routing.userTopic(appId, userId));
  }

  override async channels(appId: AppId): Promise<Map<ChannelName, number>> {
    const merged = await super.channels(appId);
    for (const answer of await this.ask({ kind: 'channels', appId })) {
      if (answer.kind !== 'channels') continue;
      for (const [name, count] of answer.channels) merged.set(name, (merged.get(name) ?? 0) + count);
    }
    return merged;
  }

  override async subscriptionCount(appId: AppId, channel: ChannelName): Promise<number> {
    return (await super.subscriptionCount(appId, channel)) + this.sumCounts(await this.ask({ kind: 'subscription_count', appId, channel }));
  }

  override async connectionCount(appId: AppId): Promise<number> {
    return (await super.connectionCount(appId)) + this.sumCounts(await this.ask({ kind: 'connection_count', appId }));
  }

  override channelOccupancy(appId: AppId, channel: ChannelName, occupied: boolean): Promise<boolean> {
    return this.occupancy.change(appId, channel, occupied);
  }

  override recordFailure(budget: string, key: string, at: number): void {
    void this.control({ type: 'failure', from: this.node, budget, key, at });
  }

  override subscriptionCountToTell(appId: AppId, channel: ChannelName): Promise<number | null> {
    return this.counts.toTell(appId, channel, this.subscribers.count(appId, channel));
  }

  override async close(): Promise<void> {
    this.publishPending();
    await this.liveness.stop();
    for (const query of this.pending.values()) query.done();
    this.forwarding.close();
    await this.link.close();
  }

  private async joinCluster(): Promise<void> {
    try {
      await this.bus.subscribe(this.routing.nodeTopics(this.node));
    } catch (err) {
      this.link.failed('subscribe', err);
      return;
    }
    await Promise.all([this.interest.resubscribe(), this.liveness.beat()]);
  }

  private sumCounts(answers: NodeAnswer[]): number {
    return answers.reduce((sum, a) => sum + (a.kind === 'count' ? a.count : 0), 0);
  }

  /**
   * Asks every other live node; resolves with the answers received within the
   * query timeout. The same question asked again while it is out (a burst of
   * connections checking the app's quota, say) waits for the same answers, so
   * a node puts at most one question of each kind per app (or channel) to
   * the cluster at a time, however many clients ask it.
   */
  private ask(query: NodeQuery): Promise<NodeAnswer[]> {
    const key = JSON.stringify(query);
    const out = this.asking.get(key);
    if (out) return out;
    const asked = this.askEveryNode(query).finally(() => this.asking.delete(key));
    this.asking.set(key, asked);
    return asked;
  }

  private async askEveryNode(query: NodeQuery): Promise<NodeAnswer[]> {
    const peers = await this.link.attempt('live nodes', () => this.liveness.peers(), (): NodeId[] => []);
    if (peers.length === 0) return [];
    const requestId = randomUUID();
    const answers: NodeAnswer[] = [];
    const waitingFor = new Set(peers);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => finish(), QUERY_TIMEOUT_MS);
      const finish = () => {
        clearTimeout(timer);
        this.pending.delete(requestId);
        if (waitingFor.size > 0) this.log.debug({ query: query.kind, missing: waitingFor.size }, 'cluster query answered without every node');
        resolve();
      };
      this.pending.set(requestId, { waitingFor, answers, done: finish });
      this.control({ type: 'query', from: this.node, requestId, query }).then((sent) => {
        if (!sent) finish();
      });
    });
    return answers;
  }

  /** Publishes a control message (to every node unless a topic says to whom); false when Redis did not take it. */
  private control(message: ControlMessage, topic = this.keys.controlTopic): Promise<boolean> {
    return this.link.attempt(
      'control message',
      async () => (await this.bus.publish(topic, JSON.stringify(message)), true),
      () => false,
    );
  }

  private received(topic: string, text: string): void {
    if (isKeptBroadcast(text)) {
      // From every node, this one included: see broadcastKept.
      const kept = decodeKeptBroadcast(text);
      if (kept) this.subscribers.deliver(kept.appId, kept.channel, kept.frame, kept.except, kept.serial);
      return;
    }
    if (topic === this.keys.controlTopic || this.keys.isUserTopic(topic)) {
      const m = decodeControl(text);
      if (m && m.from !== this.node) this.obey(m);
      return;
    }
    if (topic === this.ownReplyTopic) {
      const reply = decodeReply(text);
      if (reply) this.collect(reply);
      return;
    }
    // Forwarded requests have a listener of their own (node-requests.ts).
    if (topic === this.ownForwardTopic) return;
    // The broadcast topic, or a channel's.
    const batch = decodeBroadcasts(text);
    if (!batch) return;
    this.pubsub.broadcastsIn += batch.broadcasts.length;
    if (batch.from === this.node) return;
    for (const b of batch.broadcasts) this.subscribers.deliver(b.appId, b.channel, b.frame, b.except);
  }

  private obey(m: ControlMessage): void {
    switch (m.type) {
      case 'terminate_user':
        this.localUsers.terminate(m.appId, m.userId);
        return;
      case 'failure':
        for (const listener of this.failureListeners) listener(m.budget, m.key, m.at);
        return;
      case 'query': {
        const reply: ReplyMessage = { type: 'answer', from: this.node, requestId: m.requestId, answer: this.answer(m.query) };
        this.bus.publish(this.keys.replyTopic(m.from), JSON.stringify(reply)).catch((err: unknown) => this.link.failed('query answer', err));
        return;
      }
    }
  }

  private answer(query: NodeQuery): NodeAnswer {
    switch (query.kind) {
      case 'channels':
        return { kind: 'channels', channels: [...this.subscribers.channels(query.appId)] };
      case 'subscription_count':
        return { kind: 'count', count: this.subscribers.count(query.appId, query.channel) };
      case 'connection_count':
        return { kind: 'count', count: this.localConnectionCount(query.appId) };
    }
  }

  private collect(reply: ReplyMessage): void {
    const query = this.pending.get(reply.requestId);
    if (!query || !query.waitingFor.delete(reply.from)) return;
    query.answers.push(reply.answer);
    if (query.waitingFor.size === 0) query.done();
  }
}
