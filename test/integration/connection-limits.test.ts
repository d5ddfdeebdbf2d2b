// Limits on what one client may hold: channels per connection (refused with
// pusher:subscription_error, the connection kept) and connections per client
// address (refused with 4004, like the app's connection quota).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_MAX_CHANNELS_PER_CONNECTION } from '../../src/apps/app-schema.js';
import { APP, establishedRawSocket, startHerald, type RunningHerald } from '../helpers/herald.js';
import { rid } from '../helpers/ids.js';
import { closedBy, frameData, PUSHER_JS_QUERY, rawSocket, type RawSocket } from '../helpers/raw-socket.js';
import { connected, nextEvent, subscribed, waitFor } from '../helpers/wait.js';

describe('channels per connection', () => {
  const NARROW = { id: 'narrow-app', key: 'narrow-key', secret: 'narrow-secret', maxChannelsPerConnection: 3 };
  let h: RunningHerald;
  before(async () => {
    h = await startHerald({ apps: [APP, NARROW] });
  });
  after(() => h.close());

  test('pusher-js: a subscription past the limit gets pusher:subscription_error (LimitReached, 429); the connection and its channels carry on', async (t) => {
    const client = h.client(t, {}, NARROW.key);
    await connected(client);
    const names = [0, 1, 2].map((i) => `room-${i}-${rid()}`);
    const channels = await Promise.all(names.map((name) => subscribed(client, name)));

    const extra = `room-3-${rid()}`;
    const error = await nextEvent<{ type: string; status: number; error: string }>(client.subscribe(extra), 'pusher:subscription_error');
    assert.equal(error.type, 'LimitReached');
    assert.equal(error.status, 429);
    assert.match(error.error, /maxChannelsPerConnection 3/);
    assert.equal(client.connection.state, 'connected');

    // The refused channel gets nothing; the others still do.
    const got = nextEvent<{ n: number }>(channels[2]!, 'tick');
    await h.sdk({ appId: NARROW.id, key: NARROW.key, secret: NARROW.secret }).trigger([names[2]!, extra], 'tick', { n: 1 });
    assert.equal((await got).n, 1);
    const info = await h.sdk({ appId: NARROW.id, key: NARROW.key, secret: NARROW.secret }).get({ path: `/channels/${extra}` });
    assert.equal(((await info.json()) as { occupied: boolean }).occupied, false);

    // Leaving one makes room for another.
    client.unsubscribe(names[0]!);
    await subscribed(client, `room-4-${rid()}`);
  });

  test('a raw socket: resubscribing to a channel it has does not count; the default limit is enforced as well', async (t) => {
    const narrow = await establishedRawSocket(h, t, NARROW.key);
    for (const name of ['a', 'b', 'c', 'a', 'b']) narrow.send({ event: 'pusher:subscribe', data: { channel: `raw-${name}` } });
    narrow.send({ event: 'pusher:subscribe', data: { channel: 'raw-d' } });
    const refused = await narrow.next((f) => f.event === 'pusher:subscription_error', 'the refusal');
    assert.equal(refused.channel, 'raw-d');
    assert.equal(narrow.frames.filter((f) => f.event === 'pusher_internal:subscription_succeeded').length, 5);
    await narrow.pingPong();

    const roomy = await establishedRawSocket(h, t);
    for (let i = 0; i <= DEFAULT_MAX_CHANNELS_PER_CONNECTION; i++) roomy.send({ event: 'pusher:subscribe', data: { channel: `many-${i}` } });
    const over = await roomy.next((f) => f.event === 'pusher:subscription_error', 'the refusal past the default limit');
    assert.equal(over.channel, `many-${DEFAULT_MAX_CHANNELS_PER_CONNECTION}`);
    assert.deepEqual(frameData(over), {
      type: 'LimitReached',
      status: 429,
      error: `cannot subscribe to many-${DEFAULT_MAX_CHANNELS_PER_CONNECTION}: this connection is already subscribed to ${DEFAULT_MAX_CHANNELS_PER_CONNECTION} channels, the most this app allows (maxChannelsPerConnection ${DEFAULT_MAX_CHANNELS_PER_CONNECTION}); unsubscribe from one first`,
    });
    assert.equal(roomy.frames.filter((f) => f.event === 'pusher_internal:subscription_succeeded').length, DEFAULT_MAX_CHANNELS_PER_CONNECTION);
    await roomy.pingPong();
  });
});

/** The pusher:error a refused raw socket gets, and the close code after it. */
async function refusal(socket: RawSocket): Promise<{ code: number; message: string; closeCode: number }> {
  const { code, message } = frameData<{ code: number; message: string }>(await socket.nextEvent('pusher:error'));
  const { code: closeCode } = await closedBy(socket);
  return { code, message, closeCode };
}

