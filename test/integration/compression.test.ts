// permessage-deflate: off unless configured; when on, a client that offers
// it gets every frame compressed for it alone and in order, next to clients
// that did not offer it and still get the shared uncompressed frames.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { APP, startHerald } from '../helpers/herald.js';
import { frameData, PUSHER_JS_QUERY, rawSocket } from '../helpers/raw-socket.js';
import { connected, subscribed, waitFor } from '../helpers/wait.js';

const BIG = 'x'.repeat(4096);

test('off by default: a client offering permessage-deflate gets plain frames', async (t) => {
  const h = await startHerald();
  t.after(() => h.close());
  const socket = rawSocket(h.port, t);
  await socket.nextEvent('pusher:connection_established');
  assert.equal(socket.ws.extensions, '');
});

test('when on, compressed and plain clients both get every event, intact and in order', async (t) => {
  const h = await startHerald({ overrides: { perMessageDeflate: true } });
  t.after(() => h.close());
  const compressed = rawSocket(h.port, t);
  await compressed.nextEvent('pusher:connection_established');
  assert.match(compressed.ws.extensions, /permessage-deflate/);
  const plain = new WebSocket(`ws://127.0.0.1:${h.port}/app/${APP.key}?${PUSHER_JS_QUERY}`, { perMessageDeflate: false });
  t.after(() => plain.terminate());
  const plainFrames: Array<{ event: string; data?: string }> = [];
  plain.on('message', (d: Buffer) => plainFrames.push(JSON.parse(d.toString()) as { event: string; data?: string }));
  await new Promise((resolve) => plain.once('open', resolve));
  assert.equal(plain.extensions, '');
  const pusherJs = h.client(t);
  await connected(pusherJs);

  compressed.send({ event: 'pusher:subscribe', data: { channel: 'orders' } });
  await compressed.nextEvent('pusher_internal:subscription_succeeded');
  plain.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'orders' } }));
  const orders = await subscribed(pusherJs, 'orders');
  const lastForPusherJs = new Promise<{ n: number; pad: string }[]>((resolve) => {
    const got: { n: number; pad: string }[] = [];
    orders.bind('order.updated', (d: { n: number; pad: string }) => {
      got.push(d);
      if (got.length === 20) resolve(got);
    });
  });
  // Small frames pass under the compression threshold, large ones are compressed: both in one sequence.
  for (let n = 0; n < 20; n++) await h.sdk().trigger('orders', 'order.updated', { n, pad: n % 2 === 0 ? BIG : 'small' });

  for (let n = 0; n < 20; n++) {
    const frame = await compressed.nextEvent('order.updated');
    assert.deepEqual(frameData(frame), { n, pad: n % 2 === 0 ? BIG : 'small' });
  }
  const viaPusherJs = await lastForPusherJs;
  assert.deepEqual(viaPusherJs.map((d) => d.n), Array.from({ length: 20 }, (_, n) => n));
  assert.equal(viaPusherJs[0]?.pad, BIG);
  const plainEvents: Array<{ n: number; pad: string }> = await waitFor(() => {
    const events = plainFrames.filter((f) => f.event === 'order.updated');
    return events.length === 20 ? events.map((f) => JSON.parse(f.data ?? '{}') as { n: number; pad: string }) : undefined;
  }, 'the 20 events on the plain socket') as Array<{ n: number; pad: string }>;
  assert.deepEqual(plainEvents.map((d) => d.n), Array.from({ length: 20 }, (_, n) => n));
  assert.equal(plainEvents[18]?.pad, BIG);
});
