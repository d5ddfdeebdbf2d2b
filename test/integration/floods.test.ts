// Floods from one app are bounded by that app's limits, each with its
// documented error, while a well-behaved client of another app on the same
// server keeps being served. Its latency is printed as a diagnostic; what is
// asserted is that it keeps receiving.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { SocketErrors } from '../../src/protocol/errors.js';
import { establishedRawSocket, startHerald, type RunningHerald } from '../helpers/herald.js';
import type { PusherJS } from '../helpers/pusher-js.js';
import { closedBy, frameData, rawSocket, type RawSocket } from '../helpers/raw-socket.js';
import { connected, nextEvent, subscribed, waitFor } from '../helpers/wait.js';

const FLOOD = { id: 'flood-app', key: 'flood-key', secret: 'flood-secret' };
const CALM = { id: 'calm-app', key: 'calm-key', secret: 'calm-secret' };
const MAX_CONNECTIONS = 30;
const CLIENT_EVENTS_PER_SECOND = 5;
const API_REQUESTS_PER_SECOND = 20;

describe('floods', () => {
  let h: RunningHerald;
  let calm: PusherJS;
  let calmChannel: ReturnType<PusherJS['subscribe']>;
  let probe = 0;

  /** The calm app's client still gets an event triggered now; prints how long it took. */
  async function calmStillServed(t: TestContext, during: string): Promise<void> {
    const n = ++probe;
    const received = nextEvent<{ n: number }>(calmChannel, 'probe', `the calm client's event during ${during}`);
    const sentAt = process.hrtime.bigint();
    await h.sdk({ appId: CALM.id, key: CALM.key, secret: CALM.secret }).trigger('calm', 'probe', { n });
    assert.equal((await received).n, n);
    t.diagnostic(`calm client latency during ${during}: ${(Number(process.hrtime.bigint() - sentAt) / 1e6).toFixed(1)} ms`);
  }

  before(async () => {
    h = await startHerald({
      apps: [
        {
          ...FLOOD,
          clientEvents: true,
          maxConnections: MAX_CONNECTIONS,
          clientEventsPerSecond: CLIENT_EVENTS_PER_SECOND,
          apiRequestsPerSecond: API_REQUESTS_PER_SECOND,
        },
        { ...CALM, clientEvents: true },
      ],
    });
    calm = h.client(null, {}, CALM.key);
    await connected(calm);
    calmChannel = await subscribed(calm, 'calm');
  });
  after(async () => {
    calm.disconnect();
    await h.close();
  });

  test('a connection storm past the quota is refused with 4004', async (t) => {
    const storm: RawSocket[] = Array.from({ length: MAX_CONNECTIONS * 4 }, () => rawSocket(h.port, t, { key: FLOOD.key }));
    const outcomes = await Promise.all(
      storm.map((s) =>
        s.next((f) => f.event === 'pusher:connection_established' || f.event === 'pusher:error', 'an answer to the connection').then((f) => f.event),
      ),
    );
    await calmStillServed(t, 'a connection storm');
    const admitted = outcomes.filter((e) => e === 'pusher:connection_established').length;
    assert.equal(admitted, MAX_CONNECTIONS, 'exactly the quota is admitted');
    for (const [i, s] of storm.entries()) {
      if (outcomes[i] !== 'pusher:error') continue;
      const error = frameData<{ code: number }>(s.frames.find((f) => f.event === 'pusher:error')!);
      assert.equal(error.code, SocketErrors.overConnectionQuota.code);
      assert.equal((await closedBy(s)).code, SocketErrors.overConnectionQuota.code);
    }
    for (const s of storm) s.ws.close();
    await waitFor(() => h.herald.connections.count() === 1, 'the storm to be gone, the calm client alone left');
  });

  test('a subscribe/unsubscribe storm leaves nothing behind', async (t) => {
    const socket = await establishedRawSocket(h, t, FLOOD.key);
    const ROUNDS = 2000;
    for (let i = 0; i < ROUNDS; i++) {
      socket.send({ event: 'pusher:subscribe', data: { channel: `storm-${i % 50}` } });
      socket.send({ event: 'pusher:unsubscribe', data: { channel: `storm-${i % 50}` } });
    }
    await calmStillServed(t, 'a subscribe storm');
    await socket.pingPong();
    const answer = await h.sdk({ appId: FLOOD.id, key: FLOOD.key, secret: FLOOD.secret }).get({ path: '/channels' });
    assert.deepEqual(await answer.json(), { channels: {} });
    assert.equal(socket.frames.filter((f) => f.event === 'pusher_internal:subscription_succeeded').length, ROUNDS);
    socket.ws.close();
  });

  test('a client-event flood is refused with 4301 beyond the budget; the sender stays connected', async (t) => {
    const sdk = h.sdk({ appId: FLOOD.id, key: FLOOD.key, secret: FLOOD.secret });
    const join = async (socket: RawSocket & { socketId: string }) => {
      const { auth } = sdk.authorizeChannel(socket.socketId, 'private-room');
      socket.send({ event: 'pusher:subscribe', data: { channel: 'private-room', auth } });
      await socket.nextEvent('pusher_internal:subscription_succeeded');
    };
    const sender = await establishedRawSocket(h, t, FLOOD.key);
    const receiver = await establishedRawSocket(h, t, FLOOD.key);
    await join(sender);
    await join(receiver);
    let limited = 0;
    const stop = h.herald.activity.on('client_event_rate_limited', () => limited++);
    t.after(stop);

    const SENT = 200;
    for (let i = 0; i < SENT; i++) sender.send({ event: 'client-spam', channel: 'private-room', data: { i } });
    await sender.pingPong();
    await calmStillServed(t, 'a client-event flood');
    const errors = sender.frames.filter((f) => f.event === 'pusher:error').map((f) => frameData<{ code: number }>(f).code);
    assert.ok(errors.length > 0, 'the flood was not refused');
    assert.ok(errors.every((code) => code === SocketErrors.clientEventRateLimited.code));
    assert.equal(limited, errors.length, 'every refusal is counted');
    await receiver.pingPong();
    const relayed = receiver.frames.filter((f) => f.event === 'client-spam').length;
    assert.equal(relayed + errors.length, SENT, 'each client event is either relayed or refused, none is lost silently');
    t.diagnostic(`client events relayed ${relayed}, refused ${errors.length}`);
  });

  test('an HTTP API flood is answered 429 with Retry-After, never 500', async (t) => {
    const base = `${h.url}`;
    const sdk = h.sdk({ appId: FLOOD.id, key: FLOOD.key, secret: FLOOD.secret });
    const statuses = await Promise.all(
      Array.from({ length: API_REQUESTS_PER_SECOND * 6 }, (_, i) =>
        sdk.trigger('flooded', 'e', { i }).then(
          (res) => ({ status: res.status, retryAfter: null as string | null }),
          (err: { status?: number; headers?: Headers }) => ({ status: err.status ?? 0, retryAfter: err.headers?.get('retry-after') ?? null }),
        ),
      ),
    );
    await calmStillServed(t, 'an HTTP API flood');
    const limited = statuses.filter((s) => s.status === 429);
    assert.ok(limited.length > 0, 'the flood was not limited');
    assert.ok(statuses.every((s) => s.status === 200 || s.status === 429), JSON.stringify(statuses.map((s) => s.status)));
    // Unsigned floods cost no budget and are refused before anything else is done.
    const unsigned = await Promise.all(Array.from({ length: 50 }, () => fetch(`${base}/apps/${FLOOD.id}/events`, { method: 'POST', body: '{}' }).then((r) => r.status)));
    assert.ok(unsigned.every((s) => s === 401));
  });
});
