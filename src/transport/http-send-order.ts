// pusher-js posts every frame it sends as a request of its own (`xhr_send`),
// and two posts made back to back can reach the server in either order:
// separate requests, often on separate TCP connections. Every request of
// pusher-js's HTTP sockets carries `n`, taken from one counter as the request
// is made (getUniqueURL in pusher-js http_socket.ts): a session sees its
// numbers go up by one per request (stream, poll and post alike), unless
// another pusher-js client in the same page took some in between.
//
// So a post is handled once every lower number since the session opened has
// arrived. A number that does not come (another client's, or a request lost
// on the way) holds the requests behind it back for SEND_ORDER_WAIT_MS at
// most: long enough for a request that took a slower connection, short enough
// that a page with two clients on HTTP sees its events late by no more than
// that. A number that arrives after it was given up on is handled at once.

/** How long a request waits for a lower-numbered one before the session goes on without it. */
export const SEND_ORDER_WAIT_MS = 500;
/** Posts held back at once, and their frames' size; beyond either, the gaps in front are given up on. */
const MAX_WAITING_REQUESTS = 100;
const MAX_WAITING_BYTES = 1024 * 1024;

/** A post whose body is being read; say how reading it ended. */
export interface PendingPost {
  /** The frames it carried: handled when their turn comes. */
  read(frames: readonly string[]): void;
  /** Its body was refused: nothing to handle, and nothing to wait for. */
  refused(): void;
}

interface Waiting {
  /** null while the post's body is being read; empty for a receive request or a refused post. */
  frames: readonly string[] | null;
  readonly since: number;
  bytes: number;
}

const NOTHING: readonly string[] = [];

/**
 * Puts one session's posts back in the order its client made them (see
 * above). `opened` is the number of the request that opened the session;
 * null (a client that does not number its requests) keeps arrival order.
 */
export class SendOrder {
  /** The lowest number not yet handled. */
  private next: number;
  /** Requests numbered from `next` on, in arrival order. */
  private readonly waiting = new Map<number, Waiting>();
  private waitingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private stopped = false;

  constructor(
    opened: number | null,
    private readonly handle: (frames: readonly string[]) => void,
    private readonly waitMs = SEND_ORDER_WAIT_MS,
  ) {
    this.next = opened === null ? Number.NaN : opened + 1;
  }

  /** Posts and receive requests not yet handled, for tests and the curious. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /** A receive request (a stream or a poll) numbered `n`: one number fewer to wait for. */
  received(n: number | null): void {
    if (!this.takes(n)) return;
    this.waiting.set(n, { frames: NOTHING, since: Date.now(), bytes: 0 });
    this.drain();
  }

  /** A post numbered `n` has arrived and its body is being read. */
  posted(n: number | null): PendingPost {
    if (!this.takes(n)) {
      // Unnumbered, given up on already, or a number seen twice: nothing to order it by.
      return { read: (frames) => this.deliver(frames), refused: () => {} };
    }
    const entry: Waiting = { frames: null, since: Date.now(), bytes: 0 };
    this.waiting.set(n, entry);
    return {
      read: (frames) => {
        if (this.waiting.get(n) !== entry) {
          // Its turn was given up on while it was being read.
          this.deliver(frames);
          return;
        }
        entry.frames = frames;
        entry.bytes = frames.reduce((sum, frame) => sum + frame.length, 0);
        this.waitingBytes += entry.bytes;
        if (this.waitingBytes > MAX_WAITING_BYTES) this.giveUpTo(this.highestWaiting());
        this.drain();
      },
      refused: () => {
        if (this.waiting.get(n) !== entry) return;
        entry.frames = NOTHING;
        this.drain();
      },
    };
  }

  /** The session is over: nothing more is handled. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.waiting.clear();
    this.waitingBytes = 0;
  }

  /** Whether request `n` is to be put in its place (room is made first when the queue is full). */
  private takes(n: number | null): n is number {
    if (n === null || this.stopped) return false;
    if (this.waiting.size >= MAX_WAITING_REQUESTS) this.giveUpTo(this.highestWaiting());
    return n >= this.next && !this.waiting.has(n);
  }

  /** Handles what is next in line, then waits (bounded) for what is missing. */
  private drain(): void {
    for (;;) {
      const entry = this.waiting.get(this.next);
      if (!entry || entry.frames === null || this.stopped) break;
      this.forget(this.next, entry);
      this.next++;
      this.deliver(entry.frames);
    }
    this.schedule();
  }

  /**
   * The timer runs from the first arrival that is held back (numbered past
   * `next`): a post at the front whose body is still being read holds
   * nothing back until something arrives behind it.
   */
  private schedule(): void {
    let oldest: Waiting | undefined;
    for (const [n, entry] of this.waiting) {
      if (n !== this.next) {
        oldest = entry;
        break;
      }
    }
    if (!oldest || this.stopped) {
      clearTimeout(this.timer);
      this.timer = undefined;
      return;
    }
    const at = oldest.since + this.waitMs;
    if (this.timer !== undefined && this.timerAt === at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.waitedEnough(), Math.max(0, at - Date.now()));
    this.timer.unref();
  }

  /** Requests held back long enough go on without the numbers before them. */
  private waitedEnough(): void {
    this.timer = undefined;
    const now = Date.now();
    let upTo = -1;
    for (const [n, entry] of this.waiting) {
      if (n !== this.next && now - entry.since >= this.waitMs && n > upTo) upTo = n;
    }
    if (upTo === -1) this.schedule();
    else this.giveUpTo(upTo);
  }

  /** Handles, in number order, what has arrived up to `upTo`; what is missing or still being read there is not waited for. */
  private giveUpTo(upTo: number): void {
    const passed = [...this.waiting].filter(([n]) => n <= upTo).sort(([a], [b]) => a - b);
    for (const [n, entry] of passed) this.forget(n, entry);
    this.next = Math.max(this.next, upTo + 1);
    // Posts still being read here are handled when read, as late arrivals.
    for (const [, entry] of passed) if (entry.frames !== null) this.deliver(entry.frames);
    this.drain();
  }

  private highestWaiting(): number {
    return Math.max(...this.waiting.keys());
  }

  private forget(n: number, entry: Waiting): void {
    this.waiting.delete(n);
    this.waitingBytes -= entry.bytes;
  }

  private deliver(frames: readonly string[]): void {
    if (!this.stopped && frames.length > 0) this.handle(frames);
  }
}
