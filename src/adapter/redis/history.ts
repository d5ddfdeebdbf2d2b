// Channel history for a cluster: one Redis stream per channel, the serial
// being the stream id, so every node sees the same serials in the same order.
//
// Trimming is exact (not `MAXLEN ~`): whether a resume has a hole must be
// known, not guessed. Each trim records the newest id it dropped as the
// stream's max-deleted-entry-id (XSETID … MAXDELETEDID), and a new stream
// records everything before its first event as dropped: a resume from a
// serial older than that id has lost events ("expired"); from a newer one it
// is whole, however long ago the client's last event was trimmed.
import { Cluster, type Redis } from 'ioredis';
import type { HistoryPolicy } from '../../apps/history-policy.js';
import { compareSerials, parseSerial, type Serial } from '../../protocol/serial.js';
import type { HistoryRead, HistoryStore, HistoryUsage, KeptEvent } from '../history-store.js';
import type { RedisKeys } from './keys.js';
import type { RedisLink } from './link.js';
import { luaScript, runLua } from './lua.js';
import type { AppId, ChannelName, SocketId } from './types.js';

const LIBRARY = `
local function id_parts(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function older(a, b)
  local ams, aseq = id_parts(a)
  local bms, bseq = id_parts(b)
  return ams < bms or (ams == bms and aseq < bseq)
end
local function stream_field(key, name)
  local info = redis.call('XINFO', 'STREAM', key)
  for i = 1, #info, 2 do
    if info[i] == name then return info[i + 1] end
  end
  return nil
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Drops what is beyond the count or older than the age limit; records the newest id dropped.
local function trim(key, last_id, max_events, max_age_ms)
  local cut = nil
  local excess = redis.call('XLEN', key) - max_events
  if excess > 0 then
    local doomed = redis.call('XRANGE', key, '-', '+', 'COUNT', excess)
    cut = doomed[#doomed][1]
  end
  local old = redis.call('XREVRANGE', key, '(' .. (now_ms() - max_age_ms) .. '-0', '-', 'COUNT', 1)
  if old[1] and (cut == nil or older(cut, old[1][1])) then cut = old[1][1] end
  if cut == nil then return end
  local ms, seq = id_parts(cut)
  redis.call('XTRIM', key, 'MINID', ms .. '-' .. (seq + 1))
  redis.call('XSETID', key, last_id, 'MAXDELETEDID', cut)
end
`;

/**
 * Keeps an event and publishes it in one step, so that its serial (the
 * stream id) and its place among the channel's deliveries are the same
 * order on every node.
 * KEYS: stream. ARGV: frame, except, maxEvents, maxAgeMs, ttlMs, topic, message header,
 * publish command (SPUBLISH on a Redis Cluster: the topic shares the stream's slot).
 */
const APPEND = luaScript(
  `
local key = KEYS[1]
local fresh = redis.call('EXISTS', key) == 0
local id = redis.call('XADD', key, '*', 'f', ARGV[1], 'x', ARGV[2])
if fresh then
  -- Whatever came before this stream (an expired one, or nothing) counts as dropped.
  local ms = id_parts(id)
  redis.call('XSETID', key, id, 'MAXDELETEDID', (ms - 1) .. '-18446744073709551615')
end
trim(key, id, tonumber(ARGV[3]), tonumber(ARGV[4]))
redis.call('PEXPIRE', key, ARGV[5])
redis.call(ARGV[8], ARGV[6], '#' .. id .. '\\n' .. ARGV[7] .. '\\n' .. ARGV[1])
return id
`,
  LIBRARY,
);

/**
 * Trims by age (a quiet channel is written to rarely), then answers the
 * newest id ever given, the newest dropped, and at most `count` events after `since`.
 * KEYS: stream. ARGV: maxEvents, maxAgeMs, since ('' for the oldest kept), count.
 */
const READ = luaScript(
  `
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then return {} end
local last = stream_field(key, 'last-generated-id')
trim(key, last, tonumber(ARGV[1]), tonumber(ARGV[2]))
local dropped = stream_field(key, 'max-deleted-entry-id')
local from = ARGV[3] == '' and '-' or ('(' .. ARGV[3])
return { last, dropped, redis.call('XRANGE', key, from, '+', 'COUNT', ARGV[4]) }
`,
  LIBRARY,
);

/** A kept event on its way to every node: its serial, then [from, appId, channel, except], then the frame. */
export interface KeptBroadcast {
  readonly serial: string;
  readonly from: string;
  readonly appId: AppId;
  readonly channel: ChannelName;
  readonly except: SocketId | undefined;
  readonly frame: string;
}

/** Kept broadcasts start with '#', which no other broadcast message does (theirs start with a JSON array). */
export function isKeptBroadcast(text: string): boolean {
  return text.startsWith('#');
}

