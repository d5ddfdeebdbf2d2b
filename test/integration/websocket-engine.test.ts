// Herald's own WebSocket path (the "direct" engine) on a real server, from
// the bytes a client writes on a plain TCP socket: heads that arrive in
// pieces or with frames behind them, control frames, closes and violations;
// and everything else that reaches the same port (ws clients with a
// subprotocol, the HTTP API on keep-alive connections, health checks, a
// connection that says nothing for a while) still served as before. Last,
// pusher-js against both engines (HERALD_WEBSOCKET_ENGINE=herald|ws).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test, type TestContext } from 'node:test';
import WebSocket from 'ws';
import { MAX_FRAMES_BEFORE_ADMISSION } from '../../src/connection/transport.js';
import { HEAD_WAIT_MS } from '../../src/transport/websocket/front-door.js';
import { SLOW_CONSUMER_GRACE_MS } from '../../src/transport/websocket/socket-writes.js';
import { APP, serverClosed, signedClient, startHerald, type RunningHerald } from '../helpers/herald.js';
import { PUSHER_JS_QUERY } from '../helpers/raw-socket.js';
import { connected, nextEvent, sleep, subscribed, waitFor, WAIT_MS, withTimeout } from '../helpers/wait.js';
import { clientFrame as frameOf, closePayload, OP } from '../helpers/websocket-frames.js';

const MAX_FRAME_BYTES = 4096;

// ---------------------------------------------------------------------------
// A WebSocket client on a bare TCP socket: it writes exactly the bytes a test
// gives it and reads the server's answer byte for byte.

/** A frame as the server sent it (never masked). */
interface ServerFrame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

