import type { Connection } from '../connection/connection.js';
import type { Transport } from '../connection/transport.js';
import { CloseCodes, SocketErrors } from '../protocol/errors.js';
import {
  closeFrame,
  HEARTBEAT_FRAME,
  messagesFrame,
  OPEN_FRAME,
  PUSHER_JS_STREAM_LIMIT_CHARS,
  recyclePadding,
  type HttpTransportKind,
} from './http-session-protocol.js';
import { SendOrder, type PendingPost } from './http-send-order.js';

/** Messages still waiting when a session ends are kept for its returning client only when this small. */
const LAST_WORDS_MAX_BYTES = 8 * 1024;

export interface HttpSessionLimits {
  /** A session with no open receive request for this long has lost its client. */
  readonly sessionTimeoutMs: number;
  /** A silent stream gets a heartbeat, and a waiting poll is answered, after this long. */
  readonly heartbeatIntervalMs: number;
  /** A stream this old is handed over to a fresh request before a proxy cuts it. */
  readonly maxStreamAgeMs: number;
  /** Frames waiting for a client that is not collecting them; beyond this the session is closed. */
  readonly maxBufferedBytes: number;
}

/**
 * What a receive request's frames are written to: its HTTP response, or,
 * when it reached another node, the reply that carries them there.
 */
export interface SessionResponse {
  readonly writableEnded: boolean;
  readonly writableNeedDrain: boolean;
  write(text: string): boolean;
  end(text?: string): unknown;
  on(event: 'close' | 'drain' | 'error', listener: () => void): unknown;
}

/** The request currently carrying frames to the client: a stream, or one poll. */
interface Receiver {
  readonly res: SessionResponse;
  readonly openedAt: number;
  lastWriteAt: number;
  /** What this response has carried, in the units pusher-js counts (string length). */
  charsWritten: number;
}

/**
 * A client that closed its stream or waiting poll itself (pusher-js aborts it
 * on disconnect() and when its page unloads) is gone unless a new receive
 * request comes within this long. pusher-js reopens at once in the one case
 * it aborts a stream and goes on (its buffer limit, which the server's own
 * hand-over reaches first); a dropped request otherwise ends its session on
 * the client too, which reconnects with a new one.
 */
export const CLIENT_GONE_AFTER_MS = 2000;

/** Why a session ended, for the log. */
export type SessionEnd = 'closed' | 'left' | 'expired' | 'over-capacity';

/** What a session tells the transport server that made it. */
export interface HttpSessionOwner {
  /** Frames the client posted, in the order it sent them. */
  received(session: HttpSession, frames: readonly string[]): void;
  /** Called once when the session is over, with what a returning client should read. */
  ended(session: HttpSession, why: SessionEnd, lastWords: string): void;
}

/**
 * One pusher-js HTTP session seen as a Transport: frames from the server
 * queue here until a receive request (the stream, or the next poll) takes
 * them, and the client's posts are passed on in the order it made them. The
 * queue is bounded; the session ends soon after its client closes a receive
 * request and does not come back, and expires when no receive request comes
 * for a while. When it ends it leaves its close frame behind for a client
 * that comes back to ask.
 */
export class HttpSession implements Transport {
  /** Set once the gateway has admitted the client. */
  conn: Connection | null = null;
  /** Frames the client posted before it was admitted. */
  readonly early: string[] = [];
  private readonly pending: string[] = [];
  private pendingBytes = 0;
  /** What was waiting when the session was closed for not collecting it (over-capacity); 0 otherwise. */
  bytesWhenCut = 0;
  private receiver: Receiver | null = null;
  private detachedAt: number;
  /** The last receive request was closed by the client, not ended by the server. */
  private closedByClient = false;
  private ending: string | null = null;
  private flushQueued = false;
  private readonly posts: SendOrder;

  constructor(
    readonly kind: HttpTransportKind,
    readonly remoteAddress: string | undefined,
    /** The Origin the session was opened from; its other requests must come from it too. */
    readonly origin: string | undefined,
    private readonly limits: HttpSessionLimits,
    private readonly owner: HttpSessionOwner,
    /** The request number (`n`) of the request that opened the session; null when it had none. */
    openedBy: number | null = null,
    now = Date.now(),
  ) {
    this.detachedAt = now;
    this.posts = new SendOrder(openedBy, (frames) => this.owner.received(this, frames));
  }

  get ended(): boolean {
    return this.ending !== null;
  }

  // --- Transport ----------------------------------------------------------

