import type { Adapter } from '../adapter/adapter.js';
import { historyPolicy } from '../apps/history-policy.js';
import type { Connection } from '../connection/connection.js';
import { resumeFailedFrame, resumeSucceededFrame, withSerial, type ResumeFailure } from '../protocol/history-frames.js';
import { formatSerial, parseSerial } from '../protocol/serial.js';
import type { ChannelName } from '../protocol/types.js';

/** Kept events read per round trip while replaying. */
const PAGE = 500;

/**
 * Resuming a channel for a client that opted in: replays the kept events
 * after the serial it last saw, then lets the live ones through. Live events
 * are held from the moment the replay starts (from the subscription, for a
 * resume asked before it), and every event is written once: a serial at or
 * before the newest one written is skipped, whether it comes from the replay
 * or live.
 */
export class ChannelHistory {
  constructor(private readonly adapter: Adapter) {}

  /** Resumes an already subscribed channel after `since` (the subscription has succeeded). */
  async resume(conn: Connection, channel: ChannelName, since: string): Promise<void> {
    const recovery = conn.optIn();
    if (!recovery.begin(channel)) {
      conn.send(resumeFailedFrame(channel, 'rate_limited', `a resume of ${channel} is already under way`));
      return;
    }
    try {
      const failure = await this.replay(conn, channel, since);
      if (failure) conn.send(resumeFailedFrame(channel, failure.reason, failure.message));
    } finally {
      recovery.finish(channel);
    }
  }

  private async replay(conn: Connection, channel: ChannelName, since: string): Promise<{ reason: ResumeFailure; message: string } | null> {
    const recovery = conn.optIn();
    const app = conn.app;
    const policy = historyPolicy(app, channel);
    if (!policy) return { reason: 'no_history', message: `${channel} keeps no history` };
    let after = parseSerial(since);
    if (!after) return { reason: 'unknown_serial', message: `'${String(since).slice(0, 40)}' is not a serial` };
    recovery.seen(channel, after);
    let replayed = 0;
    // The history bounds the replay; the page cap only guards against a history that keeps growing under it.
    const maxPages = Math.ceil(policy.maxEvents / PAGE) + 2;
    for (let page = 0; page < maxPages; page++) {
      let read;
      try {
        read = await this.adapter.history.read(app.id, channel, policy, after, PAGE);
      } catch {
        return { reason: 'expired', message: `the history of ${channel} cannot be read right now` };
      }
      if (read.kind === 'expired') return { reason: 'expired', message: `events after ${since} on ${channel} are no longer kept` };
      if (read.kind === 'unknown_serial') return { reason: 'unknown_serial', message: `${channel} has kept no event ${since}` };
      for (const e of read.events) {
        const at = parseSerial(e.serial);
        if (!at) continue;
        after = at;
        // The sender of a client event did not get it live; it does not get it replayed either.
        if (e.except === conn.socketId) recovery.seen(channel, at);
        else if (recovery.replay(channel, at, withSerial(e.frame, e.serial))) replayed++;
      }
      if (!read.more) break;
    }
    const last = recovery.last(channel);
    conn.send(resumeSucceededFrame(channel, replayed, last ? formatSerial(last) : since));
    return null;
  }
}
