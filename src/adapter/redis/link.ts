import type { Logger } from '../../logging/logger.js';
import { isClusterUrl, redisConnection, type RedisClient } from './connection.js';

/**
 * The node's two Redis connections (commands, and pub/sub which Redis
 * dedicates to subscribing) and what the rest of the adapter needs to know
 * about them: are they usable, and has anything failed that the node must
 * put right once Redis is back. Redis errors never escape as exceptions:
 * they are logged (once per outage) and the node carries on locally.
 */
export class RedisLink {
  readonly commands: RedisClient;
  readonly subscriber: RedisClient;
  /**
   * Sharded pub/sub (SSUBSCRIBE / SPUBLISH, Redis 7): on a Redis Cluster each
   * topic is carried by the shard that owns its slot, not by every node.
   */
  readonly sharded: boolean;
  /** Something this node holds may be missing from Redis: resynchronise at the next chance. */
  dirty = false;
  private outageLogged = false;
  private closing = false;

  constructor(
    url: string,
    private readonly log: Logger,
  ) {
    // Commands issued in the same event-loop turn (a burst of broadcasts,
    // say) go to Redis as one write.
    this.commands = redisConnection(url, 'herald', { enableAutoPipelining: true });
    // The adapter subscribes again itself after a reconnection, to the
    // topics it wants then (not those it wanted when the connection fell).
    this.sharded = isClusterUrl(url);
    // On a cluster, one subscriber connection to each master, which holds the topics of its slots.
    this.subscriber = redisConnection(url, 'herald-sub', { autoResubscribe: false }, { shardedSubscribers: this.sharded });
    for (const [name, conn] of [['commands', this.commands], ['subscriber', this.subscriber]] as const) {
      conn.on('error', (err: Error) => this.failed(`${name} connection`, err));
      conn.on('close', () => {
        this.dirty = true;
        if (!this.closing) this.failed(`${name} connection`, new Error('connection closed'));
      });
      conn.on('ready', () => {
        if (this.outageLogged && this.usable) {
          this.outageLogged = false;
          this.log.warn('Redis is reachable again: resynchronising this node');
        }
      });
    }
  }

  get usable(): boolean {
    return this.commands.status === 'ready' && this.subscriber.status === 'ready';
  }

  /** Connects both; resolves when both are ready or `ms` has passed (never rejects). */
  async connect(ms: number): Promise<void> {
    const ready = (conn: RedisClient) =>
      new Promise<void>((resolve) => {
        if (conn.status === 'ready') return resolve();
        conn.once('ready', () => resolve());
        conn.connect().catch(() => {
          // The retry strategy keeps trying; 'ready' resolves when it succeeds.
        });
      });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([ready(this.commands), ready(this.subscriber)]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
    clearTimeout(timer);
  }

  /**
   * Redis's answer to `work`, or `fallback`'s (this node's own view) when
   * Redis cannot give one: the link is not usable, or the work failed,
   * which is reported like every other failure. Never rejects because of
   * Redis. A skipped operation may have been a write, so the link is marked
   * for the resync that puts this node's state back into Redis.
   */
  async attempt<T>(what: string, work: (redis: RedisClient) => Promise<T>, fallback: () => T | Promise<T>): Promise<T> {
    if (!this.usable) {
      this.dirty = true;
      return fallback();
    }
    try {
      return await work(this.commands);
    } catch (err) {
      this.failed(what, err);
      return fallback();
    }
  }

  /** Notes a failed Redis operation: logged loudly once per outage, then quietly. */
  failed(what: string, err: unknown): void {
    this.dirty = true;
    if (this.closing) return;
    if (!this.outageLogged) {
      this.outageLogged = true;
      this.log.error(
        { err: err instanceof Error ? err.message : String(err), what },
        'Redis unavailable: serving local clients only (not ready) until it returns',
      );
    } else {
      this.log.debug({ err: err instanceof Error ? err.message : String(err), what }, 'Redis operation failed');
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      [this.commands, this.subscriber].map(async (conn) => {
        if (conn.status === 'ready') await conn.quit().catch(() => conn.disconnect());
        else conn.disconnect();
      }),
    );
  }
}
