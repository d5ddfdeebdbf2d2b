// Reads the frames a client sends (RFC 6455 §5) from the bytes of its
// socket, as they arrive in chunks of any size: unmasks them, joins
// fragmented messages, and checks every rule a server must enforce. What a
// client gets wrong is told with the close code the RFC gives it (1002 for a
// malformed frame, 1007 for text that is not UTF-8, 1009 for a message over
// the limit); nothing is read after that.
import { isUtf8 } from 'node:buffer';

export const CloseStatus = {
  protocolError: 1002,
  invalidPayload: 1007,
  messageTooBig: 1009,
} as const;

/** What the reader tells its socket. */
export interface FrameReaderSink {
  /** One whole message (text, or binary read as text, as the Pusher protocol is text). */
  message(text: string): void;
  ping(payload: Buffer): void;
  /** The client's close frame: its code (1005 when it gave none) and reason. */
  closeReceived(code: number, reason: string): void;
  /** The client broke a rule; the socket is to be closed with `code`. */
  violation(code: number, reason: string): void;
}

const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

/** Largest payload length a frame header may state that is still a safe integer in JavaScript. */
const MAX_SAFE_HIGH_WORD = 0x1fffff;

/** Close codes a client may send (§7.4.1, and the registered 1012–1014); 3000–4999 are for applications. */
function closeCodeAllowed(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

class Violation extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export class FrameReader {
  /** Bytes of a frame not whole yet, and how many are needed before it is worth trying again. */
  private pending: Buffer[] | null = null;
  private pendingBytes = 0;
  private needed = 0;
  /** The parts of a fragmented message so far, and its opcode; null between messages. */
  private fragments: Buffer[] | null = null;
  private fragmentsBytes = 0;
  private fragmentsBinary = false;
  /** Set once the client closed or broke a rule: nothing after is read. */
  private done = false;

  constructor(
    private readonly maxMessageBytes: number,
    private readonly sink: FrameReaderSink,
  ) {}

  /** Reads nothing more: the socket is closing. */
  stop(): void {
    this.done = true;
    this.pending = null;
    this.pendingBytes = 0;
    this.fragments = null;
  }

  push(chunk: Buffer): void {
    if (this.done) return;
    let buf = chunk;
    if (this.pending !== null) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      // A large frame arrives in many chunks: join them once it is all here, not at every chunk.
      if (this.pendingBytes < this.needed) return;
      buf = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = null;
      this.pendingBytes = 0;
    }
    let offset = 0;
    try {
      while (!this.done) {
        const used = this.readFrame(buf, offset);
        if (used === 0) break;
        offset += used;
      }
    } catch (err) {
      if (!(err instanceof Violation)) throw err;
      this.done = true;
      this.sink.violation(err.code, err.message);
      return;
    }
    if (this.done || offset === buf.length) return;
    // Keep the rest, copied when small so that a whole socket read is not held for a few bytes.
    const rest = buf.subarray(offset);
    this.pending = [rest.length < 1024 ? Buffer.from(rest) : rest];
    this.pendingBytes = rest.length;
  }

  /** Reads one frame at `offset`: the bytes it took, or 0 when it is not whole yet (`needed` then says how many are). */
  private readFrame(buf: Buffer, offset: number): number {
    const available = buf.length - offset;
    if (available < 2) return this.waitFor(2);
    const b0 = buf[offset]!;
    const b1 = buf[offset + 1]!;
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if ((b0 & 0x70) !== 0) throw new Violation(CloseStatus.protocolError, 'RSV bits set without an agreed extension');
    if ((b1 & 0x80) === 0) throw new Violation(CloseStatus.protocolError, 'A client frame must be masked');
    const control = opcode >= 0x8;
    this.checkOpcode(opcode, fin, control);
    let length = b1 & 0x7f;
    let header = 2;
    if (length === 126) {
      if (available < 4) return this.waitFor(4);
      length = buf.readUInt16BE(offset + 2);
      header = 4;
    } else if (length === 127) {
      if (available < 10) return this.waitFor(10);
      const high = buf.readUInt32BE(offset + 2);
      if (high > MAX_SAFE_HIGH_WORD) throw new Violation(CloseStatus.messageTooBig, 'Max payload size exceeded');
      length = high * 2 ** 32 + buf.readUInt32BE(offset + 6);
      header = 10;
    }
    if (control && length > 125) throw new Violation(CloseStatus.protocolError, 'A control frame carries at most 125 bytes');
    if (!control && this.fragmentsBytes + length > this.maxMessageBytes) throw new Violation(CloseStatus.messageTooBig, 'Max payload size exceeded');
    const total = header + 4 + length;
    if (available < total) return this.waitFor(total);
    const maskAt = offset + header;
    const payload = buf.subarray(maskAt + 4, maskAt + 4 + length);
    unmask(payload, buf, maskAt);
    this.needed = 0;
    if (control) this.control(opcode, payload);
    else this.data(opcode, fin, payload);
    return total;
  }

  private waitFor(bytes: number): 0 {
    this.needed = bytes;
    return 0;
  }

  private checkOpcode(opcode: number, fin: boolean, control: boolean): void {
    if (control) {
      if (opcode !== OP_CLOSE && opcode !== OP_PING && opcode !== OP_PONG) throw new Violation(CloseStatus.protocolError, `Unknown opcode ${opcode}`);
      if (!fin) throw new Violation(CloseStatus.protocolError, 'A control frame must not be fragmented');
      return;
    }
    if (opcode === OP_CONTINUATION) {
      if (this.fragments === null) throw new Violation(CloseStatus.protocolError, 'A continuation frame with no message to continue');
      return;
    }
    if (opcode !== OP_TEXT && opcode !== OP_BINARY) throw new Violation(CloseStatus.protocolError, `Unknown opcode ${opcode}`);
    if (this.fragments !== null) throw new Violation(CloseStatus.protocolError, 'A new message before the fragmented one ended');
  }

  private data(opcode: number, fin: boolean, payload: Buffer): void {
    if (opcode !== OP_CONTINUATION) {
      if (fin) {
        this.deliver(payload, opcode === OP_BINARY);
        return;
      }
      this.fragments = [];
      this.fragmentsBinary = opcode === OP_BINARY;
    }
    // The payload is a view of the socket's chunk, which the next read replaces: copy it.
    this.fragments!.push(Buffer.from(payload));
    this.fragmentsBytes += payload.length;
    if (!fin) return;
    const whole = Buffer.concat(this.fragments!, this.fragmentsBytes);
    const binary = this.fragmentsBinary;
    this.fragments = null;
    this.fragmentsBytes = 0;
    this.deliver(whole, binary);
  }

  private deliver(payload: Buffer, binary: boolean): void {
    if (!binary && !isUtf8(payload)) throw new Violation(CloseStatus.invalidPayload, 'Invalid UTF-8 in a text message');
    this.sink.message(payload.toString());
  }

  private control(opcode: number, payload: Buffer): void {
    if (opcode === OP_PING) {
      this.sink.ping(Buffer.from(payload));
      return;
    }
    if (opcode === OP_PONG) return;
    if (payload.length === 1) throw new Violation(CloseStatus.protocolError, 'A close frame body of one byte');
    let code = 1005;
    let reason = '';
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      if (!closeCodeAllowed(code)) throw new Violation(CloseStatus.protocolError, `Invalid close code ${code}`);
      const text = payload.subarray(2);
      if (!isUtf8(text)) throw new Violation(CloseStatus.invalidPayload, 'Invalid UTF-8 in a close reason');
      reason = text.toString();
    }
    this.done = true;
    this.sink.closeReceived(code, reason);
  }
}

/** XORs the payload with the frame's 4-byte mask key (at `maskAt` in `buf`), in place. */
function unmask(payload: Buffer, buf: Buffer, maskAt: number): void {
  const m0 = buf[maskAt]!;
  const m1 = buf[maskAt + 1]!;
  const m2 = buf[maskAt + 2]!;
  const m3 = buf[maskAt + 3]!;
  const length = payload.length;
  let i = 0;
  for (; i + 3 < length; i += 4) {
    payload[i] = payload[i]! ^ m0;
    payload[i + 1] = payload[i + 1]! ^ m1;
    payload[i + 2] = payload[i + 2]! ^ m2;
    payload[i + 3] = payload[i + 3]! ^ m3;
  }
  for (; i < length; i++) payload[i] = payload[i]! ^ buf[maskAt + (i & 3)]!;
}
