// A Transport that keeps what the server did to it, for the unit tests of the
// layers above the transports (gateway, connection, frame handlers): they
// assert on the frames a client would read and the close it would see.
import type { Transport } from '../../src/connection/transport.js';
import type { TransportKind } from '../../src/protocol/types.js';

/** A frame as a client reads it: `data` decoded from the JSON string protocol 7 carries. */
export interface SentFrame {
  readonly event: string;
  readonly channel?: string;
  readonly data: unknown;
}

export class RecordingTransport implements Transport {
  /** Encoded frames, in the order they were sent. */
  readonly sent: string[] = [];
  /** Every call to close, so that a second one shows. */
  readonly closes: { readonly code: number; readonly reason: string }[] = [];
  /** What happened, in order: `send <event>` and `close <code>`. */
  readonly calls: string[] = [];

  constructor(
    readonly remoteAddress: string | undefined = '127.0.0.1',
    readonly kind: TransportKind = 'ws',
  ) {}

  send(frame: string): void {
    this.sent.push(frame);
    this.calls.push(`send ${(JSON.parse(frame) as { event: string }).event}`);
  }

  close(code: number, reason: string): void {
    this.closes.push({ code, reason });
    this.calls.push(`close ${code}`);
  }

  frames(): SentFrame[] {
    return this.sent.map((text) => {
      const { event, channel, data } = JSON.parse(text) as { event: string; channel?: string; data?: unknown };
      return { event, ...(channel === undefined ? {} : { channel }), data: typeof data === 'string' ? parseOrKeep(data) : data };
    });
  }

  /** The frames named `event`. */
  named(event: string): SentFrame[] {
    return this.frames().filter((f) => f.event === event);
  }
}

/** Data that is JSON decoded; other strings (an app's own encoding) as they are. */
function parseOrKeep(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
