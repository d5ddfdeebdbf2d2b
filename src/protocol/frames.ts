// The wire format of protocol 7: every frame is a JSON object
// `{event, channel?, data}`; server-sent `data` is a JSON-encoded string.
import type { ChannelName, EventName, SocketId, UserId } from './types.js';

export interface InboundFrame {
  readonly event: EventName;
  readonly channel?: ChannelName;
  /** As the client sent it: an object for `pusher:` events, anything for client events. */
  readonly data: unknown;
}

export type ParseResult = { ok: true; frame: InboundFrame } | { ok: false; problem: string };

/** Parses one client frame; never throws. */
export function parseInboundFrame(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'frame is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: 'frame must be a JSON object' };
  }
  const { event, channel, data } = value as Record<string, unknown>;
  if (typeof event !== 'string' || event.length === 0) {
    return { ok: false, problem: "frame must have a string 'event'" };
  }
  if (channel !== undefined && typeof channel !== 'string') {
    return { ok: false, problem: "frame 'channel' must be a string" };
  }
  return { ok: true, frame: { event, channel, data } };
}

/** Some clients send `data` as a JSON string even for `pusher:` events. */
export function dataAsObject(data: unknown): Record<string, unknown> | null {
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      return null;
    }
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  return data as Record<string, unknown>;
}

/**
 * Encodes a server frame. `data` that is already a string is sent as is (HTTP
 * API events carry their data as the app encoded it); anything else is
 * JSON-encoded into a string, as protocol 7 requires.
 */
export function encodeFrame(event: EventName, data: unknown, channel?: ChannelName, extra?: Record<string, unknown>): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data ?? {});
  const frame: Record<string, unknown> = { event };
  if (channel !== undefined) frame.channel = channel;
  frame.data = payload;
  if (extra) Object.assign(frame, extra);
  return JSON.stringify(frame);
}

/** A watchlist event for a signed-in user: some of the users it watches came online or went offline. */
export function watchlistFrame(name: 'online' | 'offline', userIds: readonly UserId[]): string {
  return encodeFrame('pusher_internal:watchlist_events', { events: [{ name, user_ids: userIds }] });
}

/** The answer to every `pusher:ping`, the same bytes each time: encoded once, not per ping. */
export const PONG_FRAME = encodeFrame('pusher:pong', {});

/**
 * `pusher:connection_established`, written out rather than encoded: every
 * connection gets one, and a reconnect storm sends little else. The socket id
 * is Herald's own (`\d+\.\d+`) and the timeout a whole number, so nothing
 * in it needs escaping; the result is what `encodeFrame` gives.
 */
export function connectionEstablishedFrame(socketId: SocketId, activityTimeoutSeconds: number): string {
  return `{"event":"pusher:connection_established","data":"{\\"socket_id\\":\\"${socketId}\\",\\"activity_timeout\\":${activityTimeoutSeconds}}"}`;
}
