// Frames no well-behaved client sends. Each one is answered with a
// `pusher:error` that says what was wrong (or, for an oversized frame, the
// documented close), the sender's connection stays usable when the error is
// not fatal, and other clients of the same server never notice.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test, type TestContext } from 'node:test';
import { startHerald, type RunningHerald } from '../helpers/herald.js';
import { closedBy, frameData, rawSocket, type RawSocket } from '../helpers/raw-socket.js';
import { connected, nextEvent, subscribed } from '../helpers/wait.js';
import type { PusherJS } from '../helpers/pusher-js.js';

const MAX_FRAME_BYTES = 64 * 1024;

/** `[[[…]]]`, nested `depth` deep: parses fine, but recursive code on it runs out of stack. */
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
// Deep enough to overflow a recursive JSON.stringify, small enough to fit in a frame.
const DEEP = nested(30_000);

interface BadFrame {
  readonly name: string;
  /** Sent as is when a string, JSON-encoded otherwise. */
  readonly frame: unknown;
  /** What the error message must say. */
  readonly message: RegExp;
}

const badFrames: BadFrame[] = [
  { name: 'text that is not JSON', frame: 'hello, server', message: /not valid JSON/ },
  { name: 'truncated JSON', frame: '{"event":"pusher:ping"', message: /not valid JSON/ },
  { name: 'a JSON array', frame: '[{"event":"pusher:ping"}]', message: /JSON object/ },
  { name: 'a JSON string', frame: '"pusher:ping"', message: /JSON object/ },
  { name: 'JSON null', frame: 'null', message: /JSON object/ },
  { name: 'a frame without event', frame: { data: {} }, message: /event/ },
  { name: 'an empty event name', frame: { event: '', data: {} }, message: /event/ },
  { name: 'a numeric event', frame: { event: 42, data: {} }, message: /event/ },
  { name: 'a non-string channel', frame: { event: 'client-typing', channel: 7, data: {} }, message: /channel/ },
  { name: 'an unknown pusher: event', frame: { event: 'pusher:teleport', data: {} }, message: /Unsupported event.*pusher:teleport/ },
  { name: 'an unknown event without prefix', frame: { event: 'teleport', data: {} }, message: /Unsupported event.*teleport/ },
  { name: 'subscribe without data', frame: { event: 'pusher:subscribe' }, message: /data\.channel/ },
  { name: 'subscribe with a numeric channel', frame: { event: 'pusher:subscribe', data: { channel: 7 } }, message: /data\.channel/ },
  { name: 'subscribe with data that is not JSON', frame: { event: 'pusher:subscribe', data: '{channel' }, message: /data\.channel/ },
  { name: 'unsubscribe without data', frame: { event: 'pusher:unsubscribe' }, message: /data\.channel/ },
  { name: 'deeply nested JSON', frame: DEEP, message: /JSON object/ },
  { name: 'deeply nested data of an unknown event', frame: `{"event":"pusher:teleport","data":${DEEP}}`, message: /Unsupported event/ },
  { name: 'deeply nested subscribe data', frame: `{"event":"pusher:subscribe","data":${DEEP}}`, message: /data\.channel/ },
];

describe('bad input on a raw socket', () => {
  let h: RunningHerald;
  let bystander: PusherJS;
  let bystanderChannel: ReturnType<PusherJS['subscribe']>;

  before(async () => {
    h = await startHerald({ overrides: { maxFrameBytes: MAX_FRAME_BYTES } });
    bystander = h.client(null);
    await connected(bystander);
    bystanderChannel = await subscribed(bystander, 'bystander');
  });
  after(async () => {
    bystander.disconnect();
    await h.close();
  });

  /** Another client on the same server still gets its events, on the same connection as at the start. */
  async function bystanderStillReceives(): Promise<void> {
    const marker = randomUUID();
    const got = nextEvent<{ marker: string }>(bystanderChannel, 'still-here', 'the bystander to receive its event');
    await h.sdk().trigger('bystander', 'still-here', { marker });
    assert.equal((await got).marker, marker);
    assert.equal(bystander.connection.state, 'connected');
  }

  async function openSocket(t: TestContext): Promise<RawSocket> {
    const socket = rawSocket(h.port, t);
    await socket.nextEvent('pusher:connection_established');
    return socket;
  }

  for (const bad of badFrames) {
    test(`${bad.name}: pusher:error, and the connection stays usable`, async (t) => {
      const socket = await openSocket(t);
      socket.send(bad.frame);
      const error = frameData<{ code: unknown; message: unknown }>(await socket.nextEvent('pusher:error'));
      assert.equal(typeof error.message, 'string');
      assert.match(error.message as string, bad.message);
      assert.ok(error.code === null || typeof error.code === 'number', `code ${JSON.stringify(error.code)}`);
      await socket.pingPong();
      await bystanderStillReceives();
    });
  }

  test('a binary frame that is not JSON: pusher:error, and the connection stays usable', async (t) => {
    const socket = await openSocket(t);
    socket.ws.send(Buffer.from([0xff, 0x00, 0xfe, 0x01]));
    const error = frameData<{ message: string }>(await socket.nextEvent('pusher:error'));
    assert.match(error.message, /not valid JSON/);
    await socket.pingPong();
    await bystanderStillReceives();
  });

  test('a deeply nested client event on a private channel is refused clearly, not as an internal error', async (t) => {
    const socket = await openSocket(t);
    const socketId = frameData<{ socket_id: string }>(socket.frames[0]!).socket_id;
    const { auth } = h.sdk().authorizeChannel(socketId, 'private-deep');
    socket.send({ event: 'pusher:subscribe', data: { channel: 'private-deep', auth } });
    await socket.nextEvent('pusher_internal:subscription_succeeded');

    socket.send(`{"event":"client-deep","channel":"private-deep","data":${DEEP}}`);
    const error = frameData<{ message: string }>(await socket.nextEvent('pusher:error'));
    assert.match(error.message, /client-deep rejected/);
    await socket.pingPong();
    await bystanderStillReceives();
  });

  test('many bad frames in a row: one error each, in order, then a pong', async (t) => {
    const socket = await openSocket(t);
    for (const bad of badFrames) socket.send(bad.frame);
    for (const bad of badFrames) {
      const error = frameData<{ message: string }>(await socket.nextEvent('pusher:error'));
      assert.match(error.message, bad.message, bad.name);
    }
    await socket.pingPong();
    await bystanderStillReceives();
  });

  test('a frame larger than the frame limit closes the socket with 1009', async (t) => {
    const socket = await openSocket(t);
    socket.send({ event: 'client-big', channel: 'private-big', data: 'x'.repeat(MAX_FRAME_BYTES + 1) });
    const { code } = await closedBy(socket, 'the close for an oversized frame');
    assert.equal(code, 1009);
    await bystanderStillReceives();

    // The server is still open to new clients.
    const next = await openSocket(t);
    await next.pingPong();
  });
});
