// A subscriber that stops reading must not make the server hold its
// messages without bound: past the buffer limit it is cut with 4100, the cut
// is visible (activity event), and the other subscribers of the same channel
// keep receiving. The slow client is a real WebSocket whose TCP socket is
// paused, so the bytes really pile up in the server.
import assert from 'node:assert/strict';
import type { ClientRequestArgs } from 'node:http';
import { connect as tcpConnect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { SocketErrors } from '../../src/protocol/errors.js';
import type { DomainEventMap } from '../../src/events/domain-events.js';
import { APP, startHerald, type RunningHerald } from '../helpers/herald.js';
import { PUSHER_JS_QUERY } from '../helpers/raw-socket.js';
import { connected, nextEvent, subscribed, waitFor, withTimeout } from '../helpers/wait.js';

const LIMIT = 256 * 1024;
const PAYLOAD = 'x'.repeat(8 * 1024);

/** A WebSocket client whose TCP socket can be paused: it stops reading, as a stuck client does. */
async function pausableClient(port: number): Promise<{ ws: WebSocket; tcp: Socket; closed: Promise<{ code: number; reason: string }> }> {
  let tcp: Socket | undefined;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${APP.key}?${PUSHER_JS_QUERY}`, {
    createConnection: (options: ClientRequestArgs) => {
      tcp = tcpConnect({ host: options.hostname ?? options.host ?? '127.0.0.1', port: Number(options.port) });
      return tcp;
    },
  });
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const established = new Promise<void>((resolve) => {
    ws.on('message', function first(data: Buffer) {
      if (String(data).includes('pusher:connection_established')) {
        ws.off('message', first);
        resolve();
      }
    });
  });
  await withTimeout(established, 'the slow client to connect');
  const subscribedOk = new Promise<void>((resolve) => {
    ws.on('message', function ok(data: Buffer) {
      if (String(data).includes('pusher_internal:subscription_succeeded')) {
        ws.off('message', ok);
        resolve();
      }
    });
  });
  ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'busy' } }));
  await withTimeout(subscribedOk, 'the slow client to subscribe');
  return { ws, tcp: tcp!, closed };
}

describe('slow consumers', () => {
  let h: RunningHerald;
  before(async () => {
    h = await startHerald({ overrides: { maxBufferedBytes: LIMIT } });
  });
  after(() => h.close());

  test('a WebSocket client that stops reading is cut with 4100 while the others keep receiving', async (t) => {
    const cuts: Array<DomainEventMap['slow_consumer_cut']> = [];
    const stop = h.herald.activity.on('slow_consumer_cut', (e) => cuts.push(e));
    t.after(stop);

    const healthy = h.client(t);
    await connected(healthy);
    const healthyChannel = await subscribed(healthy, 'busy');
    let healthyReceived = 0;
    healthyChannel.bind('burst', () => healthyReceived++);

    const slow = await pausableClient(h.port);
    slow.tcp.pause();

    const sdk = h.sdk();
    // Publish until the server gives up on the slow one (bounded: far more than the limit plus the kernel's buffers).
    let sent = 0;
    const heapBefore = process.memoryUsage().heapUsed;
    for (let batch = 0; batch < 400 && cuts.length === 0; batch++) {
      await sdk.triggerBatch(Array.from({ length: 10 }, (_, i) => ({ channel: 'busy', name: 'burst', data: { n: sent + i, payload: PAYLOAD } })));
      sent += 10;
    }
    assert.equal(cuts.length, 1, `the slow client was not cut after ${sent} events of ${PAYLOAD.length} bytes`);
    const [cut] = cuts as [DomainEventMap['slow_consumer_cut']];
    assert.equal(cut.transport, 'ws');
    assert.equal(cut.limit, LIMIT);
    // Bounded: what was held for it never passed the limit by more than one frame.
    assert.ok(cut.bufferedBytes > LIMIT && cut.bufferedBytes <= LIMIT + 2 * PAYLOAD.length, `buffered ${cut.bufferedBytes} bytes`);
    t.diagnostic(`slow consumer cut after ${sent} events with ${cut.bufferedBytes} bytes waiting; test process heap grew ${((process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024).toFixed(1)} MiB`);

    // The healthy subscriber of the same channel got everything and still gets new events at once.
    const last = nextEvent<{ n: number }>(healthyChannel, 'after', 'the healthy subscriber to receive an event after the cut');
    const sentAt = Date.now();
    await sdk.trigger('busy', 'after', { n: -1 });
    assert.equal((await last).n, -1);
    t.diagnostic(`healthy subscriber latency after the cut: ${Date.now() - sentAt} ms`);
    assert.equal(healthyReceived, sent);

    // The slow client, once it reads again, learns why it was cut.
    slow.tcp.resume();
    const closed = await withTimeout(slow.closed, 'the slow client to read its close frame', 10_000);
    assert.equal(closed.code, SocketErrors.overCapacity.code);
    assert.match(closed.reason, /not reading/);
    await waitFor(() => h.herald.connections.count() === 1, 'the server to let go of the slow client');
  });
});
