// Random frames over a real WebSocket to a real Herald: whatever arrives
// (any JSON shape, type, size, unicode, nesting), the sender gets protocol
// frames back (a `pusher:error` for what it got wrong) or a documented close,
// the server never crashes, and a well-behaved client on the same server
// keeps receiving its events. Random connection requests (path, app key,
// query, Origin; short, long and multi-byte) are admitted or refused with a
// `pusher:error` whose code is also the close code.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { CloseCodes, SocketErrors } from '../../src/protocol/errors.js';
import { parseInboundFrame } from '../../src/protocol/frames.js';
import { APP, startHerald, type RunningHerald } from '../helpers/herald.js';
import type { PusherJS } from '../helpers/pusher-js.js';
import { closedBy, rawSocket, type CloseInfo } from '../helpers/raw-socket.js';
import { connected, nextEvent, subscribed } from '../helpers/wait.js';
import { anyJson, longText } from './arbitraries.js';
import { fuzzParameters } from './fuzz-runs.js';

const MAX_FRAME_BYTES = 16 * 1024;

const DOCUMENTED_ERROR_CODES = new Set<number | null>(Object.values(SocketErrors).map((e) => e.code));
const DOCUMENTED_CLOSE_CODES = new Set<number>([
  ...Object.values(CloseCodes),
  ...Object.values(SocketErrors).flatMap((e) => (e.code === null ? [] : [e.code])),
]);

const eventName = fc.oneof(
  fc.constantFrom('pusher:subscribe', 'pusher:unsubscribe', 'pusher:ping', 'pusher:pong', 'pusher:signin', 'client-typing', 'pusher:teleport', ''),
  fc.string({ unit: 'binary' }),
  anyJson,
);

const channelName = fc.oneof(
  fc.constantFrom('public', 'private-x', 'presence-x', 'private-encrypted-x', 'cache-x', '#server-to-user-1', 'a:b', ''),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', 'private-', 'presence-', 'private-encrypted-', '#server-to-user-').chain((prefix) => longText(150, 2000).map((name) => prefix + name)),
  anyJson,
);
const pusherData = fc.oneof(
  anyJson,
  fc.record({ channel: channelName, auth: fc.oneof(fc.string(), anyJson), channel_data: fc.oneof(fc.string(), anyJson), user_data: fc.oneof(fc.string(), anyJson) }, { requiredKeys: [] }),
);

/** One text frame a client might send: random text, random JSON, or a Pusher-shaped frame with fields of any type. */
const frameText = fc.oneof(
  fc.string({ unit: 'binary' }),
  anyJson.map((v) => JSON.stringify(v)),
  fc.record({ event: eventName, channel: channelName, data: pusherData }, { requiredKeys: [] }).map((f) => JSON.stringify(f)),
  // Larger than the frame limit: the documented close (1009).
  fc.integer({ min: MAX_FRAME_BYTES + 1, max: MAX_FRAME_BYTES * 4 }).map((n) => JSON.stringify({ event: 'client-big', data: 'x'.repeat(n) })),
  // Far deeper than any client nests.
  fc.integer({ min: 500, max: 5000 }).map((d) => `{"event":"client-deep","channel":"private-x","data":${'['.repeat(d)}${']'.repeat(d)}}`),
);

const GUARDED = { id: 'guarded-app', key: 'guarded-key', secret: 'guarded-secret', allowedOrigins: ['https://shop.example'] };

/** What a client might put in `/app/{key}`: the real keys, nothing, or anything of any length, percent-encoded. */
const appKey = fc.oneof(
  fc.constantFrom(APP.key, GUARDED.key, 'no-such-key'),
  fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), longText(60, 600)).map((key) => encodeURIComponent(key)),
);
const protocolValue = fc.oneof(
  fc.constantFrom('7', '5', '1', '0', '07', '-7', '7.0', 'abc', ''),
  fc.integer({ min: 60, max: 1500 }).chain((n) => fc.constantFrom('7', '1', '9').map((digit) => digit.repeat(n))),
  longText(20, 600),
);
const query = fc
  .tuple(fc.option(protocolValue, { nil: undefined }), fc.option(longText(0, 300), { nil: undefined }))
  .map(([protocol, extra]) => {
    const pairs = [protocol === undefined ? '' : `protocol=${encodeURIComponent(protocol)}`, extra === undefined ? '' : `client=${encodeURIComponent(extra)}`];
    return pairs.filter((p) => p !== '').join('&');
  });
const requestPath = fc.oneof(
  fc.tuple(appKey, query).map(([key, q]) => `/app/${key}?${q}`),
  // Paths that are not /app/{key}: 4005.
  fc.tuple(fc.array(fc.oneof(fc.constantFrom('app', 'apps', '..', ''), longText(1, 300).map((part) => encodeURIComponent(part))), { maxLength: 5 }), query).map(
    ([parts, q]) => `/${parts.join('/')}?${q}`,
  ),
);
// A header carries Latin-1 at most: é is two bytes once read as UTF-8.
const origin = fc.option(
  fc.oneof(
    fc.constantFrom('https://shop.example', 'https://evil.example', 'null', ''),
    fc.integer({ min: 100, max: 4000 }).chain((n) => fc.constantFrom('x', 'é', 'ÿ').map((char) => `https://${char.repeat(n)}.example`)),
    fc.stringMatching(/^[\x20-\x7e\xa0-\xff]{0,500}$/),
  ),
  { nil: undefined },
);

