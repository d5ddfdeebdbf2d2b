// What one WebSocket connection costs Node at the least, layer by layer: the
// measuring stick behind the README's decision on connect cost (issue 17).
// It serves only what the connect scenario needs (the handshake, then
// `connection_established`; a close frame ends the socket) and nothing else:
//
//   --mode net    a net server that reads the handshake by hand: no HTTP parser, no ws
//   --mode http   Node's HTTP server parses the upgrade request; the answer and frames by hand, no ws
//
// (bench/baseline/minimal-broadcaster.ts is the third step: HTTP server plus ws.) `npm run bench --
// --baseline` runs --mode net as the floor of the connect scenario.
// Measure each as a running server:
//
//   node --import tsx bench/baseline/handshake-floor.ts --mode net --port 6201 &
//   npm run bench -- --scenario connect --port 6201 --server-pid $!
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, mode: { type: 'string', default: 'net' } } });
const port = Number(values.port);
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
let nextSocketId = 1;

function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const header = payload.length < 126 ? 2 : 4;
  const frame = Buffer.allocUnsafe(header + payload.length);
  frame[0] = 0x81;
  if (header === 2) frame[1] = payload.length;
  else {
    frame[1] = 126;
    frame.writeUInt16BE(payload.length, 2);
  }
  payload.copy(frame, header);
  return frame;
}

/** The 101 answer and connection_established, in one write. */
function answer(socket: Duplex, key: string): void {
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  const established = textFrame(JSON.stringify({ event: 'pusher:connection_established', data: JSON.stringify({ socket_id: `${nextSocketId++}.1`, activity_timeout: 120 }) }));
  socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`), established]));
}

// Shared listeners, no closure per socket. A close frame (opcode 8) ends the socket.
function onFrames(this: Socket, chunk: Buffer): void {
  if (((chunk[0] ?? 0) & 0x0f) === 8) this.end();
}
function onError(this: Socket): void {
  this.destroy();
}

function onHandshake(this: Socket, chunk: Buffer): void {
  const text = chunk.toString('latin1');
  if (text.startsWith('GET /health')) {
    this.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
    return;
  }
  const at = text.toLowerCase().indexOf('sec-websocket-key:');
  if (at < 0) {
    this.destroy();
    return;
  }
  this.removeListener('data', onHandshake);
  this.on('data', onFrames);
  answer(this, text.slice(at + 18, text.indexOf('\r\n', at)).trim());
}

if (values.mode === 'net') {
  createNetServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', onHandshake);
    socket.on('error', onError);
  }).listen(port, values.host);
} else if (values.mode === 'http') {
  const server = createHttpServer((_req, res) => res.end('ok'));
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    socket.setNoDelay(true);
    socket.on('data', onFrames);
    socket.on('error', onError);
    answer(socket, String(req.headers['sec-websocket-key']));
  });
  server.listen(port, values.host);
} else {
  throw new Error(`--mode net or --mode http, not '${values.mode}'`);
}
process.on('SIGTERM', () => process.exit(0));
