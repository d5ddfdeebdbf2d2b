// How frames reach a socket, for both WebSocket paths.
import type { Socket } from 'node:net';
import type { Connection } from '../../connection/connection.js';
import type { DomainEvents } from '../../events/domain-events.js';
import type { Logger } from '../../logging/logger.js';
import { textFrameOf } from './frame-writer.js';

// Frames written to a socket during one event-loop turn leave together: the
// socket is corked on its first write of the turn and uncorked once the turn
// is over, so a burst of events costs one syscall per socket, not one each.
const corkedSockets = new Set<Socket>();
let uncorkScheduled = false;

export function corkUntilTurnEnds(socket: Socket): void {
  if (corkedSockets.has(socket)) return;
  socket.cork();
  corkedSockets.add(socket);
  if (!uncorkScheduled) {
    uncorkScheduled = true;
    setImmediate(uncorkAll);
  }
}

function uncorkAll(): void {
  uncorkScheduled = false;
  for (const socket of corkedSockets) socket.uncork();
  corkedSockets.clear();
}

// A broadcast hands the same frame string to every subscriber: encode and
// frame it once, then write the same bytes to every socket.
let lastFrame = '';
let lastFrameBytes = textFrameOf('');

export function framed(frame: string): Buffer {
  if (frame !== lastFrame) {
    lastFrame = frame;
    lastFrameBytes = textFrameOf(frame);
  }
  return lastFrameBytes;
}

/** A client whose unsent data passes this is not reading; it is cut rather than let grow. */
export const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * A cut client's close frame waits behind everything it has not read. It
 * gets this long to read up to it (and so learn the close code); then its
 * socket is destroyed, so that its buffer is freed long before a closing
 * handshake would time out.
 */
export const SLOW_CONSUMER_GRACE_MS = 5_000;

/** Never silent: the client gets 4100, the operator a log line, metrics and the console an activity event. */
export function reportSlowConsumer(log: Logger, activity: DomainEvents | undefined, conn: Connection, bufferedBytes: number, limit: number): void {
  log.warn({ appId: conn.app.id, socketId: conn.socketId, bufferedBytes, limit }, 'slow consumer cut: the client is not reading');
  activity?.emit('slow_consumer_cut', { appId: conn.app.id, socketId: conn.socketId, transport: 'ws', bufferedBytes, limit });
}
