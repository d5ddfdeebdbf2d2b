// Per-app request budgets of the HTTP API. The limits are per app, so with
// several nodes they are only exact when the budget is shared: the contract
// below is what a cluster-wide (Redis) limiter implements; the local one
// counts this node's requests only.
import type { AppId } from '../protocol/types.js';

/** What an app's budget is counted in. */
export type RateLimitedAction = 'api_request' | 'backend_event';

export interface RateDecision {
  readonly allowed: boolean;
  /** When refused: milliseconds until the current window ends and budget is back. */
  readonly retryAfterMs: number;
}

export interface AppRateLimiter {
  /**
   * Takes `cost` units from the app's budget of `limitPerSecond` for this
   * action in the current one-second window, or nothing at all when they do
   * not fit (a refused request does not eat the budget of the next ones).
   */
  take(appId: AppId, action: RateLimitedAction, limitPerSecond: number, cost?: number): Promise<RateDecision>;
}

const WINDOW_MS = 1000;

/**
 * Fixed one-second windows aligned to the clock: simple, O(1) per app and
 * action, and what a shared store can do with one counter per window (INCRBY
 * on `{app}:{action}:{second}`) so that every node counts the same window.
 * A burst may straddle two windows and so get up to twice the limit within a
 * second, never more than the limit within one window.
 */
export class LocalRateLimiter implements AppRateLimiter {
  private readonly windows = new Map<string, { start: number; used: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async take(appId: AppId, action: RateLimitedAction, limitPerSecond: number, cost = 1): Promise<RateDecision> {
    return this.takeNow(appId, action, limitPerSecond, cost);
  }

  takeNow(appId: AppId, action: RateLimitedAction, limitPerSecond: number, cost = 1): RateDecision {
    const now = this.now();
    const start = now - (now % WINDOW_MS);
    const key = `${action}\u0000${appId}`;
    let window = this.windows.get(key);
    if (!window || window.start !== start) {
      window = { start, used: 0 };
      this.windows.set(key, window);
    }
    if (window.used + cost > limitPerSecond) return { allowed: false, retryAfterMs: start + WINDOW_MS - now };
    window.used += cost;
    return { allowed: true, retryAfterMs: 0 };
  }
}
