// The load generator's WebSocket client: just enough of RFC 6455 to speak
// the Pusher protocol to a server, and cheap. The clients share the two cores
// with the server they measure, so every microsecond they spend reading is
// one the server cannot use; a full client library (a stream per socket, an
// event and a string per message) cost more per delivery than the server
// itself. This one reads frames straight out of each TCP chunk and hands the
// caller the text of each, so several frames that arrive together cost one
// read. It is a benchmark tool, not a general client: it trusts the server's
// framing (unmasked, not fragmented — what every Pusher server sends).
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const HEADER_END = Buffer.from('\r\n\r\n');

export interface LeanWebSocketHandlers {
  /** One text frame's payload (latin1 is enough for the benchmark's ASCII frames). */
  onText(text: string): void;
  /** The connection ended, by either side or an error. */
  onClose(code: number | null): void;
}

export class LeanWebSocket {
  private pending: Buffer | null = null;
  private open = false;
  private closed = false;
  private readonly mask = randomBytes(4);
  private readonly socket: Socket;
  /** Settles with the server's 101 answer: rejects on anything else, or after `timeoutMs`. */
  readonly ready: Promise<void>;

  /** Starts connecting at once; frames that follow the handshake go to `handlers` from then on. */
  constructor(url: string, localAddress: string, timeoutMs: number, private readonly handlers: LeanWebSocketHandlers) {
    const { hostname, port, pathname, search } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port), localAddress, noDelay: true });
    this.socket = socket;
    this.ready = new Promise((resolve, reject) => {
      let handshake: Buffer = Buffer.alloc(0);
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        this.closed = true;
        reject(err);
      };
      const timer = setTimeout(() => fail(new Error(`no WebSocket handshake within ${timeoutMs} ms`)), timeoutMs);
      const onHandshakeData = (chunk: Buffer) => {
        handshake = handshake.length === 0 ? chunk : Buffer.concat([handshake, chunk]);
        const end = handshake.indexOf(HEADER_END);
        if (end < 0) return;
        const statusLine = handshake.subarray(0, handshake.indexOf('\r\n')).toString('latin1');
        if (!statusLine.startsWith('HTTP/1.1 101')) {
          fail(new Error(`upgrade refused: ${handshake.subarray(0, end).toString('latin1').slice(0, 200)}`));
          return;
        }
        clearTimeout(timer);
        socket.off('data', onHandshakeData);
        socket.off('error', fail);
        this.open = true;
        socket.on('data', (data: Buffer) => this.read(data));
        socket.on('error', () => socket.destroy());
        socket.on('close', () => this.ended(null));
        resolve();
        const rest = handshake.subarray(end + HEADER_END.length);
        if (rest.length > 0) this.read(rest);
      };
      socket.on('data', onHandshakeData);
      socket.on('error', fail);
      socket.write(
        `GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
  }

  get isOpen(): boolean {
    return this.open && !this.closed;
  }

  /** Sends one text frame, masked as a client must. */
  send(text: string): void {
    if (!this.isOpen) return;
    this.socket.write(this.frame(OP_TEXT, Buffer.from(text)));
  }

  /** Drops the connection at once, without a closing handshake. */
  terminate(): void {
    this.socket.destroy();
    this.ended(null);
  }

  private frame(opcode: number, payload: Buffer): Buffer {
    const length = payload.length;
    const headerLength = length < 126 ? 6 : length < 0x10000 ? 8 : 14;
    const out = Buffer.allocUnsafe(headerLength + length);
    out[0] = 0x80 | opcode;
    if (length < 126) {
      out[1] = 0x80 | length;
    } else if (length < 0x10000) {
      out[1] = 0x80 | 126;
      out.writeUInt16BE(length, 2);
    } else {
      out[1] = 0x80 | 127;
      out.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
      out.writeUInt32BE(length >>> 0, 6);
    }
    this.mask.copy(out, headerLength - 4);
    for (let i = 0; i < length; i++) out[headerLength + i] = (payload[i] as number) ^ (this.mask[i & 3] as number);
    return out;
  }

  private read(chunk: Buffer): void {
    let data = chunk;
    if (this.pending) {
      data = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let at = 0;
    while (at + 2 <= data.length) {
      const opcode = (data[at] as number) & 0x0f;
      let length = (data[at + 1] as number) & 0x7f;
      let start = at + 2;
      if (length === 126) {
        if (start + 2 > data.length) break;
        length = data.readUInt16BE(start);
        start += 2;
      } else if (length === 127) {
        if (start + 8 > data.length) break;
        length = data.readUInt32BE(start) * 2 ** 32 + data.readUInt32BE(start + 4);
        start += 8;
      }
      const end = start + length;
      if (end > data.length) break;
      at = end;
      if (opcode === OP_TEXT) {
        this.handlers.onText(data.toString('latin1', start, end));
      } else if (opcode === OP_PING) {
        this.socket.write(this.frame(0xa, data.subarray(start, end)));
      } else if (opcode === OP_CLOSE) {
        const code = length >= 2 ? data.readUInt16BE(start) : null;
        this.socket.end();
        this.ended(code);
        return;
      }
    }
    if (at < data.length) this.pending = data.subarray(at);
  }

  private ended(code: number | null): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.onClose(code);
  }
}
