import { redisConnection, type RedisClient } from '../adapter/redis/connection.js';
import { RedisKeys } from '../adapter/redis/keys.js';
import { luaScript, runLua, type LuaScript } from '../adapter/redis/lua.js';
import type { Logger } from '../logging/logger.js';
import type { AppId } from '../protocol/types.js';
import type { QueuedJob, RecordedBatch, RecordedEvent, WebhookJob, WebhookQueue } from './queue.js';

// Recorded events are a stream shared by the cluster: XADD gives each an id
// of the Redis clock that only grows, and any node may batch them. Jobs are
// a sorted set of job ids by due time (Redis clock, so nodes' clocks need
// not agree) and a hash of the jobs: any node may deliver any job, and a
// claim moves the due time forward by the lease, which is how a job claimed
// by a node that then died comes back to the others.
const LIBRARY = `
local due, jobs, attempts, seq, events = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function oldest_event()
  return redis.call('XRANGE', events, '-', '+', 'COUNT', 1)[1]
end
`;

const script = (body: string): LuaScript => luaScript(body, LIBRARY);

/** ARGV: max, min age ms. Returns id, event… of the oldest events. */
const recordedScript = script(`
local head = oldest_event()
if not head or now - tonumber(string.match(head[1], '^(%d+)')) < tonumber(ARGV[2]) then return {} end
local out = {}
for _, entry in ipairs(redis.call('XRANGE', events, '-', '+', 'COUNT', tonumber(ARGV[1]))) do
  table.insert(out, entry[1])
  table.insert(out, entry[2][2])
end
return out
`);

// A batch is always the oldest events, so it is still whole exactly when
// the stream still starts with its first event: whoever batched any of it
// first removed that one. Trimming below the id after its last removes it
// all, and nothing newer (ids only grow).
/** ARGV: first event id, last event id, job JSON…. Returns 1 when queued, 0 when batched by someone else. */
const enqueueBatchScript = script(`
local head = oldest_event()
if not head or head[1] ~= ARGV[1] then return 0 end
local ms, n = string.match(ARGV[2], '^(%d+)-(%d+)$')
redis.call('XTRIM', events, 'MINID', ms .. '-' .. string.format('%d', tonumber(n) + 1))
for i = 3, #ARGV do
  local id = redis.call('INCR', seq)
  redis.call('HSET', jobs, id, ARGV[i])
  redis.call('ZADD', due, now, id)
end
return 1
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

interface StoredEvent {
  readonly appId: AppId;
  readonly event: RecordedEvent;
}

/**
 * The cluster's queue, in the Redis the nodes already share. An event is
 * recorded with one XADD handed to the socket before `record` returns (no
 * auto-pipelining, which would wait for the end of the turn). Events that
 * cannot be written while Redis is unreachable wait in this process, in
 * order, and are written as soon as it is back: those are lost only if the
 * process also dies meanwhile, which is logged.
 */
export class RedisWebhookQueue implements WebhookQueue {
  private readonly redis: RedisClient;
  private readonly keys: RedisKeys;
  /** KEYS of every queue script, in the order LIBRARY names them. */
  private readonly scriptKeys: readonly string[];
  /** Events not in Redis yet, oldest first; while there are any, new ones wait behind them. */
  private held: string[] = [];
  private holding = false;
  private firstConnect: Promise<void> | null = null;

  constructor(
    url: string,
    prefix: string,
    private readonly log: Logger,
  ) {
    this.redis = redisConnection(url, 'herald-webhooks', {
      // Unlike the adapter's commands, the queue's are worth one reconnection's
      // wait: a job completed while the connection drops would otherwise be
      // delivered again when its lease runs out.
      maxRetriesPerRequest: 1,
      autoResendUnfulfilledCommands: true,
    });
    // Outages are reported by the adapter and by the failed operations below.
    this.redis.on('error', () => {});
    this.redis.on('ready', () => void this.writeHeld().catch(() => {}));
    this.keys = new RedisKeys(prefix);
    const k = this.keys;
    this.scriptKeys = [k.webhookDue, k.webhookJobs, k.webhookAttempts, k.webhookSeq, k.webhookEvents];
  }

  record(appId: AppId, event: RecordedEvent): void {
    const entry = JSON.stringify({ appId, event } satisfies StoredEvent);
    if (this.held.length > 0 || this.redis.status !== 'ready') {
      this.hold([entry]);
      return;
    }
    this.redis.xadd(this.keys.webhookEvents, '*', 'e', entry).catch(() => this.hold([entry]));
  }

  async recorded(max: number, minAgeMs: number): Promise<RecordedBatch | null> {
    await this.writeHeld();
    const flat = (await this.run(recordedScript, [max, minAgeMs])) as string[];
    if (flat.length === 0) return null;
    const events: StoredEvent[] = [];
    for (let i = 1; i < flat.length; i += 2) events.push(JSON.parse(flat[i] as string) as StoredEvent);
    return { events, first: flat[0] as string, last: flat[flat.length - 2] as string };
  }

  async enqueueBatch(batch: RecordedBatch, jobs: readonly WebhookJob[]): Promise<boolean> {
    const createdAt = Date.now();
    const stored = jobs.map((job) => JSON.stringify({ ...job, createdAt } satisfies StoredJob));
    return (await this.run(enqueueBatchScript, [batch.first, batch.last, ...stored])) === 1;
  }

  async claim(max: number, leaseMs: number): Promise<QueuedJob[]> {
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
    await this.connected();
    return this.redis.zcard(this.keys.webhookDue);
  }

  async close(): Promise<void> {
    await this.writeHeld().catch(() => {});
    if (this.held.length > 0) {
      this.log.error({ events: this.held.length }, 'webhook events not delivered: Redis unreachable at shutdown, these events are lost');
    }
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  private hold(entries: string[]): void {
    this.held.push(...entries);
    // Not connected yet is not an outage: the first connection is made on first use, and 'ready' writes them.
    if (this.redis.status === 'wait') {
      void this.connected().catch(() => {});
      return;
    }
    if (!this.holding) {
      this.holding = true;
      this.log.warn({ waiting: this.held.length }, 'webhook queue: Redis unreachable, holding events in memory');
    }
  }

  /** Writes the held events in order, each XADD sent without waiting for the one before (one connection keeps them in order). */
  private async writeHeld(): Promise<void> {
    if (this.held.length === 0) return;
    await this.connected();
    const batch = this.held;
    this.held = [];
    const failed: string[] = [];
    await Promise.all(batch.map((entry) => this.redis.xadd(this.keys.webhookEvents, '*', 'e', entry).catch(() => failed.push(entry))));
    if (failed.length > 0) {
      this.held = failed.concat(this.held);
      throw new Error(`${failed.length} webhook events could not be written to Redis`);
    }
    if (this.holding && this.held.length === 0) {
      this.holding = false;
      this.log.info({ written: batch.length }, 'webhook queue: Redis reachable again, held events written');
    }
  }

  /** The first connection, made on first use; later outages are not waited for (commands fail fast and are retried). */
  private async connected(): Promise<void> {
    if (this.redis.status === 'wait') this.firstConnect ??= this.redis.connect();
    await this.firstConnect;
  }

  private async run(s: LuaScript, args: readonly (string | number)[]): Promise<unknown> {
    await this.connected();
    return runLua(this.redis, s, this.scriptKeys, args);
  }
}
