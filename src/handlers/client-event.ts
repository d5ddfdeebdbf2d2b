import type { Connection } from '../connection/connection.js';
import { channelKind, eventNameProblem } from '../protocol/channel-names.js';
import { SocketError } from '../protocol/errors.js';
import type { InboundFrame } from '../protocol/frames.js';
import type { HandlerContext } from './context.js';

/**
 * A `client-` event: relayed to the other subscribers of a private or
 * presence channel the sender is subscribed to, never back to the sender.
 * Every refusal is reported to the sender; nothing is dropped silently.
 */
export async function handleClientEvent(ctx: HandlerContext, conn: Connection, frame: InboundFrame): Promise<void> {
  const { event, channel } = frame;
  const app = conn.app;
  if (!app.clientEvents) {
    throw new SocketError('clientEventRejected', `Client event ${event} rejected: client events are disabled for this app`);
  }
  if (typeof channel !== 'string') {
    throw new SocketError('clientEventRejected', `Client event ${event} rejected: it names no channel`);
  }
  const member = conn.channels.get(channel);
  if (member === undefined) {
    throw new SocketError('clientEventRejected', `Client event ${event} rejected: this connection is not subscribed to ${channel}`);
  }
  const kind = channelKind(channel);
  if (!kind.authorized || kind.serverToUser) {
    throw new SocketError('clientEventRejected', `Client event ${event} rejected: client events are only allowed on private and presence channels`);
  }
  if (kind.encrypted) {
    throw new SocketError('clientEventRejected', `Client event ${event} rejected: client events are not supported on encrypted channels`);
  }
  const nameProblem = eventNameProblem(event);
  if (nameProblem) throw new SocketError('clientEventRejected', `Client event rejected: ${nameProblem}`);
  if (!conn.takeClientEventBudget()) {
    ctx.activity.emit('client_event_rate_limited', { appId: app.id, socketId: conn.socketId, limit: app.clientEventsPerSecond });
    throw new SocketError('clientEventRateLimited', `Client event ${event} rejected: more than ${app.clientEventsPerSecond} client events per second`);
  }
  const data = clientEventData(frame);
  if (Buffer.byteLength(data) > app.maxEventPayloadBytes) {
    throw new SocketError('payloadTooLarge', `Client event ${event} rejected: data is larger than ${app.maxEventPayloadBytes} bytes`);
  }
  const userId = member?.user_id;
  await ctx.channels.publish(app, { channel, event, data, except: conn.socketId, userId });
  ctx.activity.emit('client_event', { appId: app.id, channel, event, data, socketId: conn.socketId, userId });
}

/** The event's data as relayed on the wire: strings as sent, anything else JSON-encoded. */
function clientEventData(frame: InboundFrame): string {
  if (typeof frame.data === 'string') return frame.data;
  try {
    return JSON.stringify(frame.data ?? {});
  } catch {
    // JSON.parse takes any depth but JSON.stringify recurses: data nested
    // deeper than the stack allows cannot be re-encoded, so it is refused
    // like any other bad client event rather than failing as an internal error.
    throw new SocketError('clientEventRejected', `Client event ${frame.event} rejected: data is nested too deeply`);
  }
}
