// The Lua scripts that keep cluster-wide membership (presence members and
// signed-in users) consistent. Each runs atomically in Redis, so two nodes
// never both announce the same member leaving, and a node's own entries and
// the shared sets never disagree.
//
// A membership entry is a JSON array made by the node (never re-encoded in
// Lua, so comparing entries as strings is safe):
//   ["p", appId, channel, userId, socketRef]   a socket in a presence channel
//   ["u", appId, userId, socketRef]            a signed-in socket
//   ["c", appId, channel, nodeId]              a node with subscribers in a channel
// Each node keeps the set of its own entries (`{prefix}:node:{id}:entries`),
// which is what survivors remove when it dies and what it rewrites when
// Redis comes back.
//
// Keys are built here from the entries with the rule of RedisKeys (keys.ts):
// every variable part goes through `part`, which must stay the same as
// `keyPart`.
import type { Redis } from 'ioredis';
import { luaScript, runLua, type LuaScript } from './lua.js';

const script = (body: string): LuaScript => luaScript(body, LIBRARY);

/** Runs a membership script. They take no KEYS: the keys they touch follow from the entries they read. */
export function runScript(redis: Redis, s: LuaScript, args: readonly (string | number)[]): Promise<unknown> {
  return runLua(redis, s, [], args);
}

// add/remove return true when the user became present / absent cluster-wide
// (for "c" entries: when the channel became occupied / vacated cluster-wide).
const LIBRARY = `
local P = ARGV[1]
local ESCAPES = { ['%'] = '%25', [':'] = '%3A' }
local function part(s)
  -- Most ids have nothing to escape: finding that is half the cost of gsub.
  if not string.find(s, '[%%:]') then return s end
  return (string.gsub(s, '[%%:]', ESCAPES))
end
local function entries_of(node)
  return P .. ':node:' .. part(node) .. ':entries'
end
local function channel_key(kind, d)
  return P .. ':' .. kind .. ':' .. part(d[2]) .. ':' .. part(d[3])
end
local function sockets_of(d)
  if d[1] == 'p' then return channel_key('presence', d) .. ':user:' .. part(d[4]), d[5] end
  if d[1] == 'c' then return channel_key('occupancy', d), d[4] end
  return P .. ':user:' .. part(d[2]) .. ':' .. part(d[3]), d[4]
end
local function members_of(d)
  return channel_key('presence', d) .. ':members'
end
local function add_decoded(d, info)
  local key, ref = sockets_of(d)
  local added = redis.call('SADD', key, ref)
  if d[1] == 'p' then redis.call('HSET', members_of(d), d[4], info) end
  return added == 1 and redis.call('SCARD', key) == 1
end
local function add(entry, info)
  return add_decoded(cjson.decode(entry), info)
end
local function remove(entry)
  local d = cjson.decode(entry)
  local key, ref = sockets_of(d)
  if redis.call('SREM', key, ref) == 0 then return false end
  -- A node without subscribers in a channel has none to count there.
  if d[1] == 'c' then redis.call('HDEL', channel_key('subscriptions', d), d[4]) end
  if redis.call('SCARD', key) > 0 then return false end
  if d[1] == 'p' then redis.call('HDEL', members_of(d), d[4]) end
  return true
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/** ARGV: prefix, node, 'add'|'remove', entry, info. Returns 1 when the user appeared / disappeared cluster-wide. */
export const applyEntry = script(`
local idx = entries_of(ARGV[2])
local entry = ARGV[4]
if ARGV[3] == 'add' then
  redis.call('SADD', idx, entry)
  if add(entry, ARGV[5]) then return 1 end
  return 0
end
if redis.call('SREM', idx, entry) == 0 then return 0 end
if remove(entry) then return 1 end
return 0
`);

/**
 * ARGV: prefix, node, then entry/info pairs: everything the node holds now.
 * Makes Redis agree with the node; returns a flat list of '+'|'-', entry
 * for every user that appeared or disappeared cluster-wide.
 */
export const resyncNode = script(`
local idx = entries_of(ARGV[2])
local wanted = {}
for i = 3, #ARGV, 2 do wanted[ARGV[i]] = true end
local changes = {}
for _, entry in ipairs(redis.call('SMEMBERS', idx)) do
  if not wanted[entry] then
    redis.call('SREM', idx, entry)
    if remove(entry) then table.insert(changes, '-'); table.insert(changes, entry) end
  end
end
for i = 3, #ARGV, 2 do
  if redis.call('SADD', idx, ARGV[i]) == 1 then
    if add(ARGV[i], ARGV[i + 1]) then table.insert(changes, '+'); table.insert(changes, ARGV[i]) end
  end