describe('fuzz: connection requests against a running Herald', () => {
  let h: RunningHerald;

  before(async () => {
    h = await startHerald({ apps: [APP, GUARDED] });
  });
  after(() => h.close());

  test('every request is admitted, or refused with a documented pusher:error whose code is the close code', async () => {
    await fc.assert(
      fc.asyncProperty(requestPath, origin, async (path, originHeader) => {
        if (process.env.FUZZ_TRACE) process.stderr.write(`${path.slice(0, 200)} (${path.length} chars), origin ${originHeader?.slice(0, 60)} (${originHeader?.length})\n`);
        const socket = rawSocket(h.port, null, { path, ...(originHeader === undefined ? {} : { origin: originHeader }) });
        try {
          const first = await socket.next((f) => f.event === 'pusher:connection_established' || f.event === 'pusher:error', 'established or refused');
          if (first.event === 'pusher:connection_established') return;
          const { code } = JSON.parse(first.data as string) as { code: number | null };
          assert.ok(code !== null && DOCUMENTED_ERROR_CODES.has(code), `undocumented refusal code ${code}`);
          const closed = await closedBy(socket, 'the close after the refusal');
          assert.equal(closed.code, code, `refused with ${code}, closed with ${closed.code} (${closed.reason})`);
        } finally {
          socket.ws.terminate();
        }
      }),
      fuzzParameters(150),
    );
    // Still serving.
    const socket = rawSocket(h.port, null);
    await socket.nextEvent('pusher:connection_established');
    socket.ws.terminate();
  });
});

describe('fuzz: WebSocket frames against a running Herald', () => {
  let h: RunningHerald;
  let control: PusherJS;
  let controlChannel: ReturnType<PusherJS['subscribe']>;
  let controlEvents = 0;

  before(async () => {
    h = await startHerald({ overrides: { maxFrameBytes: MAX_FRAME_BYTES } });
    control = h.client(null);
    await connected(control);
    controlChannel = await subscribed(control, 'control');
  });
  after(async () => {
    control.disconnect();
    await h.close();
  });

  test('every frame gets protocol frames or a documented close; the control client keeps receiving', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(frameText, { minLength: 1, maxLength: 6 }), async (frames) => {
        run++;
        if (process.env.FUZZ_TRACE) process.stderr.write(`run ${run}: ${JSON.stringify(frames.map((f) => (f.length > 300 ? `${f.slice(0, 150)}…(${f.length} chars)` : f)))}\n`);
        const socket = rawSocket(h.port, null);
        try {
          await socket.nextEvent('pusher:connection_established');
          for (const text of frames) socket.send(text);
          // Frames are handled in order: once this probe's subscription succeeds, every frame before it was handled.
          const probe = `fuzz-probe-${run}`;
          socket.send({ event: 'pusher:subscribe', data: { channel: probe } });
          const outcome = await Promise.race([
            socket.next((f) => f.event === 'pusher_internal:subscription_succeeded' && f.channel === probe, 'the probe subscription').then(() => 'open' as const),
            closedBy(socket, 'a documented close').then((info: CloseInfo) => info),
          ]);
          if (outcome !== 'open') {
            assert.ok(DOCUMENTED_CLOSE_CODES.has(outcome.code), `undocumented close code ${outcome.code} (${outcome.reason})`);
          } else if (frames.some((text) => !parseInboundFrame(text).ok)) {
            // Nothing is dropped silently: a frame that is not a protocol frame is answered with an error.
            assert.ok(socket.frames.some((f) => f.event === 'pusher:error'), 'a malformed frame was not answered with pusher:error');
          }
          for (const frame of socket.frames) {
            assert.equal(typeof frame.event, 'string', `a frame that is not a protocol frame: ${JSON.stringify(frame).slice(0, 200)}`);
            assert.notEqual(frame.event, '(not JSON)');
            if (frame.data !== undefined) assert.equal(typeof frame.data, 'string', 'server data is a JSON string');
            if (frame.event === 'pusher:error') {
              const { code, message } = JSON.parse(frame.data as string) as { code: number | null; message: string };
              assert.ok(DOCUMENTED_ERROR_CODES.has(code), `undocumented error code ${code}`);
              assert.equal(typeof message, 'string');
            }
          }
        } finally {
          socket.ws.terminate();
        }
        // Every few runs: the server still serves everyone else.
        if (run % 10 === 0) {
          const received = nextEvent<{ run: number }>(controlChannel, 'tick', 'the control client to receive its event');
          await h.sdk().trigger('control', 'tick', { run });
          assert.equal((await received).run, run);
          controlEvents++;
        }
      }),
      fuzzParameters(150),
    );
    assert.ok(controlEvents > 0);
    assert.equal(control.connection.state, 'connected');
  });
});
