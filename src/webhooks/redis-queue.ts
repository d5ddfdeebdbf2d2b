import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Script } from '../adapter/redis/scripts.js';
import type { Logger } from '../logging/logger.js';
import type { QueuedJob, WebhookJob, WebhookQueue } from './queue.js';

// A sorted set of job ids by due time (Redis clock, so nodes' clocks need
// not agree) and a hash of the jobs: any node may deliver any job, and a
// claim moves the due time forward by the lease, which is how a job claimed
// by a node that then died comes back to the others.
const LIBRARY = `
local due, jobs, attempts = KEYS[1], KEYS[2], KEYS[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

function script(body: string): Script {
  const lua = LIBRARY + body;
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** ARGV: job JSON…; KEYS[4]: id counter. */
const enqueueScript = script(`
for i = 1, #ARGV do
  local id = redis.call('INCR', KEYS[4])
  redis.call('HSET', jobs, id, ARGV[i])
  redis.call('ZADD', due, now, id)
end
return #ARGV
`);

/** ARGV: max, lease ms. Returns id, job, attempts… of the leased jobs. */
const claimScript = script(`
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))) do
  local job = redis.call('HGET', jobs, id)
  if job then
    redis.call('ZADD', due, now + tonumber(ARGV[2]), id)
    table.insert(out, id)
    table.insert(out, job)
    table.insert(out, tostring(redis.call('HGET', attempts, id) or '0'))
  else
    redis.call('ZREM', due, id)
  end
end
return out
`);

/** ARGV: id, delay ms. */
const retryScript = script(`
if redis.call('ZSCORE', due, ARGV[1]) then
  redis.call('ZADD', due, now + tonumber(ARGV[2]), ARGV[1])
  redis.call('HINCRBY', attempts, ARGV[1], 1)
end
return 0
`);

/** ARGV: id. */
const completeScript = script(`
redis.call('ZREM', due, ARGV[1])
redis.call('HDEL', jobs, ARGV[1])
redis.call('HDEL', attempts, ARGV[1])
return 0
`);

interface StoredJob extends WebhookJob {
  readonly createdAt: number;
}

/**
 * The cluster's queue, in the Redis the nodes already share. Jobs that
 * cannot be written while Redis is unreachable wait in this process and are
 * written as soon as it is back (they are lost only if the process also
 * dies meanwhile, which is logged).
 */
export class RedisWebhookQueue implements WebhookQueue {
  private readonly redis: Redis;
  private readonly keys: [string, string, string, string];
  private unwritten: StoredJob[] = [];

  constructor(
    url: string,
    prefix: string,
    private readonly log: Logger,
  ) {
    this.redis = new Redis(url, {
      connectionName: 'herald-webhooks',
      // Connected on first use, so a Herald that never starts holds no connection.
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 2000,
      retryStrategy: (attempt: number) => Math.min(100 * attempt, 1000),
    });
    // Outages are reported by the adapter and by the failed operations below.
    this.redis.on('error', () => {});
    const k = `${prefix}:webhooks`;
    this.keys = [`${k}:due`, `${k}:jobs`, `${k}:attempts`, `${k}:seq`];
  }

  async enqueue(jobs: readonly WebhookJob[]): Promise<void> {
    const createdAt = Date.now();
    this.unwritten.push(...jobs.map((job) => ({ ...job, createdAt })));
    // Kept here until Redis takes them; the next claim tries again.
    await this.writeUnwritten().catch((err: unknown) =>
      this.log.warn({ err: err instanceof Error ? err.message : String(err), waiting: this.unwritten.length }, 'webhook queue: Redis unreachable, holding jobs in memory'),
    );
  }

  async claim(max: number, leaseMs: number): Promise<QueuedJob[]> {
    await this.writeUnwritten();
    const flat = (await this.run(claimScript, [max, leaseMs])) as string[];
    const out: QueuedJob[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      const stored = JSON.parse(flat[i + 1] as string) as StoredJob;
      out.push({ ...stored, id: flat[i] as string, attempts: Number(flat[i + 2]) });
    }
    return out;
  }

  async complete(id: string): Promise<void> {
    await this.run(completeScript, [id]);
  }

  async retryLater(id: string, delayMs: number): Promise<void> {
    await this.run(retryScript, [id, delayMs]);
  }

  async depth(): Promise<number> {
    if (this.redis.status === 'wait') await this.redis.connect();
    return (await this.redis.zcard(this.keys[0])) + this.unwritten.length;
  }

  async close(): Promise<void> {
    await this.writeUnwritten().catch(() => {});
    if (this.unwritten.length > 0) {
      this.log.error({ jobs: this.unwritten.length }, 'webhooks not delivered: Redis unreachable at shutdown, these requests are lost');
    }
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  private async writeUnwritten(): Promise<void> {
    if (this.unwritten.length === 0) return;
    const batch = this.unwritten;
    this.unwritten = [];
    try {
      await this.run(enqueueScript, batch.map((job) => JSON.stringify(job)));
    } catch (err) {
      this.unwritten = batch.concat(this.unwritten);
      throw err;
    }
  }

  private async run(s: Script, args: readonly (string | number)[]): Promise<unknown> {
    if (this.redis.status === 'wait') await this.redis.connect();
    try {
      return await this.redis.evalsha(s.sha, this.keys.length, ...this.keys, ...args);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return this.redis.eval(s.lua, this.keys.length, ...this.keys, ...args);
      throw err;
    }
  }
}