/** Opens an HTTP fallback session (xhr_streaming) and returns what its stream says first after `o`: messages, or the close frame. */
async function httpSession(h: RunningHerald, key: string): Promise<{ established: boolean; closeCode: number | null; abort: () => void }> {
  const abort = new AbortController();
  const res = await fetch(`${h.url}/pusher/app/${key}/123/${rid()}/xhr_streaming?${PUSHER_JS_QUERY}`, { method: 'POST', signal: abort.signal });
  const reader = res.body!.getReader();
  let text = '';
  while (!/^(a|c)\[.*\]$/m.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString();
  }
  const close = /^c\[(\d+),/m.exec(text);
  return {
    established: text.includes('pusher:connection_established'),
    closeCode: close ? Number(close[1]) : null,
    abort: () => abort.abort(),
  };
}

describe('connections per client address', () => {
  const PER_APP = { id: 'per-address-app', key: 'per-address-key', secret: 'per-address-secret', maxConnectionsPerAddress: 1 };
  const OTHER = { id: 'other-app', key: 'other-key', secret: 'other-secret' };
  const NODE_LIMIT = 3;
  let h: RunningHerald;
  before(async () => {
    // A short session timeout: an HTTP session whose client stopped asking ends soon.
    h = await startHerald({ apps: [APP, PER_APP, OTHER], overrides: { maxConnectionsPerAddress: NODE_LIMIT, httpFallback: { sessionTimeoutMs: 300 } } });
  });
  after(() => h.close());

  /** Waits until the node holds no connection: each test starts from an empty registry. */
  async function allClosed(): Promise<void> {
    await waitFor(() => h.herald.connections.count() === 0, 'every connection to be closed');
  }

  test("an app's maxConnectionsPerAddress refuses the next connection from that address with 4004; other addresses and apps are not affected", async (t) => {
    const first = rawSocket(h.port, t, { key: PER_APP.key });
    await first.nextEvent('pusher:connection_established');
    const refused = await refusal(rawSocket(h.port, t, { key: PER_APP.key }));
    assert.deepEqual([refused.code, refused.closeCode], [4004, 4004]);
    assert.match(refused.message, /this app allows 1 per client address \(maxConnectionsPerAddress\)/);

    // Another address may connect to the app; this address to another app.
    const elsewhere = rawSocket(h.port, t, { key: PER_APP.key, localAddress: '127.0.0.2' });
    await elsewhere.nextEvent('pusher:connection_established');
    const otherApp = rawSocket(h.port, t, { key: OTHER.key });
    await otherApp.nextEvent('pusher:connection_established');

    // The first one leaving frees its place.
    first.ws.close();
    await closedBy(first);
    let again: RawSocket | undefined;
    await waitFor(async () => {
      const attempt = rawSocket(h.port, t, { key: PER_APP.key });
      const frame = await attempt.next((f) => f.event === 'pusher:connection_established' || f.event === 'pusher:error', 'admitted or refused');
      if (frame.event === 'pusher:connection_established') again = attempt;
      return again !== undefined;
    }, 'a connection to be admitted once the first left');
    for (const s of [elsewhere, otherApp, again!]) s.ws.close();
    await allClosed();
  });

  test('HERALD_MAX_CONNECTIONS_PER_ADDRESS counts every app and both transports, WebSocket and HTTP fallback', async (t) => {
    const ws1 = rawSocket(h.port, t, { key: APP.key });
    const ws2 = rawSocket(h.port, t, { key: OTHER.key });
    await Promise.all([ws1.nextEvent('pusher:connection_established'), ws2.nextEvent('pusher:connection_established')]);
    const session = await httpSession(h, APP.key);
    t.after(session.abort);
    assert.equal(session.established, true, 'the third connection (an HTTP session) is admitted');

    // A fourth, by either transport, is over the node's limit for this address.
    const refused = await refusal(rawSocket(h.port, t, { key: OTHER.key }));
    assert.deepEqual([refused.code, refused.closeCode], [4004, 4004]);
    assert.match(refused.message, /this server allows 3 per client address \(HERALD_MAX_CONNECTIONS_PER_ADDRESS\)/);
    const refusedSession = await httpSession(h, APP.key);
    assert.equal(refusedSession.closeCode, 4004);
    assert.equal(refusedSession.established, false);

    const elsewhere = rawSocket(h.port, t, { key: APP.key, localAddress: '127.0.0.3' });
    await elsewhere.nextEvent('pusher:connection_established');
    for (const s of [ws1, ws2, elsewhere]) s.ws.close();
    session.abort();
    // The HTTP session ends when its client stops coming back (the session timeout).
    await allClosed();
  });

  test('a burst from one address admits exactly the limit, and the counts go back to nothing', async (t) => {
    const burst = Array.from({ length: 12 }, () => rawSocket(h.port, t, { key: OTHER.key }));
    const outcomes = await Promise.all(
      burst.map((s) => s.next((f) => f.event === 'pusher:connection_established' || f.event === 'pusher:error', 'admitted or refused').then((f) => f.event)),
    );
    assert.equal(outcomes.filter((e) => e === 'pusher:connection_established').length, NODE_LIMIT, outcomes.join(', '));
    const refusedCodes = await Promise.all(burst.filter((_, i) => outcomes[i] === 'pusher:error').map((s) => closedBy(s).then((c) => c.code)));
    assert.deepEqual(new Set(refusedCodes), new Set([4004]));
    for (const s of burst) s.ws.close();
    await allClosed();
    assert.equal(h.herald.connections.addressCount, 0, 'no address is left counted');
  });
});
