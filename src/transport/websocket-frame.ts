// Rules of RFC 6455 frames that Herald writes itself: a server-to-client text
// frame (§5.2: FIN, opcode 1, no mask), built once per broadcast so that the
// same bytes can be written to every subscriber's socket instead of being
// framed again for each; and the length limit of a close frame's reason.

const FIN_TEXT = 0x81;

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
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = FIN_TEXT;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 0x10000) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  payload.copy(frame, headerLength);
  return frame;
}
