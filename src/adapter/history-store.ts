import type { HistoryPolicy } from '../apps/history-policy.js';
import type { Serial } from '../protocol/serial.js';
import type { AppId, ChannelName, SocketId } from '../protocol/types.js';

/** One kept event: its serial and the frame its subscribers got (without the serial). */
export interface KeptEvent {
  readonly serial: string;
  readonly frame: string;
  /** The socket that did not receive it live (the sender of a client event): not replayed to it either. */
  readonly except?: SocketId;
}

/**
 * What a channel's history holds after a serial, oldest first. `expired`: an
 * event after `since` is no longer kept (trimmed by count or age, or lost
 * with a restart), so a replay would have a hole. `unknown_serial`: `since`
 * is newer than anything the channel ever kept.
 */
export type HistoryRead =
  | { readonly kind: 'events'; readonly events: readonly KeptEvent[]; readonly more: boolean }
  | { readonly kind: 'expired' }
  | { readonly kind: 'unknown_serial' };

/** What the kept events cost, for /stats and /metrics. */
export interface HistoryUsage {
  readonly channels: number;
  readonly events: number;
  /** The frames' length in characters (about their bytes); Redis's own overhead is not counted. */
  readonly bytes: number;
}

/** The channels' kept events: in this process for one node, Redis Streams for a cluster. */
export interface HistoryStore {
  /** At most `limit` kept events after `since` (from the oldest kept when null). */
  read(appId: AppId, channel: ChannelName, policy: HistoryPolicy, since: Serial | null, limit: number): Promise<HistoryRead>;
  usage(): Promise<HistoryUsage>;
}
