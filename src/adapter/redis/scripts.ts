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
// Entries fall into groups: a channel's ("p" and "c") and a user's ("u").
// Each node keeps, in every group where it has entries, the set of its own
// entries there (its index: `RedisKeys.channelIndex` / `userIndex`), in the
// group's hash slot; and the list of those indexes (`RedisKeys.nodeGroups`).
// That is what survivors remove when it dies, one group per script, and
// what it rewrites when Redis comes back.
//
// Every script here touches one group, or the node list, and nothing else,
// so on a Redis Cluster each runs on the one node that holds its slot.
// KEYS[1] names the group (the node's index in it): ioredis routes the
// script by it. The other keys are built here from the entries with the
// rule of RedisKeys (keys.ts): every variable part goes through `part`,
// which must stay the same as `keyPart`, and a group's keys share its tag.
import type { RedisClient } from './connection.js';
import { luaScript, runLua, type LuaScript } from './lua.js';

const script = (body: string): LuaScript => luaScript(body, LIBRARY);

/** Runs a membership script on one group: `index` is this node's index key there (see RedisKeys). */
export function runScript(redis: RedisClient, s: LuaScript, index: string, args: readonly (string | number)[]): Promise<unknown> {
  return runLua(redis, s, [index], args);
}

// add/remove return true when the user became present / absent cluster-wide
// (for "c" entries: when the channel became occupied / vacated cluster-wide).
const LIBRARY = `
local P = ARGV[1]
local ESCAPES = { ['%'] = '%25', [':'] = '%3A', ['{'] = '%7B', ['}'] = '%7D' }
local function part(s)
  -- Most ids have nothing to escape: finding that is half the cost of gsub.
  if not string.find(s, '[%%:{}]') then return s end
  return (string.gsub(s, '[%%:{}]', ESCAPES))
end
local function channel_tag(d)
  return P .. ':{' .. part(d[2]) .. ':' .. part(d[3]) .. '}'
end
local function sockets_of(d)
  if d[1] == 'p' then return channel_tag(d) .. ':user:' .. part(d[4]), d[5] end
  if d[1] == 'c' then return channel_tag(d) .. ':occupancy', d[4] end
  return P .. ':{' .. part(d[2]) .. ':user:' .. part(d[3]) .. '}:sockets', d[4]
end
local function members_of(d)
  return channel_tag(d) .. ':members'
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
  if d[1] == 'c' then redis.call('HDEL', channel_tag(d) .. ':subscriptions', d[4]) end
  if redis.call('SCARD', key) > 0 then return false end
  if d[1] == 'p' then redis.call('HDEL', members_of(d), d[4]) end
  return true
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/** KEYS: the node's index in the entry's group. ARGV: prefix, node, 'add'|'remove', entry, info. Returns 1 when the user appeared / disappeared cluster-wide. */
export const applyEntry = script(`
local idx = KEYS[1]
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
 * KEYS: the node's index in one group. ARGV: prefix, node, then entry/info
 * pairs: everything the node holds in that group now. Makes Redis agree
 * with the node there; returns a flat list of '+'|'-', entry for every user
 * that appeared or disappeared cluster-wide.
 */
