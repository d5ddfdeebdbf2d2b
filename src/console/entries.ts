// The console's event log entries: which domain events it shows (and relays
// between nodes) and how one becomes a line of the log.
import type { DomainEventMap } from '../events/domain-events.js';

export type Activity = keyof DomainEventMap;

/** Longest event data shown in the log; the rest is cut, and the entry says so. */
export const MAX_DATA_CHARS = 2048;
/** One line of the console's event log: an activity of the watched app, without the app id. */
export type ConsoleEntry = {
  [K in Activity]: { type: K; at: number } & Omit<DomainEventMap[K], 'appId'> & { truncated?: boolean };
}[Activity];

/** Activities shown in the log (and relayed between nodes). */
export const LOGGED_ACTIVITIES: readonly Activity[] = [
  'connection_opened',
  'connection_closed',
  'subscribed',
  'unsubscribed',
  'channel_occupied',
  'channel_vacated',
  'member_added',
  'member_removed',
  'api_event',
  'client_event',
  'error_sent',
  'connection_refused',
  'client_event_rate_limited',
  'slow_consumer_cut',
  'rate_limited',
  'webhook_sent',
];

export function toEntry(type: Activity, event: DomainEventMap[Activity]): ConsoleEntry {
  const { appId: _appId, ...rest } = event;
  const entry = { type, at: Date.now(), ...rest } as ConsoleEntry;
  if ('data' in entry && entry.data.length > MAX_DATA_CHARS) {
    return { ...entry, data: entry.data.slice(0, MAX_DATA_CHARS), truncated: true };
  }
  return entry;
}
