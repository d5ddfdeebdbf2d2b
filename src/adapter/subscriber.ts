import type { SocketError } from '../protocol/errors.js';
import type { AppId, ChannelName, SocketId } from '../protocol/types.js';

/**
 * What the adapter needs of a client to route to it: who it is and a way to
 * write to it. The connection layer above fulfils it; the adapter never
 * knows about transports or frames in flight.
 */
export interface Subscriber {
  readonly socketId: SocketId;
  readonly app: { readonly id: AppId };
  /** Writes an already encoded frame. */
  send(frame: string): void;
  /** Reports an error as `pusher:error`, closing the client when the error says so. */
  sendError(error: SocketError): void;
  /** Set once the client opted in to serials (`herald:recovery`): kept events go through it instead of `send`. */
  readonly recovery?: KeptEventSink | null;
}

/** Where an opted-in client's kept events go: written with their serial, or held while that channel is replayed. */
export interface KeptEventSink {
  /** `frame` already carries the serial. */
  live(channel: ChannelName, serial: string, frame: string): void;
}