function upgradeHead(options: { path?: string; key?: string; extra?: string[] } = {}): string {
  const path = options.path ?? `/app/${APP.key}?${PUSHER_JS_QUERY}`;
  return [
    `GET ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: Upgrade',
    'Upgrade: websocket',
    `Sec-WebSocket-Key: ${options.key ?? randomBytes(16).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
    ...(options.extra ?? []),
    '',
    '',
  ].join('\r\n');
}

const acceptFor = (key: string) => createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');

/** A client frame: masked unless said otherwise. */
function clientFrame(opcode: number, payload: Buffer | string = Buffer.alloc(0), options: { mask?: boolean; fin?: boolean } = {}): Buffer {
  return frameOf({ opcode, payload, ...options });
}

function closeOf(frame: ServerFrame): { code: number; reason: string } {
  assert.equal(frame.opcode, OP.close);
  return frame.payload.length >= 2 ? { code: frame.payload.readUInt16BE(0), reason: frame.payload.subarray(2).toString() } : { code: 1005, reason: '' };
}

class TcpClient {
  /** Everything the server sent, as received. */
  received = Buffer.alloc(0);
  /** The server's answer head (status line and headers), once whole. */
  responseHead: string | null = null;
  /** Frames after a 101 answer, in order. */
  readonly frames: ServerFrame[] = [];
  /** Set once the server ended its side (FIN) or the socket closed. */
  ended = false;
  closed = false;
  private unparsed = Buffer.alloc(0);
  private cursor = 0;
  private readonly listeners = new Set<() => void>();

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.unparsed = Buffer.concat([this.unparsed, chunk]);
      this.parse();
      this.notify();
    });
    socket.on('end', () => {
      this.ended = true;
      this.notify();
    });
    socket.on('close', () => {
      this.ended = true;
      this.closed = true;
      this.notify();
    });
    socket.on('error', () => {});
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /** Resolves with what `check` finds, checked now and at every arrival; bounded by `ms`. */
  until<T>(check: () => T | undefined | null | false, what: string, ms = WAIT_MS): Promise<T> {
    const now = check();
    if (now) return Promise.resolve(now);
    let listener = () => {};
    const found = new Promise<T>((resolve) => {
      listener = () => {
        const value = check();
        if (value) resolve(value);
      };
      this.listeners.add(listener);
    });
    return withTimeout(found, `${what} (received: ${JSON.stringify(this.received.toString('latin1').slice(0, 300))})`, ms).finally(() =>
      this.listeners.delete(listener),
    );
  }

  /** The server's answer head. */
  response(ms?: number): Promise<string> {
    return this.until(() => this.responseHead, 'the answer to the upgrade', ms);
  }

  /** The next frame after those a previous `next` returned that matches. */
  next(match: (frame: ServerFrame) => boolean, what: string, ms?: number): Promise<ServerFrame> {
    return this.until(
      () => {
        for (let i = this.cursor; i < this.frames.length; i++) {
          if (match(this.frames[i]!)) {
            this.cursor = i + 1;
            return this.frames[i]!;
          }
        }
        return undefined;
      },
      what,
      ms,
    );
  }

  /** Any frame received so far or still to come that matches, wherever the cursor of `next` stands. */
  any(match: (frame: ServerFrame) => boolean, what: string, ms?: number): Promise<ServerFrame> {
    return this.until(() => this.frames.find(match), what, ms);
  }

  nextEvent(event: string, ms?: number): Promise<{ event: string; channel?: string; data?: unknown }> {
    return this.next((f) => f.opcode === OP.text && (JSON.parse(f.payload.toString()) as { event: string }).event === event, event, ms).then(
      (f) => JSON.parse(f.payload.toString()) as { event: string },
    );
  }

  /** Resolves once the server has ended the TCP connection. */
  endedByServer(ms?: number): Promise<true> {
    return this.until(() => this.ended, 'the server to end the TCP connection', ms);
  }

  private parse(): void {
    if (this.responseHead === null) {
      const end = this.unparsed.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.responseHead = this.unparsed.subarray(0, end).toString('latin1');
      this.unparsed = this.unparsed.subarray(end + 4);
    }
    if (!this.responseHead.startsWith('HTTP/1.1 101 ')) return;
    for (;;) {
      const buf = this.unparsed;
      if (buf.length < 2) return;
      assert.equal(buf[1]! & 0x80, 0, 'a server frame must not be masked');
      let length = buf[1]! & 0x7f;
      let header = 2;
      if (length === 126) {
        if (buf.length < 4) return;
        length = buf.readUInt16BE(2);
        header = 4;
      } else if (length === 127) {
        if (buf.length < 10) return;
        length = Number(buf.readBigUInt64BE(2));
        header = 10;
      }
      if (buf.length < header + length) return;
      this.frames.push({ fin: (buf[0]! & 0x80) !== 0, opcode: buf[0]! & 0x0f, payload: Buffer.from(buf.subarray(header, header + length)) });
      this.unparsed = buf.subarray(header + length);
    }
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

async function tcpClient(port: number, t: TestContext): Promise<TcpClient> {
  const socket = connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  return new TcpClient(socket);
}

/** A TCP client whose upgrade was answered and which got its socket id. */
async function openTcpWebSocket(port: number, t: TestContext): Promise<TcpClient> {
  const client = await tcpClient(port, t);
  client.write(upgradeHead());
  assert.match(await client.response(), /^HTTP\/1\.1 101 /);
  await client.nextEvent('pusher:connection_established');
  return client;
}

/** One HTTP/1.1 response from the raw bytes: status, headers and a Content-Length body. */
function httpResponses(bytes: Buffer): { status: number; body: string }[] {
  const responses: { status: number; body: string }[] = [];
  let rest = bytes.toString('latin1');
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return responses;
    const head = rest.slice(0, end);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (rest.length < end + 4 + length) return responses;
    responses.push({ status, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
}

// ---------------------------------------------------------------------------

describe('the direct WebSocket engine (default), byte for byte', () => {
  let h: RunningHerald;
  before(async () => {
    h = await startHerald({ overrides: { maxFrameBytes: MAX_FRAME_BYTES } });
    assert.equal(h.herald.settings.websocketEngine, 'herald', 'the default engine');
  });
  after(() => h.close());

  test('an upgrade head written in three pieces, with pauses between, is answered and the client connected', async (t) => {
    const client = await tcpClient(h.port, t);
    const key = randomBytes(16).toString('base64');
    const head = upgradeHead({ key });
    const cuts = [17, Math.floor(head.length / 2)];
    client.write(head.slice(0, cuts[0]));
    await sleep(150);
    client.write(head.slice(cuts[0], cuts[1]));
    await sleep(150);
    assert.equal(client.received.length, 0, 'nothing is answered before the head is whole');
    client.write(head.slice(cuts[1]));
    const response = await client.response();
    assert.match(response, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(response, /\r\nupgrade: websocket(\r\n|$)/i);
    assert.match(response, /\r\nconnection: upgrade(\r\n|$)/i);
    assert.ok(response.includes(`\r\nSec-WebSocket-Accept: ${acceptFor(key)}`), response);
    const established = await client.nextEvent('pusher:connection_established');
    const data = JSON.parse(established.data as string) as { socket_id: string };
    assert.match(data.socket_id, /^\d+\.\d+$/);
  });

  test('the head and a pusher:subscribe frame in the same TCP write: subscribed', async (t) => {
    const client = await tcpClient(h.port, t);
    const subscribe = clientFrame(OP.text, JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'same-write' } }));
    client.write(Buffer.concat([Buffer.from(upgradeHead()), subscribe]));
    assert.match(await client.response(), /^HTTP\/1\.1 101 /);
    await client.nextEvent('pusher:connection_established');
    const succeeded = await client.nextEvent('pusher_internal:subscription_succeeded');
    assert.equal(succeeded.channel, 'same-write');
    // And it really is subscribed: an event triggered on the channel reaches it.
    await h.sdk({ timeout: WAIT_MS }).trigger('same-write', 'hello', { n: 1 });
    const hello = await client.nextEvent('hello');
    assert.equal(hello.channel, 'same-write');
  });

  test('the head, a subscribe and a ping frame in one write, each frame cut over later writes', async (t) => {
    const client = await tcpClient(h.port, t);
    const frames = Buffer.concat([
      clientFrame(OP.text, JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'cut-frames' } })),
      clientFrame(OP.ping, 'are you there'),
    ]);
    client.write(Buffer.concat([Buffer.from(upgradeHead()), frames.subarray(0, 5)]));
    await sleep(50);
    client.write(frames.subarray(5, 30));
    await sleep(50);
    client.write(frames.subarray(30));
    // The pong may leave before the subscription is answered: each is looked for on its own.
    const pong = await client.any((f) => f.opcode === OP.pong, 'the pong');
    assert.equal((await client.nextEvent('pusher_internal:subscription_succeeded')).channel, 'cut-frames');
    assert.equal(pong.payload.toString(), 'are you there');
  });

  test('a ping control frame is answered with a pong carrying the same payload', async (t) => {
    const client = await openTcpWebSocket(h.port, t);
    const payload = randomBytes(125);
    client.write(clientFrame(OP.ping, payload));
    const pong = await client.next((f) => f.opcode === OP.pong, 'the pong');
    assert.equal(pong.fin, true);
    assert.deepEqual(pong.payload, payload);
    client.write(clientFrame(OP.ping));
    const empty = await client.next((f) => f.opcode === OP.pong, 'the pong to an empty ping');
    assert.equal(empty.payload.length, 0);
  });

  test('a client close frame (4001, reason) is answered with the same code and the server ends the TCP connection', async (t) => {
    const client = await openTcpWebSocket(h.port, t);
    client.write(clientFrame(OP.close, closePayload(4001, 'client leaving')));
    const close = closeOf(await client.next((f) => f.opcode === OP.close, 'the server close frame'));
    assert.equal(close.code, 4001);
    assert.equal(close.reason, 'client leaving');
    await client.endedByServer();
    // Nothing was sent after the close frame.
    assert.equal(client.frames.at(-1)!.opcode, OP.close);
  });

  test('a close frame without a body is answered with a close frame without a body', async (t) => {
    const client = await openTcpWebSocket(h.port, t);
    client.write(clientFrame(OP.close));
    const close = await client.next((f) => f.opcode === OP.close, 'the server close frame');
    assert.equal(close.payload.length, 0);
    await client.endedByServer();
  });

  test('a text frame over the limit: close 1009, and the connection ends', async (t) => {
    const client = await openTcpWebSocket(h.port, t);
    client.write(clientFrame(OP.text, JSON.stringify({ event: 'pusher:ping', data: { pad: 'x'.repeat(MAX_FRAME_BYTES) } })));
    assert.equal(closeOf(await client.next((f) => f.opcode === OP.close, 'the close frame')).code, 1009);
    await client.endedByServer();
  });

  test('fragments together over the limit: close 1009', async (t) => {
    const client = await openTcpWebSocket(h.port, t);
    const half = 'y'.repeat(MAX_FRAME_BYTES / 2 + 1);
    client.write(Buffer.concat([clientFrame(OP.text, half, { fin: false }), clientFrame(OP.continuation, half)]));
    assert.equal(closeOf(await client.next((f) => f.opcode === OP.close, 'the close frame')).code, 1009);
    await client.endedByServer();
  });

  test('a message of exactly the limit is read (an error frame for its content, not a close)', async (t) => {
    const client = await openTcpWebSocket(h.port, t);
    const prefix = '{"event":"pusher:teleport","data":"';
    const text = prefix + 'z'.repeat(MAX_FRAME_BYTES - prefix.length - 2) + '"}';
    assert.equal(Buffer.byteLength(text), MAX_FRAME_BYTES);
    client.write(clientFrame(OP.text, text));
    await client.nextEvent('pusher:error');
    client.write(clientFrame(OP.text, JSON.stringify({ event: 'pusher:ping', data: {} })));
    await client.nextEvent('pusher:pong');
  });

  test('an unmasked frame: close 1002, and the connection ends', async (t) => {
    const client = await openTcpWebSocket(h.port, t);
    client.write(clientFrame(OP.text, JSON.stringify({ event: 'pusher:ping', data: {} }), { mask: false }));
    assert.equal(closeOf(await client.next((f) => f.opcode === OP.close, 'the close frame')).code, 1002);
    await client.endedByServer();
    assert.equal(client.frames.filter((f) => f.opcode === OP.text && f.payload.includes('pusher:pong')).length, 0);
  });

  test('a text frame that is not UTF-8: close 1007', async (t) => {
    const client = await openTcpWebSocket(h.port, t);
    client.write(clientFrame(OP.text, Buffer.from([0x7b, 0xff, 0x7d])));
    assert.equal(closeOf(await client.next((f) => f.opcode === OP.close, 'the close frame')).code, 1007);
    await client.endedByServer();
  });

  test('frames written in the same write as the head and before a violation are read; nothing after it', async (t) => {
    const client = await tcpClient(h.port, t);
    client.write(
      Buffer.concat([
        Buffer.from(upgradeHead()),
        clientFrame(OP.text, JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'before-violation' } })),
        clientFrame(OP.text, 'unmasked', { mask: false }),
        clientFrame(OP.text, JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'after-violation' } })),
      ]),
    );
    assert.equal(closeOf(await client.next((f) => f.opcode === OP.close, 'the close frame')).code, 1002);
    await client.endedByServer();
    const channels = client.frames
      .filter((f) => f.opcode === OP.text)
      .map((f) => JSON.parse(f.payload.toString()) as { event: string; channel?: string })
      .filter((f) => f.event === 'pusher_internal:subscription_succeeded')
      .map((f) => f.channel);
    assert.ok(!channels.includes('after-violation'), JSON.stringify(channels));
  });

  test(`up to ${MAX_FRAMES_BEFORE_ADMISSION} messages in the same write as the head are all answered once the app is known`, async (t) => {
    const client = await tcpClient(h.port, t);
    const ping = clientFrame(OP.text, JSON.stringify({ event: 'pusher:ping', data: {} }));
    client.write(Buffer.concat([Buffer.from(upgradeHead()), ...Array.from({ length: MAX_FRAMES_BEFORE_ADMISSION }, () => ping)]));
    for (let i = 0; i < MAX_FRAMES_BEFORE_ADMISSION; i++) await client.nextEvent('pusher:pong');
    assert.equal(client.frames.filter((f) => f.opcode === OP.close).length, 0);
  });

  test('one message more than that before the app is known: close 1008, and nothing of what it sent is answered', async (t) => {
    const client = await tcpClient(h.port, t);
    const ping = clientFrame(OP.text, JSON.stringify({ event: 'pusher:ping', data: {} }));
    client.write(Buffer.concat([Buffer.from(upgradeHead()), ...Array.from({ length: MAX_FRAMES_BEFORE_ADMISSION + 1 }, () => ping)]));
    const close = closeOf(await client.next((f) => f.opcode === OP.close, 'the close frame'));
    assert.equal(close.code, 1008);
    assert.match(close.reason, /before the connection was established/);
    await client.endedByServer();
    const events = client.frames.filter((f) => f.opcode === OP.text).map((f) => (JSON.parse(f.payload.toString()) as { event: string }).event);
    assert.ok(!events.includes('pusher:pong'), JSON.stringify(events));
  });

  test('a client that half-closes its side without a close frame: the server ends its side and the connection leaves', async (t) => {
    const client = await openTcpWebSocket(h.port, t);
    const established = JSON.parse(client.frames[0]!.payload.toString()) as { data: string };
    const { socket_id } = JSON.parse(established.data) as { socket_id: string };
    const left = serverClosed(h, socket_id);
    client.socket.end();
    await client.endedByServer();
    await left;
  });

  test('a refused client (unknown app key) gets pusher:error and close 4001; its answering close frame ends the connection', async (t) => {
    const client = await tcpClient(h.port, t);
    client.write(upgradeHead({ path: `/app/no-such-key?${PUSHER_JS_QUERY}` }));
    assert.match(await client.response(), /^HTTP\/1\.1 101 /);
    const error = await client.nextEvent('pusher:error');
    assert.equal((typeof error.data === 'string' ? (JSON.parse(error.data) as { code: number }) : (error.data as { code: number })).code, 4001);
    assert.equal(closeOf(await client.next((f) => f.opcode === OP.close, 'the close frame')).code, 4001);
    assert.equal(client.ended, false, 'the server waits for the client to answer its close');
    client.write(clientFrame(OP.close, closePayload(4001, '')));
    await client.endedByServer();
    // The server sent one close frame only, not a second one in answer to the client's.
    assert.equal(client.frames.filter((f) => f.opcode === OP.close).length, 1);
  });

  test('a ws client asking for a subprotocol is served (by ws), with the protocol it asked for', async (t) => {
    const ws = new WebSocket(`ws://127.0.0.1:${h.port}/app/${APP.key}?${PUSHER_JS_QUERY}`, ['foo'], { handshakeTimeout: WAIT_MS });
    t.after(() => ws.terminate());
    ws.on('error', () => {});
    const first = withTimeout(once(ws, 'message') as Promise<[Buffer]>, 'connection_established over ws');
    const [data] = await first;
    assert.equal((JSON.parse(data.toString()) as { event: string }).event, 'pusher:connection_established');
    assert.equal(ws.protocol, 'foo');
  });

  test('a ws client offering permessage-deflate (compression is off) is served', async (t) => {
    const ws = new WebSocket(`ws://127.0.0.1:${h.port}/app/${APP.key}?${PUSHER_JS_QUERY}`, { handshakeTimeout: WAIT_MS });
    t.after(() => ws.terminate());
    ws.on('error', () => {});
    const [data] = (await withTimeout(once(ws, 'message'), 'connection_established over ws')) as [Buffer];
    assert.equal((JSON.parse(data.toString()) as { event: string }).event, 'pusher:connection_established');
    assert.equal(ws.extensions, '');
  });

  test('plain HTTP: GET / and GET /health answer 200', async () => {
    const root = await fetch(`${h.url}/`, { signal: AbortSignal.timeout(WAIT_MS) });
    assert.equal(root.status, 200);
    assert.equal(((await root.json()) as { name: string }).name, 'herald');
    const health = await fetch(`${h.url}/health`, { signal: AbortSignal.timeout(WAIT_MS) });
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
  });

  test('a GET to /app/{key} that is not an upgrade is answered by the HTTP server, not hung', async () => {
    const res = await fetch(`${h.url}/app/${APP.key}`, { signal: AbortSignal.timeout(WAIT_MS) });
    assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}`);
    await res.arrayBuffer();
  });

  test('two HTTP requests pipelined in one TCP write on a keep-alive connection are both answered', async (t) => {
    const client = await tcpClient(h.port, t);
    client.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const responses = await client.until(() => {
      const got = httpResponses(client.received);
      return got.length >= 2 ? got : undefined;
    }, 'two HTTP responses');
    assert.deepEqual(
      responses.map((r) => r.status),
      [200, 200],
    );
    // The same connection takes another request after a pause.
    await sleep(50);
    client.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.until(() => httpResponses(client.received).length >= 3 || undefined, 'a third HTTP response on the same connection');
    assert.equal(client.ended, false);
  });

  test('HTTP API requests on one keep-alive connection (the pusher SDK, several triggers) all succeed and arrive', async (t) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    t.after(() => agent.destroy());
    const sdk = h.sdk({ agent, timeout: WAIT_MS });
    const client = h.client(t);
    await connected(client);
    const channel = await subscribed(client, 'keep-alive-api');
    const got: number[] = [];
    channel.bind('tick', (data: { n: number }) => got.push(data.n));
    const sockets = new Set<unknown>();
    agent.on('free', (socket) => sockets.add(socket));
    for (let n = 0; n < 5; n++) {
      const res = await sdk.trigger('keep-alive-api', 'tick', { n });
      assert.equal(res.status, 200);
    }
    assert.equal(sockets.size, 1, 'all requests went over one connection');
    await waitFor(() => got.length === 5, 'the five events');
    assert.deepEqual(got, [0, 1, 2, 3, 4]);
  });
});

describe('slow cases, run side by side: silent connections, stalled heads, unanswered closes', { concurrency: true }, () => {
  // The front door hands a silent connection to the HTTP server after HEAD_WAIT_MS to 2 × HEAD_WAIT_MS.
  const HANDED_ON_MS = 2 * HEAD_WAIT_MS + 500;
  let h: RunningHerald;
  before(async () => {
    h = await startHerald({ overrides: { maxFrameBytes: MAX_FRAME_BYTES } });
  });
  after(() => h.close());

  test('a client that connects and sends nothing is handed to the HTTP server, which still answers it', async (t) => {
    const client = await tcpClient(h.port, t);
    await sleep(HANDED_ON_MS);
    assert.equal(client.ended, false, 'the connection is not closed for being silent');
    client.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    const [response] = await client.until(() => {
      const got = httpResponses(client.received);
      return got.length > 0 ? got : undefined;
    }, 'the answer to GET /health');
    assert.equal(response!.status, 200);
    assert.deepEqual(JSON.parse(response!.body), { status: 'ok' });
  });

  test('a silent connection is by then the HTTP server\'s: a head only the direct path would accept is refused by Node', async (t) => {
    // A header name with a space: Node's parser refuses it (400); the
    // direct path does not read names it has no use for and would answer 101.
    const lenient = upgradeHead({ extra: ['X Not A Token: y'] });
    const control = await tcpClient(h.port, t);
    control.write(lenient);
    const controlAnswer = await control.response();
    if (!controlAnswer.startsWith('HTTP/1.1 101 ')) {
      t.skip(`the direct path no longer accepts this head (${controlAnswer.split('\r\n')[0]}): it cannot tell the two paths apart`);
      return;
    }
    const silent = await tcpClient(h.port, t);
    await sleep(HANDED_ON_MS);
    silent.write(lenient);
    assert.match(await silent.response(), /^HTTP\/1\.1 400 /);
  });

  test('a refused client that never answers the close frame is cut after the closing timeout', async (t) => {
    const client = await tcpClient(h.port, t);
    client.write(upgradeHead({ path: `/app/no-such-key?${PUSHER_JS_QUERY}` }));
    await client.next((f) => f.opcode === OP.close, 'the close frame');
    const closedAt = Date.now();
    await client.until(() => client.closed, 'the server to drop the connection', SLOW_CONSUMER_GRACE_MS + 2000);
    assert.ok(Date.now() - closedAt >= SLOW_CONSUMER_GRACE_MS - 500, `dropped after ${Date.now() - closedAt} ms, before the client had time to answer`);
  });

  for (const websocketEngine of ['herald', 'ws'] as const) {
    test(`shutdown with a client that never answers the 4200 close frame ends within the shutdown timeout (engine ${websocketEngine})`, async (t) => {
      const SHUTDOWN_MS = 1000;
      const own = await startHerald({ overrides: { shutdownTimeoutMs: SHUTDOWN_MS, websocketEngine } });
      const client = await openTcpWebSocket(own.port, t);
      const started = Date.now();
      const closing = own.close();
      await client.next((f) => f.opcode === OP.close, 'the close frame at shutdown');
      await closing;
      const took = Date.now() - started;
      assert.ok(took <= SHUTDOWN_MS + 1500, `Herald.close() took ${took} ms with shutdownTimeoutMs ${SHUTDOWN_MS}`);
    });
  }

  test('a client that sends part of an upgrade head and stalls is served once it finishes it (the part read is put back)', async (t) => {
    const client = await tcpClient(h.port, t);
    const head = upgradeHead();
    client.write(head.slice(0, 30));
    await sleep(HANDED_ON_MS);
    client.write(head.slice(30));
    assert.match(await client.response(), /^HTTP\/1\.1 101 /);
    await client.nextEvent('pusher:connection_established');
    client.write(clientFrame(OP.text, JSON.stringify({ event: 'pusher:ping', data: {} })));
    await client.nextEvent('pusher:pong');
  });
});

describe('the direct engine with permessage-deflate on', () => {
  let h: RunningHerald;
  before(async () => {
    h = await startHerald({ overrides: { perMessageDeflate: true } });
  });
  after(() => h.close());

  test('a raw client offering permessage-deflate is answered by ws, which agrees to it', async (t) => {
    const client = await tcpClient(h.port, t);
    client.write(upgradeHead({ extra: ['Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits'] }));
    const response = await client.response();
    assert.match(response, /^HTTP\/1\.1 101 /);
    assert.match(response, /\r\nSec-WebSocket-Extensions: permessage-deflate/i);
  });

  test('a raw client that offers nothing is answered without an extension, and connected', async (t) => {
    const client = await tcpClient(h.port, t);
    client.write(upgradeHead());
    const response = await client.response();
    assert.match(response, /^HTTP\/1\.1 101 /);
    assert.doesNotMatch(response, /Sec-WebSocket-Extensions/i);
    await client.nextEvent('pusher:connection_established');
  });

  test('a ws client (which offers compression) gets it, and its events', async (t) => {
    const ws = new WebSocket(`ws://127.0.0.1:${h.port}/app/${APP.key}?${PUSHER_JS_QUERY}`, { handshakeTimeout: WAIT_MS });
    t.after(() => ws.terminate());
    ws.on('error', () => {});
    type Message = { event: string; channel?: string; data?: string };
    const messages: Message[] = [];
    const arrived = async (event: string): Promise<Message> => (await waitFor(() => messages.find((m) => m.event === event), event))!;
    ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as { event: string }));
    await arrived('pusher:connection_established');
    assert.match(ws.extensions, /permessage-deflate/);
    ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'compressed' } }));
    await arrived('pusher_internal:subscription_succeeded');
    await h.sdk({ timeout: WAIT_MS }).trigger('compressed', 'big', { text: 'z'.repeat(5000) });
    const big = await arrived('big');
    assert.equal((JSON.parse(big.data!) as { text: string }).text.length, 5000);
  });
});

