// The frames of Herald's resume protocol, read from the raw text a transport
// received. pusher-js decodes events into {event, channel, data} and drops
// the top-level `serial`, so the serial can only be read here.
import { isSerial, type Serial } from './serial.js';

export const RECOVERY = 'herald:recovery';
export const RESUME = 'herald:resume';
export const RESUME_SUCCEEDED = 'herald:resume_succeeded';
export const RESUME_FAILED = 'herald:resume_failed';
const SUBSCRIBED = 'pusher_internal:subscription_succeeded';

export type InboundFrame =
  | { readonly kind: 'event'; readonly channel: string; readonly serial: Serial }
  | { readonly kind: 'subscribed'; readonly channel: string }
  | { readonly kind: 'resumed'; readonly channel: string; readonly replayed: number; readonly serial: Serial | null }
  | { readonly kind: 'resume-failed'; readonly channel: string; readonly reason: string; readonly message: string };

/** Text that cannot be one of our frames is skipped before parsing it a second time. */
const MAY_MATTER = /"serial"|herald:|subscription_succeeded/;

/** What a received text frame means for recovery, or null when it means nothing to it. */
export function readFrame(text: unknown): InboundFrame | null {
  if (typeof text !== 'string' || !MAY_MATTER.test(text)) return null;
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(frame) || typeof frame.event !== 'string' || typeof frame.channel !== 'string') return null;
  const { event, channel } = frame;
  if (event === SUBSCRIBED) return { kind: 'subscribed', channel };
  if (event === RESUME_SUCCEEDED) {
    const data = dataOf(frame);
    const replayed = typeof data.replayed === 'number' ? data.replayed : 0;
    return { kind: 'resumed', channel, replayed, serial: isSerial(data.serial) ? data.serial : null };
  }
  if (event === RESUME_FAILED) {
    const data = dataOf(frame);
    return { kind: 'resume-failed', channel, reason: typeof data.reason === 'string' ? data.reason : 'unknown', message: typeof data.message === 'string' ? data.message : '' };
  }
  if (isSerial(frame.serial)) return { kind: 'event', channel, serial: frame.serial };
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `data` as an object, whether the server sent it as one or as JSON text (as Pusher sends event data). */
function dataOf(frame: Record<string, unknown>): Record<string, unknown> {
  let data = frame.data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      return {};
    }
  }
  return isRecord(data) ? data : {};
}