export const resyncGroup = script(`
local idx = KEYS[1]
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
 * KEYS: a node's index in one group. ARGV: prefix, node. Removes all of
 * the node's entries there (it died, or is leaving); returns the entries
 * whose user disappeared cluster-wide. Whoever runs it first gets them, so
 * each is announced once even when two survivors clean up the same group.
 */
export const dropGroup = script(`
local gone = {}
for _, entry in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if remove(entry) then table.insert(gone, entry) end
end
redis.call('DEL', KEYS[1])
return gone
`);

/**
 * KEYS: nodes, dead nodes. ARGV: prefix, node, timeout ms, cleanup lease ms.
 * Records the node's heartbeat and moves every node silent for longer than
 * the timeout to the dead nodes; then hands this node the dead nodes that
 * nobody is cleaning up (or whose cleaner has held them longer than the
 * lease: it died too), each to one node at a time. A node that is itself
 * still being cleaned up is not registered until that is over, so that
 * the cleanup cannot remove what it writes back. Returns {1 if this node
 * was not registered (new, or taken for dead), 2 if it must wait, else 0;
 * the dead nodes to clean up}.
 */
export const heartbeat = script(`
local nodes, dead = KEYS[1], KEYS[2]
local now = now_ms()
if redis.call('ZSCORE', dead, ARGV[2]) then return {2, {}} end
local registered = redis.call('ZADD', nodes, now, ARGV[2])
for _, node in ipairs(redis.call('ZRANGEBYSCORE', nodes, '-inf', now - tonumber(ARGV[3]))) do
  redis.call('ZREM', nodes, node)
  redis.call('ZADD', dead, 0, node)
end
local claimed = redis.call('ZRANGEBYSCORE', dead, '-inf', now)
for _, node in ipairs(claimed) do redis.call('ZADD', dead, now + tonumber(ARGV[4]), node) end
return {registered, claimed}
`);

/** KEYS: nodes, dead nodes. ARGV: prefix, node, cleanup lease ms. A node leaving cleanly hands itself to its own cleanup. */
export const leaveCluster = script(`
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], now_ms() + tonumber(ARGV[3]), ARGV[2])
return 0
`);

/** KEYS: nodes. ARGV: prefix, timeout ms. The nodes that sent a heartbeat within the timeout. */
export const liveNodes = script(`
return redis.call('ZRANGEBYSCORE', KEYS[1], now_ms() - tonumber(ARGV[2]), '+inf')
`);

/**
 * KEYS: the node's index in the channel. ARGV: prefix, node, presence
 * entry, user_info, most members, occupancy entry or ''. A socket joining a
 * presence channel, in one round trip: the node's occupancy of the channel
 * (when this is its first subscriber there: recorded even if the join is
 * refused, so that the node's entries and its subscribers agree until it
 * lets go), the member limit, the membership and the member list. Returns
 * {1 if the channel became occupied cluster-wide, -1 if the channel is
 * full, else 1 if the user is new in the channel, else 0, then user id,
 * user_info… of every member}.
 */
export const joinPresence = script(`
local idx = KEYS[1]
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
 * KEYS: the node's index in the channel. ARGV: prefix, node, presence
 * entry, occupancy entry or ''. A socket leaving a presence channel, with
 * the node's occupancy when it was its last subscriber there. Returns {1 if
 * the user left the channel, 1 if the channel became vacant cluster-wide},
 * in the order they are told.
 */
export const leavePresence = script(`
local idx = KEYS[1]
local left = 0
if redis.call('SREM', idx, ARGV[3]) == 1 and remove(ARGV[3]) then left = 1 end
local vacated = 0
if ARGV[4] ~= '' and redis.call('SREM', idx, ARGV[4]) == 1 and remove(ARGV[4]) then vacated = 1 end
return {left, vacated}
`);

/**
 * KEYS: the channel's subscription counts. ARGV: prefix, node, appId,
 * channel, this node's subscriber count, who is told ('clients' |
 * 'webhooks'). Records the node's count of the channel and decides, for the
 * whole cluster, whether the sum is news: returns the sum when it differs
 * from the last one told to that audience (and remembers it), -1 when it
 * does not. Several nodes whose counts change together thus tell each
 * resulting count once, and in the order Redis saw them. The last count
 * told expires after a day unchanged, so that a channel whose nodes died
 * leaves nothing behind for long.
 */
export const tellSubscriptionCount = script(`
local counts = KEYS[1]
local told = counts .. ':told'
if tonumber(ARGV[5]) > 0 then redis.call('HSET', counts, ARGV[2], ARGV[5]) else redis.call('HDEL', counts, ARGV[2]) end
local total = 0
for _, n in ipairs(redis.call('HVALS', counts)) do total = total + tonumber(n) end
if total == tonumber(redis.call('HGET', told, ARGV[6]) or '0') then return -1 end
if total == 0 then redis.call('HDEL', told, ARGV[6]) else redis.call('HSET', told, ARGV[6], total) end
redis.call('PEXPIRE', told, 86400000)
return total
`);