end
return changes
`);

/**
 * ARGV: prefix, node, timeout ms. Records the node's heartbeat, then removes
 * every node silent for longer than the timeout with all its entries.
 * Returns {1 if this node was not registered (new, or removed as dead),
 * entries whose user disappeared cluster-wide}.
 */
export const heartbeat = script(`
local nodes = P .. ':nodes'
local now = now_ms()
local registered = redis.call('ZADD', nodes, now, ARGV[2])
local gone = {}
for _, node in ipairs(redis.call('ZRANGEBYSCORE', nodes, '-inf', now - tonumber(ARGV[3]))) do
  redis.call('ZREM', nodes, node)
  local idx = entries_of(node)
  for _, entry in ipairs(redis.call('SMEMBERS', idx)) do
    if remove(entry) then table.insert(gone, entry) end
  end
  redis.call('DEL', idx)
end
return {registered, gone}
`);

/** ARGV: prefix, timeout ms. The nodes that sent a heartbeat within the timeout. */
export const liveNodes = script(`
return redis.call('ZRANGEBYSCORE', P .. ':nodes', now_ms() - tonumber(ARGV[2]), '+inf')
`);

/** ARGV: prefix, node. A node leaving cleanly: its entries go, as for a dead node. */
export const leaveCluster = script(`
redis.call('ZREM', P .. ':nodes', ARGV[2])
local idx = entries_of(ARGV[2])
local gone = {}
for _, entry in ipairs(redis.call('SMEMBERS', idx)) do
  if remove(entry) then table.insert(gone, entry) end
end
redis.call('DEL', idx)
return gone
`);

/**
 * ARGV: prefix, node, presence entry, user_info, most members, occupancy
 * entry or ''. A socket joining a presence channel, in one round trip: the
 * node's occupancy of the channel (when this is its first subscriber there:
 * recorded even if the join is refused, so that the node's entries and its
 * subscribers agree until it lets go), the member limit, the membership and
 * the member list. Returns {1 if the channel became occupied cluster-wide,
 * -1 if the channel is full, else 1 if the user is new in the channel, else
 * 0, then user id, user_info… of every member}.
 */
export const joinPresence = script(`
local idx = entries_of(ARGV[2])
local occupied = 0
if ARGV[6] ~= '' then
  redis.call('SADD', idx, ARGV[6])
  if add(ARGV[6], '') then occupied = 1 end
end
local d = cjson.decode(ARGV[3])
local members = members_of(d)
if redis.call('HEXISTS', members, d[4]) == 0 and redis.call('HLEN', members) >= tonumber(ARGV[5]) then
  return {occupied, -1, {}}
end
redis.call('SADD', idx, ARGV[3])
local new = 0
if add_decoded(d, ARGV[4]) then new = 1 end
return {occupied, new, redis.call('HGETALL', members)}
`);

/**
 * ARGV: prefix, node, presence entry, occupancy entry or ''. A socket
 * leaving a presence channel, with the node's occupancy when it was its
 * last subscriber there. Returns {1 if the user left the channel, 1 if the
 * channel became vacant cluster-wide}, in the order they are told.
 */
export const leavePresence = script(`
local idx = entries_of(ARGV[2])
local left = 0
if redis.call('SREM', idx, ARGV[3]) == 1 and remove(ARGV[3]) then left = 1 end
local vacated = 0
if ARGV[4] ~= '' and redis.call('SREM', idx, ARGV[4]) == 1 and remove(ARGV[4]) then vacated = 1 end
return {left, vacated}
`);

/**
 * ARGV: prefix, node, appId, channel, this node's subscriber count, who is
 * told ('clients' | 'webhooks'). Records the node's count of the channel and
 * decides, for the whole cluster, whether the sum is news: returns the sum
 * when it differs from the last one told to that audience (and remembers
 * it), -1 when it does not. Several nodes whose counts change together
 * thus tell each resulting count once, and in the order Redis saw them.
 * The last count told expires after a day unchanged, so that a channel whose
 * nodes died leaves nothing behind for long.
 */
export const tellSubscriptionCount = script(`
local d = {'c', ARGV[3], ARGV[4]}
local counts = channel_key('subscriptions', d)
local told = counts .. ':told'
if tonumber(ARGV[5]) > 0 then redis.call('HSET', counts, ARGV[2], ARGV[5]) else redis.call('HDEL', counts, ARGV[2]) end
local total = 0
for _, n in ipairs(redis.call('HVALS', counts)) do total = total + tonumber(n) end
if total == tonumber(redis.call('HGET', told, ARGV[6]) or '0') then return -1 end
if total == 0 then redis.call('HDEL', told, ARGV[6]) else redis.call('HSET', told, ARGV[6], total) end
redis.call('PEXPIRE', told, 86400000)
return total
`);
