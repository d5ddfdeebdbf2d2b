import type { Connection } from '../connection/connection.js';
import { SocketError } from '../protocol/errors.js';
import { dataAsObject } from '../protocol/frames.js';
import type { HandlerContext } from './context.js';

/** `pusher:unsubscribe`: leave the channel; unknown channels are ignored, as Pusher does. */
export async function handleUnsubscribe(ctx: HandlerContext, conn: Connection, rawData: unknown): Promise<void> {
  const channel = dataAsObject(rawData)?.channel;
  if (typeof channel !== 'string') {
    throw new SocketError('invalidFrame', 'pusher:unsubscribe needs data.channel, the name of the channel to leave');
  }
  await ctx.channels.unsubscribe(conn, channel);
}
