import type { RedisKeys } from './keys.js';
import type { RedisLink } from './link.js';
import { luaScript, runLua } from './lua.js';
import type { NodeId } from './types.js';

/**
 * A record lives this long unless its holder renews it; the holder renews
 * every third of it. Long enough that a Redis hiccup or a busy node never
 * lets a live session's record lapse, short enough that a dead node's
 * records go soon (they are harmless meanwhile: session keys are random and
 * never reused, and a request forwarded to a dead node fails, which makes
 * the client open a new session).
 */
export const HOLD_TTL_MS = 120_000;
const RENEW_EVERY_MS = HOLD_TTL_MS / 3;

/** Which node holds a key, as this node last learnt it: sessions never move, so it stays true while they live. */
const REMEMBERED_HOLDERS = 10_000;
const REMEMBERED_FOR_MS = 30_000;

/** KEYS: the record. ARGV: this node, ttl. The record becomes this node's unless another node's is there. */
const claimScript = luaScript(`
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then return current end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`);

/**
 * Who holds what only one node can serve, as a Redis string per key (key →
 * node id) with a TTL the holder renews while it holds it.
 *
 * Why records rather than asking every node "who has this?": a lookup is one
 * GET whatever the size of the cluster, made once per key by each node that
 * needs it (it then remembers), where a question to every node costs every
 * node a message for each lookup. The price is renewing the records: one SET
 * per held key every 40 s, pipelined (10 000 sessions on a node: 250 writes/s).
 */
export class RedisHolders {
  /** What this node holds: renewed until released. */
  private readonly held = new Set<string>();
  private readonly remembered = new Map<string, { readonly node: NodeId; readonly at: number }>();
  private renewer: NodeJS.Timeout | undefined;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly node: NodeId,
  ) {}

  start(): void {
    this.renewer = setInterval(() => this.renew(), RENEW_EVERY_MS);
    this.renewer.unref();
  }

  stop(): void {
    clearInterval(this.renewer);
  }

  /** null when `key` is now held here; the holder's id when another node's record is there. */
  async claim(key: string): Promise<NodeId | null> {
    // Without Redis nobody else can be asked: hold it here, as a single node would (renewed once Redis is back).
    const holder = await this.link.attempt(
      'claim',
      async (redis) => (await runLua(redis, claimScript, [this.keys.holder(key)], [this.node, HOLD_TTL_MS])) as string | null,
      () => null,
    );
    if (holder === null) this.held.add(key);
    else this.remember(key, holder);
    return holder;
  }

  /** The other node holding `key`; null when none does (or this one). */
  async holder(key: string): Promise<NodeId | null> {
    const known = this.remembered.get(key);
    if (known && Date.now() - known.at < REMEMBERED_FOR_MS) return known.node;
    const node = await this.link.attempt('holder', (redis) => redis.get(this.keys.holder(key)), () => null);
    if (node === null || node === this.node) return null;
    this.remember(key, node);
    return node;
  }

  /** A node did not answer: what it was seen holding is asked of Redis again next time. */
  forgetNode(node: NodeId): void {
    for (const [key, known] of this.remembered) if (known.node === node) this.remembered.delete(key);
  }

  /** Not held here any more; the record stays `lingerMs` (requests still on their way find where to go). */
  release(key: string, lingerMs: number): void {
    if (!this.held.delete(key)) return;
    void this.link.attempt('release', (redis) => redis.pexpire(this.keys.holder(key), Math.max(1, lingerMs)), () => 0);
  }

  private remember(key: string, node: NodeId): void {
    this.remembered.delete(key);
    this.remembered.set(key, { node, at: Date.now() });
    if (this.remembered.size > REMEMBERED_HOLDERS) {
      const oldest = this.remembered.keys().next();
      if (!oldest.done) this.remembered.delete(oldest.value);
    }
  }

  /** Renews every record this node holds (and writes back any that lapsed while Redis was away). */
  private renew(): void {
    if (this.held.size === 0) return;
    void this.link.attempt(
      'renew holders',
      async (redis) => {
        const pipeline = redis.pipeline();
        for (const key of this.held) pipeline.set(this.keys.holder(key), this.node, 'PX', HOLD_TTL_MS);
        await pipeline.exec();
      },
      () => undefined,
    );
  }
}
