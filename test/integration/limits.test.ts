// Per-app limits: an event's data may be exactly as large as the app allows
// and not a byte more, and one app's limits never apply to another app on
// the same server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Pusher from 'pusher';
import { APP, establishedRawSocket, serverClosed, signedClient, startHerald, type RunningHerald } from '../helpers/herald.js';
import { ProtocolLimits } from '../../src/protocol/limits.js';
import { rid } from '../helpers/ids.js';
import { statusOf } from '../helpers/sdk.js';
import { connected, nextEvent, recordMessages, subscribed, waitFor, waitForMessage } from '../helpers/wait.js';

const SMALL = { id: 'small-app', key: 'small-key', secret: 'small-secret', maxEventPayloadBytes: 100, maxPresenceMembers: 1 };
// Its own app, so that other tests' clients never count against the quota.
const QUOTA = { id: 'quota-app', key: 'quota-key', secret: 'quota-secret', maxConnections: 2 };

let h: RunningHerald;
let small: Pusher;
let roomy: Pusher;
before(async () => {
  h = await startHerald({ apps: [{ ...APP, clientEvents: true, userAuthentication: true }, { ...SMALL, clientEvents: true }, QUOTA] });
  small = h.sdk({ appId: SMALL.id, key: SMALL.key, secret: SMALL.secret });
  roomy = h.sdk();
});
after(() => h.close());

/** The HTTP status the SDK request ended with, whether it resolved or rejected. */
/** A JSON string `data` of exactly `bytes` bytes (UTF-8), some of them multi-byte. */
function dataOfSize(bytes: number): string {
  const pad = bytes - Buffer.byteLength(JSON.stringify({ note: 'ü€', pad: '' }));
  const data = JSON.stringify({ note: 'ü€', pad: 'x'.repeat(pad) });
  assert.equal(Buffer.byteLength(data), bytes);
  return data;
}

test('HTTP API: data of exactly the default limit is delivered, one byte more is refused with 413', async (t) => {
  const limit = ProtocolLimits.eventPayloadBytes;
  const client = h.client(t);
  await connected(client);
  const name = `big-${rid()}`;
  const channel = await subscribed(client, name);

  const atLimit = dataOfSize(limit);
  const got = nextEvent<unknown>(channel, 'report');
  assert.equal(await statusOf(roomy.trigger(name, 'report', atLimit)), 200);
  assert.deepEqual(await got, JSON.parse(atLimit));

  assert.equal(await statusOf(roomy.trigger(name, 'report', dataOfSize(limit + 1))), 413);
  assert.equal(await statusOf(roomy.triggerBatch([{ channel: name, name: 'report', data: dataOfSize(limit + 1) }])), 413);
});

test("HTTP API: an app's own smaller limit is enforced to the byte, and only for that app", async (t) => {
  const name = `sized-${rid()}`;
  const client = h.client(t, {}, SMALL.key);
  const messages = recordMessages(client);
  await connected(client);
  await subscribed(client, name);

  assert.equal(await statusOf(small.trigger(name, 'at-limit', dataOfSize(SMALL.maxEventPayloadBytes))), 200);
  assert.equal(await statusOf(small.trigger(name, 'over-limit', dataOfSize(SMALL.maxEventPayloadBytes + 1))), 413);
  await small.trigger(name, 'control-event', {});
  await waitForMessage(messages, (m) => m.event === 'control-event', 'the control event');
  assert.deepEqual(
    messages.filter((m) => m.channel === name).map((m) => m.event),
    ['pusher_internal:subscription_succeeded', 'at-limit', 'control-event'],
  );

  // The same payload is fine for the other app on this server.
  assert.equal(await statusOf(roomy.trigger(name, 'over-limit', dataOfSize(SMALL.maxEventPayloadBytes + 1))), 200);
});

test('client events: data of exactly the limit is relayed, one byte more is refused with pusher:error', async (t) => {
  const name = `private-chat-${rid()}`;
  const sdk = small;
  const sender = signedClient(h, t, { sdk, key: SMALL.key });
  const receiver = signedClient(h, t, { sdk, key: SMALL.key });
  const senderMessages = recordMessages(sender);
  const heard = recordMessages(receiver);
  await Promise.all([connected(sender), connected(receiver)]);
  const channel = await subscribed(sender, name);
  await subscribed(receiver, name);

  // pusher-js sends a string as it is: its bytes are the event's data.
  const atLimit = 'é'.repeat(SMALL.maxEventPayloadBytes / 2);
  const over = `${atLimit}x`;
  const relayed = nextEvent<unknown>(receiver.channel(name), 'client-typing');
  assert.ok(channel.trigger('client-typing', atLimit));
  assert.equal(await relayed, atLimit);

  const refused = nextEvent<{ type: string; data: { message: string } }>(sender.connection, 'error', 'pusher:error for the oversized event');
  assert.ok(channel.trigger('client-too-big', over));
  assert.match((await refused).data.message, /larger than 100 bytes/);
  assert.ok(senderMessages.some((m) => m.event === 'pusher:error'));

  await sdk.trigger(name, 'control-event', {});
  await waitForMessage(heard, (m) => m.event === 'control-event', 'the control event');
  assert.equal(heard.filter((m) => m.event === 'client-too-big').length, 0);
  assert.equal(sender.connection.state, 'connected', 'an oversized client event does not cost the connection');
});

test("one app's presence member limit does not apply to another app", async (t) => {
  const name = `presence-lobby-${rid()}`;
  const join = async (key: string, sdk: Pusher, userId: string) => {
    const client = signedClient(h, t, { sdk, key, presence: { user_id: userId } });
    await connected(client);
    const channel = client.subscribe(name);
    return new Promise<'joined' | 'refused'>((resolve) => {
      channel.bind('pusher:subscription_succeeded', () => resolve('joined'));
      channel.bind('pusher:subscription_error', () => resolve('refused'));
    });
  };
  assert.equal(await join(SMALL.key, small, 'ann'), 'joined');
  assert.equal(await join(SMALL.key, small, 'ben'), 'refused');
  // Same channel name, other app: its own default limit.
  assert.equal(await join(APP.key, roomy, 'ann'), 'joined');
  assert.equal(await join(APP.key, roomy, 'ben'), 'joined');
  assert.equal(await join(APP.key, roomy, 'cid'), 'joined');
});

test("one app's connection quota does not apply to another app, and frees up when a client leaves", async (t) => {
  const first = await establishedRawSocket(h, t, QUOTA.key);
  await establishedRawSocket(h, t, QUOTA.key);
  const third = h.client(t, {}, QUOTA.key);
  // pusher-js reports a refused handshake as a WebSocketError wrapping the close.
  const error = nextEvent<{ error: { data: { code: number } } }>(third.connection, 'error', 'the quota error');
  assert.equal((await error).error.data.code, 4004);
  await waitFor(() => third.connection.state === 'disconnected', 'pusher-js to give up (4004: do not reconnect)');

  // The other app on this server is not affected.
  const others = await Promise.all([1, 2, 3].map(() => establishedRawSocket(h, t, APP.key)));
  assert.equal(new Set(others.map((o) => o.socketId)).size, 3);

  const released = serverClosed(h, first.socketId);
  first.ws.close();
  await released;
  const fourth = await establishedRawSocket(h, t, QUOTA.key);
  await fourth.pingPong();
});
