import type { Connection } from '../connection/connection.js';
import { channelNameProblem } from '../protocol/channel-names.js';
import { SocketError } from '../protocol/errors.js';
import { dataAsObject } from '../protocol/frames.js';
import { HistoryEvents, resumeFailedFrame } from '../protocol/history-frames.js';
import type { HandlerContext } from './context.js';

/**
 * `herald:recovery`: the client opts in to serials, naming the last serial it
 * saw per channel. Each is applied once that channel's subscription
 * succeeds (see `resumePending`), or at once for a channel already subscribed.
 * Only the first one is free; later ones count against the client-event budget.
 */
export async function handleRecovery(ctx: HandlerContext, conn: Connection, rawData: unknown): Promise<void> {
  const again = conn.recovery !== null;
  const recovery = conn.optIn();
  if (again && !conn.takeClientEventBudget()) throw new SocketError('clientEventRateLimited', `${HistoryEvents.recovery} rejected: too many per second`);
  const channels = dataAsObject(rawData)?.channels;
  if (channels === undefined || channels === null) return;
  if (typeof channels !== 'object' || Array.isArray(channels)) {
    throw new SocketError('invalidFrame', `${HistoryEvents.recovery} needs data.channels, an object of channel name to serial`);
  }
  // At most as many as the connection may subscribe to: what a client asks to resume stays bounded.
  const entries = Object.entries(channels as Record<string, unknown>).slice(0, conn.app.maxChannelsPerConnection);
  for (const [channel, since] of entries) {
    if (channelNameProblem(channel) || typeof since !== 'string') continue;
    if (conn.channels.has(channel)) await ctx.channels.history.resume(conn, channel, since);
    else recovery.resumeLater(channel, since, conn.app.maxChannelsPerConnection);
  }
}

/** `herald:resume {channel, since}`: now for a subscribed channel, after its subscription succeeds otherwise. */
export async function handleResume(ctx: HandlerContext, conn: Connection, rawData: unknown): Promise<void> {
  const data = dataAsObject(rawData);
  const channel = data?.channel;
  const since = data?.since;
  if (typeof channel !== 'string' || channelNameProblem(channel) || typeof since !== 'string') {
    throw new SocketError('invalidFrame', `${HistoryEvents.resume} needs data.channel (a channel name) and data.since (a serial)`);
  }
  const recovery = conn.optIn();
  if (!conn.takeClientEventBudget()) {
    conn.send(resumeFailedFrame(channel, 'rate_limited', `more than ${conn.app.clientEventsPerSecond} resumes per second`));
    return;
  }
  if (conn.channels.has(channel)) await ctx.channels.history.resume(conn, channel, since);
  else if (!recovery.resumeLater(channel, since, conn.app.maxChannelsPerConnection)) {
    conn.send(resumeFailedFrame(channel, 'rate_limited', `more than ${conn.app.maxChannelsPerConnection} channels are waiting to be resumed: subscribe to them first`));
  }
}

/** After a subscription succeeded: the resume asked for before it, if any. */
export async function resumePending(ctx: HandlerContext, conn: Connection, channel: string): Promise<void> {
  const since = conn.recovery?.takePending(channel);
  if (since !== undefined) await ctx.channels.history.resume(conn, channel, since);
}
