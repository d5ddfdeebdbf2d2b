// The floor Herald is measured against (`npm run bench -- --baseline`): the
// least a Node process can do to serve the benchmark's clients — `ws` for
// the handshake, just enough of the Pusher protocol for them (connection
// established, subscribe, ping), and POST /apps/{id}/events with no checks at
// all (no signature, no limits, no validation). A broadcast is framed once and
// the frames a socket gets in one event-loop turn leave in one write. Herald
// does all of that plus everything the protocol asks; the gap between the two
// in the same run is what Herald's own work costs.
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';

const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' } } });
const port = Number(values.port);

const channels = new Map<string, Set<Socket>>();
const pending = new Map<Socket, Buffer[]>();
let flushScheduled = false;
let nextSocketId = 1;

function textFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81;
  if (length < 126) frame[1] = length;
  else if (length < 0x10000) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(0, 2);
    frame.writeUInt32BE(length, 6);
  }
  payload.copy(frame, header);
  return frame;
}

function flush(): void {
  flushScheduled = false;
  for (const [socket, frames] of pending) socket.write(frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames));
  pending.clear();
}

function queue(socket: Socket, frame: Buffer): void {
  const frames = pending.get(socket);
  if (frames) frames.push(frame);
  else pending.set(socket, [frame]);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') {
    res.end('ok');
    return;
  }
  if (req.method !== 'POST' || !/^\/apps\/[^/]+\/events/.test(req.url ?? '')) {
    res.statusCode = 404;
    res.end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const event = JSON.parse(Buffer.concat(chunks).toString()) as { name: string; channel: string; data: string };
    const frame = textFrame(Buffer.from(JSON.stringify({ event: event.name, channel: event.channel, data: event.data })));
    for (const socket of channels.get(event.channel) ?? []) queue(socket, frame);
    res.setHeader('content-type', 'application/json');
    res.end('{}');
  });
});

server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    const raw = socket as Socket;
    const joined = new Set<string>();
    ws.send(JSON.stringify({ event: 'pusher:connection_established', data: JSON.stringify({ socket_id: `${nextSocketId++}.1`, activity_timeout: 120 }) }));
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { event: string; data?: { channel?: string } };
      if (frame.event === 'pusher:ping') ws.send('{"event":"pusher:pong","data":{}}');
      else if (frame.event === 'pusher:subscribe' && frame.data?.channel) {
        const channel = frame.data.channel;
        let subs = channels.get(channel);
        if (!subs) channels.set(channel, (subs = new Set()));
        subs.add(raw);
        joined.add(channel);
        ws.send(JSON.stringify({ event: 'pusher_internal:subscription_succeeded', channel, data: '{}' }));
      }
    });
    ws.on('close', () => {
      for (const channel of joined) channels.get(channel)?.delete(raw);
      pending.delete(raw);
    });
  });
});

server.listen(port, values.host);
process.on('SIGTERM', () => process.exit(0));