describe('the direct engine at shutdown', () => {
  test('a direct client is told 4200 when Herald closes; its answering close frame ends the connection', async (t) => {
    const h = await startHerald();
    const client = await openTcpWebSocket(h.port, t);
    const closing = h.close();
    const close = closeOf(await client.next((f) => f.opcode === OP.close, 'the close frame at shutdown'));
    assert.equal(close.code, 4200);
    client.write(clientFrame(OP.close, closePayload(4200, '')));
    await client.endedByServer();
    await withTimeout(closing, 'Herald to close');
  });
});

for (const engine of ['herald', 'ws'] as const) {
  describe(`pusher-js with HERALD_WEBSOCKET_ENGINE=${engine}`, () => {
    let h: RunningHerald;
    before(async () => {
      h = await startHerald({ overrides: { websocketEngine: engine } });
      assert.equal(h.herald.settings.websocketEngine, engine);
    });
    after(() => h.close());

    test('connect, subscribe, receive a triggered event, and relay a client event', async (t) => {
      const ana = signedClient(h, t);
      const ben = signedClient(h, t);
      await Promise.all([connected(ana), connected(ben)]);
      const [anaChannel, benChannel] = await Promise.all([subscribed(ana, 'private-engine'), subscribed(ben, 'private-engine')]);

      const triggered = nextEvent<{ from: string }>(benChannel, 'server-news', 'the triggered event at ben');
      await h.sdk({ timeout: WAIT_MS }).trigger('private-engine', 'server-news', { from: 'api' });
      assert.deepEqual(await triggered, { from: 'api' });

      const relayed = nextEvent<{ text: string }>(benChannel, 'client-typing', 'the client event at ben');
      assert.equal(anaChannel.trigger('client-typing', { text: `ana on ${engine}` }), true);
      assert.deepEqual(await relayed, { text: `ana on ${engine}` });
    });

    test('which path serves a head Node would refuse tells the engines apart', async (t) => {
      // A header name with a space: served on the direct path (it does not
      // read such names), refused with 400 by Node's parser (the ws engine).
      const client = await tcpClient(h.port, t);
      client.write(upgradeHead({ extra: ['X Not A Token: y'] }));
      const status = (await client.response()).split('\r\n')[0]!;
      if (engine === 'ws') assert.match(status, /^HTTP\/1\.1 400 /);
      else if (!status.startsWith('HTTP/1.1 101 ')) t.skip(`the direct path no longer accepts this head (${status})`);
    });
  });
}
