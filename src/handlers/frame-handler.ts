import type { Connection } from '../connection/connection.js';
import type { FrameSink } from '../connection/gateway.js';
import { isClientEventName } from '../protocol/channel-names.js';
import { SocketError } from '../protocol/errors.js';
import { parseInboundFrame, PONG_FRAME, type InboundFrame } from '../protocol/frames.js';
import { HistoryEvents } from '../protocol/history-frames.js';
import { handleClientEvent } from './client-event.js';
import { handleRecovery, handleResume } from './recovery.js';
import type { HandlerContext } from './context.js';
import { handleSignin, signOut } from './signin.js';
import { handleSubscribe } from './subscribe.js';
import { handleUnsubscribe } from './unsubscribe.js';

type Handler = (ctx: HandlerContext, conn: Connection, frame: InboundFrame) => void | Promise<void>;

const handlers: Record<string, Handler> = {
  'pusher:ping': (_ctx, conn) => conn.send(PONG_FRAME),
  'pusher:pong': () => {},
  'pusher:subscribe': (ctx, conn, frame) => handleSubscribe(ctx, conn, frame.data),
  'pusher:unsubscribe': (ctx, conn, frame) => handleUnsubscribe(ctx, conn, frame.data),
  'pusher:signin': (ctx, conn, frame) => handleSignin(ctx, conn, frame.data),
  [HistoryEvents.recovery]: (ctx, conn, frame) => handleRecovery(ctx, conn, frame.data),
  [HistoryEvents.resume]: (ctx, conn, frame) => handleResume(ctx, conn, frame.data),
};

/**
 * Routes the frames of every connection to their handler, one frame after
 * another per connection, and turns every refusal into a `pusher:error`.
 */
export class FrameHandler implements FrameSink {
  constructor(private readonly ctx: HandlerContext) {}

  /** One text frame from the client. */
  receive(conn: Connection, text: string): void {
    conn.touch();
    conn.process(
      () => this.dispatch(conn, text),
      (err) => this.fail(conn, err),
    );
  }

  /** The transport closed: leave every channel and sign out, after frames still in flight. */
  disconnected(conn: Connection, done: () => void): void {
    conn.transportGone();
    conn.process(
      async () => {
        await signOut(this.ctx, conn);
        await this.ctx.channels.unsubscribeAll(conn);
        done();
      },
      (err) => {
        this.ctx.log.error({ err, socketId: conn.socketId }, 'cleanup after disconnect failed');
        done();
      },
    );
  }

  private dispatch(conn: Connection, text: string): void | Promise<void> {
    if (conn.closed) return;
    const parsed = parseInboundFrame(text);
    if (!parsed.ok) throw new SocketError('invalidFrame', `Invalid message: ${parsed.problem}`);
    const { frame } = parsed;
    const handler = handlers[frame.event];
    if (handler) return handler(this.ctx, conn, frame);
    if (isClientEventName(frame.event)) return handleClientEvent(this.ctx, conn, frame);
    throw new SocketError('invalidFrame', `Unsupported event received on socket: ${frame.event.slice(0, 200)}`);
  }

  private fail(conn: Connection, err: unknown): void {
    if (err instanceof SocketError) {
      this.ctx.activity.emit('error_sent', { appId: conn.app.id, socketId: conn.socketId, code: err.code, message: err.message });
      conn.sendError(err);
      return;
    }
    this.ctx.log.error({ err, socketId: conn.socketId, appId: conn.app.id }, 'handling a client frame failed');
    conn.sendError(new SocketError('invalidFrame', 'Internal error while handling the message'));
  }
}
