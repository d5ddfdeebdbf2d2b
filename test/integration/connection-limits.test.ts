// Limits on what one client may hold: channels per connection (refused with
// pusher:subscription_error, the connection kept) and connections per client
// address (refused with 4004, like the app's connection quota).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_MAX_CHANNELS_PER_CONNECTION } from '../../src/apps/app-schema.js';
import { APP, establishedRawSocket, startHerald, type RunningHerald } from '../helpers/herald.js';
import { frameData } from '../helpers/raw-socket.js';
import { connected, nextEvent, subscribed } from '../helpers/wait.js';

const rid = () => randomBytes(4).toString('hex');

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
