// A refusal keeps its code whatever the length of the input it refuses: a
// protocol version of a hundred digits, an Origin of hundreds of bytes, an
// app key of multi-byte characters. Each closes with the code of its
// pusher:error (a WebSocket close reason must fit in 123 bytes; the transport
// sees to it), is logged at debug like every refusal, never as an error, and
// reaches the activity feed (console, metrics).
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type { DomainEventMap } from '../../src/events/domain-events.js';
import { MAX_CLOSE_REASON_BYTES } from '../../src/transport/websocket/frame-writer.js';
import { APP, startHerald, type RunningHerald } from '../helpers/herald.js';
import { scrapeMetrics, seriesValue } from '../helpers/metrics.js';
import { closedBy, frameData, PUSHER_JS_QUERY, rawSocket } from '../helpers/raw-socket.js';
import { waitFor } from '../helpers/wait.js';

const GUARDED = { id: 'guarded-app', key: 'guarded-key', secret: 'guarded-secret', allowedOrigins: ['https://shop.example'] };

interface LongInput {
  readonly name: string;
  readonly path: string;
  readonly origin?: string;
  readonly code: number;
}

// Latin-1 letters: an HTTP header may carry them, and each is two bytes in UTF-8.
const longInputs: LongInput[] = [
  { name: 'a protocol version of 100 digits', path: `/app/${APP.key}?protocol=${'7'.repeat(100)}`, code: 4007 },
  { name: 'a protocol version of 1000 digits', path: `/app/${APP.key}?protocol=${'1'.repeat(1000)}&client=js`, code: 4007 },
  { name: 'a long malformed protocol version of multi-byte characters', path: `/app/${APP.key}?protocol=${encodeURIComponent('é'.repeat(200))}`, code: 4006 },
  { name: 'a long Origin', path: `/app/${GUARDED.key}?${PUSHER_JS_QUERY}`, origin: `https://${'x'.repeat(300)}.example`, code: 4009 },
  { name: 'a long Origin of multi-byte characters', path: `/app/${GUARDED.key}?${PUSHER_JS_QUERY}`, origin: `https://${'é'.repeat(400)}.example`, code: 4009 },
  { name: 'a long unknown app key', path: `/app/${'k'.repeat(1000)}?${PUSHER_JS_QUERY}`, code: 4001 },
  { name: 'an unknown app key of three-byte characters', path: `/app/${encodeURIComponent('鍵'.repeat(100))}?${PUSHER_JS_QUERY}`, code: 4001 },
  { name: 'an unknown app key of four-byte characters', path: `/app/${encodeURIComponent('🔑'.repeat(100))}?${PUSHER_JS_QUERY}`, code: 4001 },
  { name: 'a long path', path: `/${'p/'.repeat(1000)}?${PUSHER_JS_QUERY}`, code: 4005 },
];

describe('refusals of long input', () => {
  let h: RunningHerald;
  const logs: Array<{ level: number; msg: string; code?: number }> = [];
  const refused: Array<DomainEventMap['connection_refused']> = [];

  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(JSON.parse(chunk.toString()) as (typeof logs)[number]);
        done();
      },
    });
    h = await startHerald({ apps: [APP, GUARDED], logger: pino({ level: 'debug' }, sink) });
    h.herald.activity.on('connection_refused', (event) => refused.push(event));
  });
  after(() => h.close());

  for (const input of longInputs) {
    test(`WebSocket: ${input.name} is refused with ${input.code}, and closed with ${input.code}`, async (t) => {
      const refusedBefore = refused.length;
      const logsBefore = logs.length;
      const socket = rawSocket(h.port, t, { path: input.path, ...(input.origin === undefined ? {} : { origin: input.origin }) });
      const error = frameData<{ code: number; message: string }>(await socket.nextEvent('pusher:error'));
      const close = await closedBy(socket);
      assert.equal(error.code, input.code, error.message);
      assert.equal(close.code, input.code, `closed with ${close.code} (${close.reason})`);
      assert.ok(Buffer.byteLength(close.reason) <= MAX_CLOSE_REASON_BYTES);
      // The client's input is quoted, not echoed whole.
      assert.ok(error.message.length < 200, `a ${error.message.length}-character message`);

      await waitFor(() => refused.length > refusedBefore, 'the refusal in the activity feed');
      assert.equal(refused.at(-1)?.code, input.code);
      const logged = logs.slice(logsBefore);
      assert.ok(logged.some((line) => line.msg === 'connection refused' && line.code === input.code && line.level === 20), 'logged at debug');
      assert.deepEqual(
        logged.filter((line) => line.level >= 40),
        [],
        'nothing logged as a warning or an error',
      );
    });
  }

  // A session path with a key longer than pusher-js ever makes is not a session route (404): only the key's neighbours here.
  test('HTTP fallback: a long protocol version or Origin closes the session with the same code', async () => {
    for (const input of longInputs.filter((i) => i.code !== 4001 && i.code !== 4005)) {
      const [pathname, query] = input.path.split('?') as [string, string];
      const res = await fetch(`${h.url}/pusher${pathname}/123/abcdefgh/xhr_streaming?${query}`, {
        method: 'POST',
        headers: input.origin === undefined ? {} : { origin: input.origin },
      });
      const body = await res.text();
      const close = /^c(\[.*\])$/m.exec(body);
      assert.ok(close, `${input.name}: no close frame in ${body.slice(0, 300)}`);
      const [code] = JSON.parse(close[1]!) as [number, string];
      assert.equal(code, input.code, input.name);
    }
    assert.deepEqual(
      logs.filter((line) => line.level >= 40),
      [],
    );
  });

  test('every refusal is counted in the metrics by its code', async () => {
    const text = await scrapeMetrics(h.url);
    const counted = (code: number) => seriesValue(text, `herald_connections_refused_total{code="${code}"}`) ?? 0;
    for (const code of new Set(longInputs.map((i) => i.code))) {
      assert.equal(counted(code), refused.filter((r) => r.code === code).length, `code ${code}`);
    }
    assert.ok(counted(4007) >= 2);
  });

  test('the server still admits a well-formed client', async (t) => {
    const socket = rawSocket(h.port, t);
    await socket.nextEvent('pusher:connection_established');
  });
});
