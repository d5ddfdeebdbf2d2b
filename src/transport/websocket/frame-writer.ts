// The RFC 6455 frames Herald writes itself (server to client, §5.2: FIN set,
// no mask): text frames, built once per broadcast so that the same bytes can
// be written to every subscriber's socket instead of being framed again for
// each; close and pong frames; and the length limit of a close frame's reason.

const FIN_TEXT = 0x81;
const FIN_CLOSE = 0x88;
const FIN_PONG = 0x8a;

/** A close frame's body is at most 125 bytes (§5.5), two of them the code. */
export const MAX_CLOSE_REASON_BYTES = 123;

const ELLIPSIS = '…';
const utf8 = new TextEncoder();

/**
 * The reason as sent in a close frame: whole when it fits, otherwise cut to
 * the limit on a character boundary and marked as cut. Callers pass whatever
 * message their error has (it may quote client input of any length); a
 * longer one would make `ws` throw and turn the close into a 1011.
 */
export function fitCloseReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES) return reason;
  // encodeInto writes whole characters only: `read` never ends inside one (nor inside a surrogate pair).
  const room = new Uint8Array(MAX_CLOSE_REASON_BYTES - Buffer.byteLength(ELLIPSIS));
  const { read } = utf8.encodeInto(reason, room);
  return reason.slice(0, read) + ELLIPSIS;
}

export function textFrame(payload: Buffer): Buffer {
  return frame(FIN_TEXT, payload);
}

/** The text frame of a string, encoded straight into the frame's bytes (one allocation, no copy). */
export function textFrameOf(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const headerLength = writtenHeaderLength(length);
  const bytes = Buffer.allocUnsafe(headerLength + length);
  writeHeader(bytes, FIN_TEXT, length);
  bytes.write(text, headerLength);
  return bytes;
}

/** A pong answering a ping: the ping's payload, as §5.5.3 requires (at most 125 bytes, the reader's check). */
export function pongFrame(payload: Buffer): Buffer {
  return frame(FIN_PONG, payload);
}

/** A close frame with `code` and the reason fitted to the limit; code 1005 ("none given") is sent as an empty body. */
export function closeFrame(code: number, reason: string): Buffer {
  if (code === NO_STATUS) return frame(FIN_CLOSE, Buffer.alloc(0));
  const fitted = fitCloseReason(reason);
  const body = Buffer.allocUnsafe(2 + Buffer.byteLength(fitted));
  body.writeUInt16BE(code, 0);
  body.write(fitted, 2);
  return frame(FIN_CLOSE, body);
}

/** The code a close frame without a body stands for (§7.4.1); never sent in one. */
export const NO_STATUS = 1005;

function frame(firstByte: number, payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = writtenHeaderLength(length);
  const bytes = Buffer.allocUnsafe(headerLength + length);
  writeHeader(bytes, firstByte, length);
  payload.copy(bytes, headerLength);
  return bytes;
}

function writtenHeaderLength(length: number): number {
  return length < 126 ? 2 : length < 0x10000 ? 4 : 10;
}

function writeHeader(bytes: Buffer, firstByte: number, length: number): void {
  bytes[0] = firstByte;
  if (length < 126) {
    bytes[1] = length;
  } else if (length < 0x10000) {
    bytes[1] = 126;
    bytes.writeUInt16BE(length, 2);
  } else {
    bytes[1] = 127;
    bytes.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    bytes.writeUInt32BE(length >>> 0, 6);
  }
}
