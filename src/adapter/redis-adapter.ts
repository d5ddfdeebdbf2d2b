import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging/logger.js';
import { ProtocolLimits } from '../protocol/limits.js';
import type { ClusterChange } from './adapter.js';
import { LocalAdapter } from './local-adapter.js';
import type { HistoryPolicy } from '../apps/history-policy.js';
import { RedisCacheStore } from './redis/cache-store.js';
import { decodeKeptBroadcast, isKeptBroadcast, RedisHistory } from './redis/history.js';
import { RedisKeys } from './redis/keys.js';
import { RedisLink } from './redis/link.js';
import { NodeLiveness } from './redis/liveness.js';
import { NodeEntries } from './redis/membership.js';
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
import { RedisPresenceStore } from './redis/presence-store.js';
import { RedisRateLimiter } from './redis/rate-limiter.js';
import { RedisSubscriptionCounts } from './redis/subscription-counts.js';
import { RedisUserDirectory } from './redis/user-directory.js';
import type { AppId, ChannelName, NodeId, SocketId, UserId } from './redis/types.js';

export interface RedisAdapterOptions {
  readonly url: string;
  readonly prefix: string;
  readonly heartbeatMs: number;
  readonly nodeTimeoutMs: number;
  readonly log: Logger;
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
 * the broadcasts of an event-loop turn are one PUBLISH of frames encoded
 * once, every node receives it once and writes them to its own subscribers. Shared state
 * (presence, cache, users) lives in Redis keys; questions about connections
 * (channels, counts) are asked of every live node, which answers for its own.
 * Node liveness is a heartbeat (see NodeLiveness).
 */
export class RedisAdapter extends LocalAdapter {
  readonly node: NodeId;

  private readonly keys: RedisKeys;
  private readonly link: RedisLink;
  private readonly liveness: NodeLiveness;
  private readonly occupancy: RedisOccupancy;
  private readonly counts: RedisSubscriptionCounts;
  private readonly pending = new Map<string, PendingQuery>();
  private readonly log: Logger;
  private droppedWhileDown = 0;
  /** Broadcasts of this turn, delivered here already, still to be published to the other nodes. */
  private unpublished: Broadcast[] = [];
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
    const entries = new NodeEntries();
    const history = new RedisHistory(link, keys);
    super(localConnectionCount, {
      presence: new RedisPresenceStore(link, keys, node, entries),
      cache: new RedisCacheStore(link, keys, ProtocolLimits.cacheTtlSeconds * 1000),
      users: new RedisUserDirectory(link, keys, node, entries),
      rateLimits: new RedisRateLimiter(link, keys),
      history,
    });
    this.keptHistory = history;
    this.node = node;
    this.log = log;
    this.keys = keys;
    this.link = link;
    this.nodeTimeoutMs = options.nodeTimeoutMs;
    this.occupancy = new RedisOccupancy(link, keys, node, entries);
    this.counts = new RedisSubscriptionCounts(link, keys, node);
    this.liveness = new NodeLiveness(
      this.link,
      this.keys,
      this.node,
      entries,
      { heartbeatMs: options.heartbeatMs, timeoutMs: options.nodeTimeoutMs },
      (changes) => changes.forEach(options.onClusterChange),
      this.log,
    );
    this.link.subscriber.on('message', (topic: string, text: string) => this.received(topic, text));
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
        await this.keptHistory.append(this.node, appId, channel, policy, frame, except, this.keptTopic(appId, channel));
        return;
      } catch (err) {
        this.link.failed('history append', err);
      }
    }
    this.publish({ appId, channel, except, frame });
    super.broadcast(appId, channel, frame, except);
  }

  /** The topic a channel's kept events are published to: the one its other broadcasts go to. */
  private keptTopic(_appId: AppId, _channel: ChannelName): string {
    return this.keys.broadcastTopic;
  }

  /**
   * The broadcasts of one event-loop turn go to the other nodes as one
   * PUBLISH, in order: a burst of events (a batch trigger, many requests at
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
    this.unpublished.push(broadcast);
    this.unpublishedChars += broadcast.frame.length;
    if (this.unpublishedChars >= MAX_PUBLISH_CHARS) this.publishPending();
    else if (this.unpublished.length === 1) setImmediate(this.publishPending);
  }

  private readonly publishPending = (): void => {
    if (this.unpublished.length === 0) return;
    const broadcasts = this.unpublished;
    this.unpublished = [];
    this.unpublishedChars = 0;
    this.link.commands
      .publish(this.keys.broadcastTopic, encodeBroadcasts({ from: this.node, broadcasts }))
      .catch((err: unknown) => this.link.failed('broadcast', err));
  };

  override async terminateUserConnections(appId: AppId, userId: UserId): Promise<void> {
    await super.terminateUserConnections(appId, userId);
    await this.control({ type: 'terminate_user', from: this.node, appId, userId });
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
    await this.link.close();
  }

  private async joinCluster(): Promise<void> {
    try {
      await this.link.subscriber.subscribe(this.keys.broadcastTopic, this.keys.controlTopic, this.keys.replyTopic(this.node));
    } catch (err) {
      this.link.failed('subscribe', err);
      return;
    }
    await this.liveness.beat();
  }

  private sumCounts(answers: NodeAnswer[]): number {
    return answers.reduce((sum, a) => sum + (a.kind === 'count' ? a.count : 0), 0);
  }

  /** Asks every other live node; resolves with the answers received within the query timeout. */
  private async ask(query: NodeQuery): Promise<NodeAnswer[]> {
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

  /** Publishes a control message to every node; false when Redis did not take it. */
  private control(message: ControlMessage): Promise<boolean> {
    return this.link.attempt(
      'control message',
      async (redis) => (await redis.publish(this.keys.controlTopic, JSON.stringify(message)), true),
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
    if (topic === this.keys.broadcastTopic) {
      const batch = decodeBroadcasts(text);
      if (!batch || batch.from === this.node) return;
      for (const b of batch.broadcasts) this.subscribers.deliver(b.appId, b.channel, b.frame, b.except);
      return;
    }
    if (topic === this.keys.controlTopic) {
      const m = decodeControl(text);
      if (m && m.from !== this.node) this.obey(m);
      return;
    }
    const reply = decodeReply(text);
    if (reply) this.collect(reply);
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
        this.link.commands.publish(this.keys.replyTopic(m.from), JSON.stringify(reply)).catch((err: unknown) => this.link.failed('query answer', err));
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
