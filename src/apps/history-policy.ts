import type { App, HistoryRule } from './app.js';
import type { ChannelName } from '../protocol/types.js';

/** How much of a channel's past is kept: at most this many events, none older than this. */
export interface HistoryPolicy {
  readonly maxEvents: number;
  readonly maxAgeSeconds: number;
}

/**
 * A channel pattern as apps write it: `*` stands for any run of characters
 * (`private-vendor-orders.*`), everything else is literal, the whole name
 * must match.
 */
export function channelPattern(pattern: string): RegExp {
  const literal = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${literal.join('.*')}$`, 's');
}

// Compiled once per app object (an app that changes in its store is a new object).
const compiled = new WeakMap<readonly HistoryRule[], ReadonlyArray<readonly [RegExp, HistoryPolicy]>>();

/** The history a channel of the app keeps; null when none (the default). The first matching rule wins. */
export function historyPolicy(app: Pick<App, 'history'>, channel: ChannelName): HistoryPolicy | null {
  const rules = app.history;
  if (rules.length === 0) return null;
  let patterns = compiled.get(rules);
  if (!patterns) {
    patterns = rules.map((r) => [channelPattern(r.channels), { maxEvents: r.maxEvents, maxAgeSeconds: r.maxAgeSeconds }] as const);
    compiled.set(rules, patterns);
  }
  for (const [pattern, policy] of patterns) if (pattern.test(channel)) return policy;
  return null;
}
