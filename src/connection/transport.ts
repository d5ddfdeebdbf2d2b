// The neutral contract every transport (WebSocket, HTTP fallback) fulfils:
// bytes out, close, and who is on the other end. Everything above it works
// with a Connection and never knows which transport carries it.
import type { TransportKind } from '../protocol/types.js';

export type { TransportKind };

export interface Transport {
  readonly kind: TransportKind;
  readonly remoteAddress: string | undefined;
  /** Queues one encoded frame for the client. */
  send(frame: string): void;
  /** Closes the transport with a WebSocket-style close code. */
  close(code: number, reason: string): void;
}

/**
 * Frames a client may send while its app is still being looked up. A client
 * sends none before `pusher:connection_established`; the bound keeps one
 * that floods meanwhile (a slow app store makes that window longer) from
 * queueing without end.
 */
export const MAX_FRAMES_BEFORE_ADMISSION = 100;

/** What a transport knows when a client asks to connect. */
export interface ConnectRequest {
  /** The `{key}` in `/app/{key}`, or null when the path did not match. */
  readonly appKey: string | null;
  readonly query: URLSearchParams;
  readonly origin: string | undefined;
}
