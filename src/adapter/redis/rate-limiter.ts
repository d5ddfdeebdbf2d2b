import type { AppRateLimiter, RateDecision, RateLimitedAction } from '../rate-limit.js';
import { LocalRateLimiter } from '../rate-limit.js';
import type { AppId } from '../../protocol/types.js';
import type { RedisKeys } from './keys.js';
import type { RedisLink } from './link.js';
import { luaScript, runLua } from './lua.js';

const WINDOW_MS = 1000;

// Takes `cost` from the window's counter only if it fits, atomically, so two
// nodes can never both spend the last units of an app's budget.
const takeIfFits = luaScript(`
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local cost = tonumber(ARGV[1])
if used + cost > tonumber(ARGV[2]) then return 0 end
redis.call('INCRBY', KEYS[1], cost)
redis.call('PEXPIRE', KEYS[1], ${WINDOW_MS * 2})
return 1
`);

/**
 * Per-app budgets shared by every node: one counter per app, action and
 * one-second window (by the clock each node reads, which the nodes of one
 * cluster share closely enough for one-second windows). While Redis is
 * unreachable each node counts its own requests instead, so a cut-off node
 * still protects itself.
 */
export class RedisRateLimiter implements AppRateLimiter {
  private readonly fallback = new LocalRateLimiter();

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
  ) {}

  take(appId: AppId, action: RateLimitedAction, limitPerSecond: number, cost = 1): Promise<RateDecision> {
    return this.link.attempt(
      'rate limit',
      async (redis) => {
        const now = Date.now();
        const start = now - (now % WINDOW_MS);
        const allowed = await runLua(redis, takeIfFits, [this.keys.rateWindow(appId, action, start)], [cost, limitPerSecond]);
        return allowed === 1 ? { allowed: true, retryAfterMs: 0 } : { allowed: false, retryAfterMs: start + WINDOW_MS - now };
      },
      () => this.fallback.takeNow(appId, action, limitPerSecond, cost),
    );
  }
}
