// Herald's own frames for channel history (docs/history.md,
// README "Never miss an event"). Only connections that opted in with
// `herald:recovery` ever receive them; everyone else sees Pusher's frames only.
import { encodeFrame } from './frames.js';
import type { ChannelName } from './types.js';

export const HistoryEvents = {
  /** client → server: opt in, with the last serial seen per channel. */
  recovery: 'herald:recovery',
  /** client → server: replay a channel after a serial. */
  resume: 'herald:resume',
  resumeSucceeded: 'herald:resume_succeeded',
  resumeFailed: 'herald:resume_failed',
} as const;

export type ResumeFailure = 'expired' | 'no_history' | 'unknown_serial' | 'rate_limited';

/**
 * The frame an opted-in client gets for a kept event: the frame everyone
 * else gets, with a top-level "serial" added. Built by appending, so the
 * bytes before it are exactly today's frame (any JSON object ends in '}').
 */
export function withSerial(frame: string, serial: string): string {
  return `${frame.slice(0, -1)},"serial":${JSON.stringify(serial)}}`;
}

export function resumeSucceededFrame(channel: ChannelName, replayed: number, serial: string | null): string {
  return encodeFrame(HistoryEvents.resumeSucceeded, { replayed, serial }, channel);
}

export function resumeFailedFrame(channel: ChannelName, reason: ResumeFailure, message: string): string {
  return encodeFrame(HistoryEvents.resumeFailed, { reason, message }, channel);
}
