// WebSocket frames for tests of Herald's own WebSocket path: client frames
// built by hand (so that any field can be wrong), and the frame reader and
// writer of the `ws` library as the measuring stick of what is right.
import { randomBytes } from 'node:crypto';
import * as ws from 'ws';

export const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface FrameShape {
  readonly opcode: number;
  readonly payload?: Buffer | string;
  /** FIN bit; true unless said. */
  readonly fin?: boolean;
  /** Masked as a client must; true unless said. */
  readonly mask?: boolean;
  /** The RSV1–3 bits (0–7). */
  readonly rsv?: number;
  /** Force the 16-bit (126) or 64-bit (127) length form even for short payloads. */
  readonly lengthForm?: 7 | 16 | 64;
}

/** A client frame, built by hand so that every field can be wrong. */
export function clientFrame(shape: FrameShape): Buffer {
  const payload = typeof shape.payload === 'string' ? Buffer.from(shape.payload) : (shape.payload ?? Buffer.alloc(0));
  const masked = shape.mask ?? true;
  const length = payload.length;
  const form = shape.lengthForm ?? (length < 126 ? 7 : length < 0x10000 ? 16 : 64);
  const header: number[] = [((shape.fin ?? true) ? 0x80 : 0) | ((shape.rsv ?? 0) << 4) | shape.opcode];
  const maskBit = masked ? 0x80 : 0;
  if (form === 7) {
    header.push(maskBit | length);
  } else if (form === 16) {
    header.push(maskBit | 126, length >> 8, length & 0xff);
  } else {
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(length));
    header.push(maskBit | 127, ...big);
  }
  if (!masked) return Buffer.concat([Buffer.from(header), payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] = body[i]! ^ key[i & 3]!;
  return Buffer.concat([Buffer.from(header), key, body]);
}

/** The body of a close frame: the code, then the reason. */
export function closePayload(code: number, reason: string): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(code);
  return Buffer.concat([head, Buffer.from(reason)]);
}

// ws exports its frame parser and writer at runtime; its published types leave them out.
export interface WsReceiver {
  on(event: 'message', cb: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'conclude', cb: (code: number, reason: Buffer) => void): void;
  on(event: 'ping' | 'pong', cb: (data: Buffer) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  write(chunk: Buffer): void;
}
export interface WsSender {
  send(data: Buffer | string, options: { binary?: boolean; fin?: boolean; mask?: boolean; compress?: boolean }, cb?: () => void): void;
  ping(data: Buffer, mask: boolean, cb?: () => void): void;
  close(code: number, reason: string, mask: boolean, cb: () => void): void;
}
export const { Receiver: WsReceiver, Sender: WsSender } = ws as unknown as {
  Receiver: new (options: { isServer: boolean; maxPayload?: number }) => WsReceiver;
  Sender: new (socket: { write(chunk: Buffer): boolean; cork(): void; uncork(): void }) => WsSender;
};
