import { randomUUID } from 'node:crypto';
import { publishInOrder, redisConnection, type RedisClient } from '../adapter/redis/connection.js';
import { RedisKeys } from '../adapter/redis/keys.js';
import type { DomainEvents } from '../events/domain-events.js';
import type { Logger } from '../logging/logger.js';
import type { AppId } from '../protocol/types.js';
import { LOGGED_ACTIVITIES, toEntry, type ConsoleEntry } from './entries.js';

/**
 * Brings other nodes' activity to a console open on this node, so that a
 * cluster's console shows the cluster and not the node the page reached.
 */
export interface ConsoleRelay {
  /** Calls `onEntry` with the app's activity on other nodes until the returned function is called. */
  watch(appId: AppId, onEntry: (entry: ConsoleEntry) => void): () => void;
  close(): Promise<void>;
}

/** A single node has no one to hear from. */
export const NO_RELAY: ConsoleRelay = { watch: () => () => undefined, close: async () => undefined };

/** How often a watching node says so, and how long the others keep publishing after they last heard it. */
const ANNOUNCE_EVERY_MS = 5000;
const WATCH_EXPIRES_MS = 15_000;

interface Announcement {
  readonly nodeId: string;
  readonly appId: AppId;
}

interface Relayed {
  readonly nodeId: string;
  readonly entry: ConsoleEntry;
}

/**
 * Console relay over Redis pub/sub. Activity is published only for apps
 * some node is watching (each watching node announces its apps every few
 * seconds), so a cluster nobody is debugging sends nothing extra. Relayed
 * entries are best effort, like the feed itself: while Redis is away a
 * console shows its own node's activity only.
 */
export class RedisConsoleRelay implements ConsoleRelay {
  private readonly nodeId = randomUUID();
  private readonly publisher: RedisClient;
  private readonly subscriber: RedisClient;
  private readonly keys: RedisKeys;
  private readonly watchersHere = new Map<AppId, Set<(entry: ConsoleEntry) => void>>();
  /** Apps watched on other nodes, until when. */
  private readonly watchedElsewhere = new Map<AppId, number>();
  private detachActivity: Array<() => void> = [];
  private readonly timer: NodeJS.Timeout;
  private failureLogged = false;

  constructor(
    url: string,
    prefix: string,
    private readonly activity: DomainEvents,
    private readonly log: Logger,
  ) {
    this.keys = new RedisKeys(prefix);
    this.publisher = redisConnection(url, 'herald-console');
    this.subscriber = redisConnection(url, 'herald-console-sub');
    for (const conn of [this.publisher, this.subscriber]) {
      conn.on('error', (err: Error) => this.failed(err));
      conn.on('ready', () => {
        this.failureLogged = false;
      });
    }
    // Nothing is queued while disconnected, so (re)subscribing and announcing happen whenever a connection is ready.
    this.subscriber.on('ready', () => {
      const channels = [this.keys.consoleWatchingTopic, ...[...this.watchersHere.keys()].map((appId) => this.keys.consoleEntriesTopic(appId))];
      this.subscriber.subscribe(...channels).catch((err: unknown) => this.failed(err));
    });
    this.publisher.on('ready', () => this.announceAll());
    this.subscriber.on('message', (channel: string, message: string) => this.received(channel, message));
    this.subscriber.connect().catch((err: unknown) => this.failed(err));
    this.publisher.connect().catch((err: unknown) => this.failed(err));
    this.timer = setInterval(() => this.tick(), ANNOUNCE_EVERY_MS);
    this.timer.unref();
  }

  watch(appId: AppId, onEntry: (entry: ConsoleEntry) => void): () => void {
    let listeners = this.watchersHere.get(appId);
    if (!listeners) {
      listeners = new Set();
      this.watchersHere.set(appId, listeners);
      if (this.subscriber.status === 'ready') this.subscriber.subscribe(this.keys.consoleEntriesTopic(appId)).catch((err: unknown) => this.failed(err));
      this.announce(appId);
    }
    listeners.add(onEntry);
    return () => {
      listeners.delete(onEntry);
      if (listeners.size > 0 || this.watchersHere.get(appId) !== listeners) return;
      this.watchersHere.delete(appId);
      if (this.subscriber.status === 'ready') this.subscriber.unsubscribe(this.keys.consoleEntriesTopic(appId)).catch((err: unknown) => this.failed(err));
    };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.stopPublishing();
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }

  private received(channel: string, message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (channel === this.keys.consoleWatchingTopic) {
      const { nodeId, appId } = parsed as Announcement;
      if (nodeId === this.nodeId || typeof appId !== 'string') return;
      this.watchedElsewhere.set(appId, Date.now() + WATCH_EXPIRES_MS);
      this.startPublishing();
      return;
    }
    const { nodeId, entry } = parsed as Relayed;
    if (nodeId === this.nodeId || typeof entry !== 'object' || entry === null) return;
    // Only apps watched here are subscribed to, so one of them is the app of this channel.
    for (const [appId, listeners] of this.watchersHere) {
      if (this.keys.consoleEntriesTopic(appId) !== channel) continue;
      for (const listener of listeners) listener(entry);
    }
  }

  /** Listens to this node's activity only while some other node is watching. */
  private startPublishing(): void {
    if (this.detachActivity.length > 0) return;
    this.detachActivity = LOGGED_ACTIVITIES.map((type) =>
      this.activity.on(type, (event) => {
        const appId = event.appId;
        if (appId === null || !this.watchedElsewhere.has(appId)) return;
        const relayed: Relayed = { nodeId: this.nodeId, entry: toEntry(type, event) };
        if (this.publisher.status !== 'ready') return;
        publishInOrder(this.publisher, this.keys.consoleEntriesTopic(appId), JSON.stringify(relayed)).catch((err: unknown) => this.failed(err));
      }),
    );
  }

  private stopPublishing(): void {
    for (const off of this.detachActivity.splice(0)) off();
  }

  private tick(): void {
    const now = Date.now();
    for (const [appId, until] of this.watchedElsewhere) if (until <= now) this.watchedElsewhere.delete(appId);
    if (this.watchedElsewhere.size === 0) this.stopPublishing();
    this.announceAll();
  }

  private announceAll(): void {
    for (const appId of this.watchersHere.keys()) this.announce(appId);
  }

  private announce(appId: AppId): void {
    if (this.publisher.status !== 'ready') return;
    const announcement: Announcement = { nodeId: this.nodeId, appId };
    publishInOrder(this.publisher, this.keys.consoleWatchingTopic, JSON.stringify(announcement)).catch((err: unknown) => this.failed(err));
  }

  private failed(err: unknown): void {
    if (this.failureLogged) return;
    this.failureLogged = true;
    this.log.warn({ err }, 'console relay: Redis unreachable, consoles show this node only until it is back');
  }
}