  send(frame: string): void {
    if (this.ending !== null) return;
    this.pending.push(frame);
    this.pendingBytes += Buffer.byteLength(frame);
    if (this.pendingBytes > this.limits.maxBufferedBytes) {
      // The client is not collecting its messages: drop them rather than grow, and say so when it returns.
      this.bytesWhenCut = this.pendingBytes;
      this.pending.length = 0;
      this.pendingBytes = 0;
      this.end(SocketErrors.overCapacity.code, 'Over capacity: the client is not collecting its messages', 'over-capacity');
      return;
    }
    if (this.receiver && !this.flushQueued) {
      // Frames produced in the same turn (a subscribe's replies, a burst of events) share one write.
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        this.flush();
      });
    }
  }

  close(code: number, reason: string): void {
    this.end(code, reason, 'closed');
  }

  // --- Receive requests ---------------------------------------------------

  /** The first receive request of a new session: say it is open. */
  open(res: SessionResponse, now = Date.now()): void {
    if (this.kind === 'xhr_streaming') {
      this.attach(res, now);
      this.write(OPEN_FRAME, now);
      this.flush(now);
    } else {
      // A poll carries the open frame alone; the messages come with the next poll.
      res.end(OPEN_FRAME);
      this.detachedAt = now;
    }
  }

  /** A later receive request (the next poll, or a stream reopened), numbered `n`, takes over from the one before. */
  resume(res: SessionResponse, n: number | null = null, now = Date.now()): void {
    this.posts.received(n);
    this.attach(res, now);
    this.conn?.touch(now);
    this.flush(now);
  }

  /** An `xhr_send` numbered `n` has arrived: its frames go to the owner in the client's order once read. */
  post(n: number | null): PendingPost {
    return this.posts.posted(n);
  }

  /** Timers, run by one sweep for every session: heartbeats, stream recycling, expiry. */
  tick(now: number): void {
    const receiver = this.receiver;
    if (!receiver) {
      if (this.closedByClient && now - this.detachedAt >= Math.min(CLIENT_GONE_AFTER_MS, this.limits.sessionTimeoutMs)) {
        this.end(CloseCodes.goingAway, 'HTTP session ended: the client closed its request and did not come back', 'left');
      } else if (now - this.detachedAt >= this.limits.sessionTimeoutMs) {
        this.expire();
      }
      return;
    }
    if (this.kind === 'xhr_polling') {
      // A poll is never held longer than a heartbeat interval: proxies and the client see traffic.
      if (now - receiver.openedAt >= this.limits.heartbeatIntervalMs) {
        this.write(HEARTBEAT_FRAME, now);
        this.detach(now, true);
      }
      return;
    }
    if (now - receiver.openedAt >= this.limits.maxStreamAgeMs) {
      // Padding takes the stream past pusher-js's limit: it reopens the stream, and write() lets this one go.
      this.write(recyclePadding(receiver.charsWritten), now);
    } else if (now - receiver.lastWriteAt >= this.limits.heartbeatIntervalMs && !receiver.res.writableNeedDrain) {
      this.write(HEARTBEAT_FRAME, now);
    }
  }

  private expire(): void {
    // The connection learns it is closed from the gateway, as when a WebSocket drops.
    const seconds = Math.round(this.limits.sessionTimeoutMs / 100) / 10;
    this.end(SocketErrors.inactivity.code, `HTTP session expired: no request from the client for ${seconds} s`, 'expired');
  }

  private end(code: number, reason: string, why: SessionEnd): void {
    if (this.ending !== null) return;
    this.ending = closeFrame(code, reason);
    this.posts.stop();
    this.flush();
    if (this.receiver) {
      // Still attached means its connection was not taking more: give up on it.
      this.detach(Date.now(), true);
    }
    // What the client has not received is kept for it, when small, should it come back for it.
    const lastWords = this.pending.length > 0 && this.pendingBytes <= LAST_WORDS_MAX_BYTES ? messagesFrame(this.pending) + this.ending : this.ending;
    this.pending.length = 0;
    this.pendingBytes = 0;
    this.owner.ended(this, why, lastWords);
  }

  private attach(res: SessionResponse, now: number): void {
    if (this.receiver) this.detach(now, true);
    const receiver: Receiver = { res, openedAt: now, lastWriteAt: now, charsWritten: 0 };
    this.receiver = receiver;
    this.closedByClient = false;
    res.on('close', () => {
      // Still attached: the client closed it before the server ended it (responses the server ends are detached first).
      if (this.receiver !== receiver) return;
      this.detach(Date.now(), false);
      this.closedByClient = true;
    });
    res.on('drain', () => {
      if (this.receiver === receiver) this.flush();
    });
    // A client gone mid-write is noticed by 'close'; its socket error has nothing more to say.
    res.on('error', () => {});
  }

  private detach(now: number, endResponse: boolean): void {
    const receiver = this.receiver;
    if (!receiver) return;
    this.receiver = null;
    this.detachedAt = now;
    if (endResponse && !receiver.res.writableEnded) receiver.res.end();
  }

  /** Writes what is waiting, if a receive request is there to take it and its connection keeps up. */
  private flush(now = Date.now()): void {
    const receiver = this.receiver;
    if (!receiver || receiver.res.writableNeedDrain) return;
    let text = '';
    if (this.pending.length > 0) {
      text = messagesFrame(this.pending);
      this.pending.length = 0;
      this.pendingBytes = 0;
    }
    if (this.ending !== null) text += this.ending;
    if (text === '') return;
    this.write(text, now);
    // A poll carries one batch; a closing session has said its last.
    if (this.ending !== null || this.kind === 'xhr_polling') this.detach(now, true);
  }

  private write(text: string, now: number): void {
    const receiver = this.receiver;
    if (!receiver) return;
    receiver.res.write(text);
    receiver.charsWritten += text.length;
    receiver.lastWriteAt = now;
    if (this.kind === 'xhr_streaming' && receiver.charsWritten > PUSHER_JS_STREAM_LIMIT_CHARS) {
      // pusher-js reopens its stream once it has read this far; anything more written here would be lost in the switch.
      this.detach(now, true);
    }
  }
}