export function decodeKeptBroadcast(text: string): KeptBroadcast | null {
  const serialEnd = text.indexOf('\n');
  const headerEnd = serialEnd < 0 ? -1 : text.indexOf('\n', serialEnd + 1);
  if (headerEnd < 0) return null;
  let header: unknown;
  try {
    header = JSON.parse(text.slice(serialEnd + 1, headerEnd));
  } catch {
    return null;
  }
  if (!Array.isArray(header) || header.length !== 4 || !header.every((h) => typeof h === 'string')) return null;
  const [from, appId, channel, except] = header as [string, string, string, string];
  return { serial: text.slice(1, serialEnd), from, appId, channel, except: except === '' ? undefined : except, frame: text.slice(headerEnd + 1) };
}

/** An idle channel's stream outlives its newest event by its age limit and this margin, then Redis drops it. */
const IDLE_MARGIN_MS = 60_000;
/** Usage is counted over at most this many streams, and at most this often. */
const USAGE_MAX_STREAMS = 10_000;
const USAGE_CACHE_MS = 10_000;

export class RedisHistoryUnavailable extends Error {}

export class RedisHistory implements HistoryStore {
  private lastUsage: { at: number; usage: HistoryUsage } | undefined;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
  ) {}

  /** Keeps the event and publishes it to `topic` with its serial; resolves with the serial. */
  async append(
    from: string,
    appId: AppId,
    channel: ChannelName,
    policy: HistoryPolicy,
    frame: string,
    except: SocketId | undefined,
    topic: string,
    sharded = false,
  ): Promise<string> {
    const ageMs = policy.maxAgeSeconds * 1000;
    const header = JSON.stringify([from, appId, channel, except ?? '']);
    const id = await runLua(
      this.link.commands,
      APPEND,
      [this.keys.history(appId, channel)],
      [frame, except ?? '', policy.maxEvents, ageMs, ageMs + IDLE_MARGIN_MS, topic, header, sharded ? 'SPUBLISH' : 'PUBLISH'],
    );
    return String(id);
  }

  async read(appId: AppId, channel: ChannelName, policy: HistoryPolicy, since: Serial | null, limit: number): Promise<HistoryRead> {
    if (!this.link.usable) throw new RedisHistoryUnavailable('Redis is not reachable');
    const sinceText = since ? `${since.ms}-${since.seq}` : '';
    const reply = (await runLua(
      this.link.commands,
      READ,
      [this.keys.history(appId, channel)],
      [policy.maxEvents, policy.maxAgeSeconds * 1000, sinceText, limit + 1],
    )) as [] | [string, string, [string, string[]][]];
    if (reply.length === 0) return since === null ? { kind: 'events', events: [], more: false } : { kind: 'expired' };
    const [lastText, droppedText, entries] = reply;
    if (since !== null) {
      const last = parseSerial(lastText);
      const dropped = parseSerial(droppedText);
      if (last && compareSerials(since, last) > 0) return { kind: 'unknown_serial' };
      if (dropped && compareSerials(since, dropped) < 0) return { kind: 'expired' };
    }
    const events: KeptEvent[] = entries.slice(0, limit).map(([serial, fields]) => {
      const frame = fieldOf(fields, 'f') ?? '';
      const except = fieldOf(fields, 'x');
      return except ? { serial, frame, except } : { serial, frame };
    });
    return { kind: 'events', events, more: entries.length > limit };
  }

  /** Streams, entries and Redis's own memory use of them, counted over a bounded SCAN and cached briefly. */
  async usage(): Promise<HistoryUsage> {
    const now = Date.now();
    if (this.lastUsage && now - this.lastUsage.at < USAGE_CACHE_MS) return this.lastUsage.usage;
    const usage = await this.link.attempt(
      'history usage',
      async (redis) => {
        const usage = { channels: 0, events: 0, bytes: 0 };
        // SCAN walks one server's keys: on a Redis Cluster, each master holds its own share of the streams.
        for (const server of redis instanceof Cluster ? redis.nodes('master') : [redis]) {
          await this.countStreams(server, usage);
          if (usage.channels >= USAGE_MAX_STREAMS) break;
        }
        return usage;
      },
      () => this.lastUsage?.usage ?? { channels: 0, events: 0, bytes: 0 },
    );
    this.lastUsage = { at: now, usage };
    return usage;
  }

  /** Adds the history streams one server holds to `usage`, until the bound is reached. */
  private async countStreams(server: Redis, usage: { channels: number; events: number; bytes: number }): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', this.keys.historyPattern, 'COUNT', 500);
      cursor = next;
      if (keys.length === 0) continue;
      const pipeline = server.pipeline();
      for (const key of keys) pipeline.xlen(key).memory('USAGE', key);
      const results = (await pipeline.exec()) ?? [];
      for (let i = 0; i < results.length; i += 2) {
        usage.channels++;
        usage.events += Number(results[i]?.[1] ?? 0);
        usage.bytes += Number(results[i + 1]?.[1] ?? 0);
      }
    } while (cursor !== '0' && usage.channels < USAGE_MAX_STREAMS);
  }
}

function fieldOf(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
