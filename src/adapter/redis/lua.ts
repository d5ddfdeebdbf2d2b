import { createHash } from 'node:crypto';
import type { RedisClient } from './connection.js';

/** A Lua script as Redis caches it: its text, and the SHA1 by which it is run once Redis knows it. */
export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

/**
 * A script: its body after the library its family shares (helpers, the
 * names of the keys they use). The library is repeated in every script of
 * the family because Redis scripts cannot call each other; the SHA is
 * computed here so that running a script never needs a SCRIPT LOAD first.
 */
export function luaScript(body: string, library = ''): LuaScript {
  const lua = library + body;
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * Runs a script by its SHA, sending its text only when Redis does not know
 * it (first use, or after a restart or SCRIPT FLUSH emptied its cache): the
 * hot path sends a hash, not kilobytes of Lua.
 */
export async function runLua(
  redis: RedisClient,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return redis.eval(script.lua, keys.length, ...keys, ...args);
    throw err;
  }
}
