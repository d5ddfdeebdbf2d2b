// Client events (`client-…`) between pusher-js clients: relayed to the other
// subscribers of private and presence channels, never echoed, and refused
// visibly (pusher:error to the sender, nothing delivered) everywhere else.
//
// "Not delivered" is always proven by a control event sent afterwards on the
// same channel: once a receiver has it, anything sent before it would have
// arrived first.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test, type TestContext } from 'node:test';
import type Pusher from 'pusher';
import { APP, startHerald, type RunningHerald } from '../helpers/herald.js';
import type { PusherJS } from '../helpers/pusher-js.js';
import { connected, nextEvent, subscribed, waitFor, withTimeout } from '../helpers/wait.js';

const RATE_LIMIT = 5;
const MAX_PAYLOAD_BYTES = 2048;
const QUIET_APP = { id: 'quiet-app', key: 'quiet-key', secret: 'quiet-secret' } as const;
const ENCRYPTION_MASTER_KEY = randomBytes(32).toString('base64');

interface Received {
  readonly event: string;
  readonly channel?: string;
  readonly data?: unknown;
  readonly user_id?: string;
}

interface PusherErrorData {
  readonly code: number | null;
  readonly message: string;
}

/** A pusher-js client whose channel authorization is signed by `sdk`, recording every message it receives. */
interface TestClient {
  readonly pusher: PusherJS;
  readonly received: Received[];
  readonly errors: PusherErrorData[];
  /** Messages of `event` received so far on `channel`. */
  got(channel: string, event: string): Received[];
}

/** The next `event` on a channel, with the user_id pusher-js passes as its metadata. */
function eventWithSender(channel: ReturnType<PusherJS['subscribe']>, event: string): Promise<{ data: unknown; userId: string | undefined }> {
  return withTimeout(
    new Promise((resolve) => {
      const listener = (data: unknown, meta?: { user_id?: string }) => {
        channel.unbind(event, listener);
        resolve({ data, userId: meta?.user_id });
      };
      channel.bind(event, listener);
    }),
    `${event} on ${channel.name}`,
  );
}

describe('client events', () => {
  let h: RunningHerald;
  let sdk: Pusher;
  let quietSdk: Pusher;

  before(async () => {
    h = await startHerald({
      apps: [
        {
          ...APP,
          clientEvents: true,
          userAuthentication: true,
          clientEventsPerSecond: RATE_LIMIT,
          maxEventPayloadBytes: MAX_PAYLOAD_BYTES,
        },
        { ...QUIET_APP, clientEvents: false },
      ],
    });
    sdk = h.sdk({ encryptionMasterKeyBase64: ENCRYPTION_MASTER_KEY });
    quietSdk = h.sdk({ appId: QUIET_APP.id, key: QUIET_APP.key, secret: QUIET_APP.secret });
  });
  after(() => h.close());

  async function client(
    t: TestContext,
    options: { user?: Pusher.PresenceChannelData; app?: 'main' | 'quiet' } = {},
  ): Promise<TestClient> {
    const signer = options.app === 'quiet' ? quietSdk : sdk;
    const pusher = h.client(
      t,
      {
        channelAuthorization: {
          customHandler: ({ socketId, channelName }, callback) => {
            try {
              callback(null, signer.authorizeChannel(socketId, channelName, channelName.startsWith('presence-') ? options.user : undefined));
            } catch (err) {
              callback(err as Error, null);
            }
          },
        },
      },
      options.app === 'quiet' ? QUIET_APP.key : APP.key,
    );
    const received: Received[] = [];
    const errors: PusherErrorData[] = [];
    pusher.connection.bind('message', (m: Received) => received.push(m));
    pusher.connection.bind('error', (e: { type: string; data?: PusherErrorData }) => {
      if (e.type === 'PusherError' && e.data) errors.push(e.data);
    });
    await connected(pusher);
    return {
      pusher,
      received,
      errors,
      got: (channel, event) => received.filter((m) => m.channel === channel && m.event === event),
    };
  }

  /** The next pusher:error the server sends this client. */
  async function nextError(c: TestClient): Promise<PusherErrorData> {
    const seen = c.errors.length;
    await waitFor(() => c.errors.length > seen, 'a pusher:error');
    return c.errors[seen]!;
  }

  /** Triggers a control event on `channel` through the HTTP API and waits until every receiver has it. */
  async function controlEvent(channel: string, receivers: TestClient[], via: Pusher = sdk): Promise<void> {
    const event = `control-${randomUUID()}`;
    await via.trigger(channel, event, {});
    await Promise.all(receivers.map((r) => waitFor(() => r.got(channel, event).length > 0, `control event on ${channel}`)));
  }

  test('on a private channel a client event reaches every other subscriber, never the sender', async (t) => {
    const [ana, ben, cy] = await Promise.all([client(t), client(t), client(t)]);
    const channels = await Promise.all([ana, ben, cy].map((c) => subscribed(c.pusher, 'private-chat')));
    const atBen = nextEvent<{ text: string }>(channels[1]!, 'client-typing', 'client-typing at ben');
    const atCy = nextEvent<{ text: string }>(channels[2]!, 'client-typing', 'client-typing at cy');

    assert.equal(channels[0]!.trigger('client-typing', { text: 'ana is typing' }), true);
    assert.deepEqual(await atBen, { text: 'ana is typing' });
    assert.deepEqual(await atCy, { text: 'ana is typing' });

    await controlEvent('private-chat', [ana, ben, cy]);
    assert.equal(ana.got('private-chat', 'client-typing').length, 0, 'the sender never gets its own client event');
    assert.equal(ben.got('private-chat', 'client-typing').length, 1);
    assert.deepEqual(ana.errors, []);
  });

  test('on a presence channel a client event carries the sender user_id', async (t) => {
    const ana = await client(t, { user: { user_id: 'ana', user_info: { name: 'Ana' } } });
    const ben = await client(t, { user: { user_id: 'ben' } });
    const atAna = await subscribed(ana.pusher, 'presence-room');
    const atBen = await subscribed(ben.pusher, 'presence-room');

    const waveAtBen = eventWithSender(atBen, 'client-wave');
    atAna.trigger('client-wave', { hello: 'ben' });
    assert.deepEqual(await waveAtBen, { data: { hello: 'ben' }, userId: 'ana' });

    const replyAtAna = eventWithSender(atAna, 'client-wave');
    atBen.trigger('client-wave', { hello: 'ana' });
    assert.deepEqual(await replyAtAna, { data: { hello: 'ana' }, userId: 'ben' });

    await controlEvent('presence-room', [ana, ben]);
    assert.equal(ana.got('presence-room', 'client-wave').length, 1, 'ana got only ben\'s wave');
    assert.equal(ben.got('presence-room', 'client-wave').length, 1, 'ben got only ana\'s wave');
  });

  test('refused on a public channel: pusher:error to the sender, nothing delivered', async (t) => {
    const [ana, ben] = await Promise.all([client(t), client(t)]);
    const lobby = await subscribed(ana.pusher, 'lobby');
    await subscribed(ben.pusher, 'lobby');

    lobby.trigger('client-shout', { text: 'hello all' });
    const error = await nextError(ana);
    assert.match(error.message, /client-shout.*private and presence/);

    await controlEvent('lobby', [ana, ben]);
    assert.equal(ben.got('lobby', 'client-shout').length, 0);
    assert.equal(ana.pusher.connection.state, 'connected', 'a refused client event does not close the connection');
  });

  test('refused on an encrypted channel: pusher:error to the sender, nothing delivered', async (t) => {
    const [ana, ben] = await Promise.all([client(t), client(t)]);
    const vault = await subscribed(ana.pusher, 'private-encrypted-vault');
    await subscribed(ben.pusher, 'private-encrypted-vault');

    // pusher-js itself refuses; a client that sends the frame anyway meets the server's refusal.
    assert.throws(() => vault.trigger('client-peek', {}), /not currently supported for encrypted channels/);
    ana.pusher.send_event('client-peek', { plain: 'text' }, 'private-encrypted-vault');
    const error = await nextError(ana);
    assert.match(error.message, /client-peek.*encrypted/);

    await controlEvent('private-encrypted-vault', [ana, ben]);
    assert.equal(ben.got('private-encrypted-vault', 'client-peek').length, 0);
  });

  test('refused when the sender is not subscribed (never, or no longer)', async (t) => {
    const [ana, ben] = await Promise.all([client(t), client(t)]);
    await subscribed(ben.pusher, 'private-desk');

    ana.pusher.send_event('client-sneak', { n: 1 }, 'private-desk');
    assert.match((await nextError(ana)).message, /client-sneak.*not subscribed to private-desk/);

    await subscribed(ana.pusher, 'private-desk');
    ana.pusher.unsubscribe('private-desk');
    ana.pusher.send_event('client-sneak', { n: 2 }, 'private-desk');
    assert.match((await nextError(ana)).message, /not subscribed to private-desk/);

    await controlEvent('private-desk', [ben]);
    assert.equal(ben.got('private-desk', 'client-sneak').length, 0);
  });

  test('refused when the app has client events disabled', async (t) => {
    const [ana, ben] = await Promise.all([client(t, { app: 'quiet' }), client(t, { app: 'quiet' })]);
    const chat = await subscribed(ana.pusher, 'private-chat');
    await subscribed(ben.pusher, 'private-chat');

    chat.trigger('client-typing', {});
    assert.match((await nextError(ana)).message, /client events are disabled/);

    await controlEvent('private-chat', [ben], quietSdk);
    assert.equal(ben.got('private-chat', 'client-typing').length, 0);
  });

  test(`more than ${RATE_LIMIT} client events in a second: 4301 for each excess one, which is not delivered`, async (t) => {
    const [ana, ben] = await Promise.all([client(t), client(t)]);
    const burst = await subscribed(ana.pusher, 'private-burst');
    await subscribed(ben.pusher, 'private-burst');

    const sent = RATE_LIMIT * 3;
    for (let n = 0; n < sent; n++) burst.trigger('client-tick', { n });
    await waitFor(() => ana.errors.length >= sent - RATE_LIMIT, `${sent - RATE_LIMIT} rate-limit errors`);
    for (const error of ana.errors) {
      assert.equal(error.code, 4301);
      assert.match(error.message, /client-tick/);
    }

    await controlEvent('private-burst', [ana, ben]);
    const delivered = ben.got('private-burst', 'client-tick').map((m) => (m.data as { n: number }).n);
    assert.deepEqual(delivered, [...Array(RATE_LIMIT).keys()], 'the first events within the budget, in order');
    assert.equal(ana.errors.length, sent - RATE_LIMIT, 'one error for each refused event');
    assert.equal(ana.pusher.connection.state, 'connected', 'rate limiting does not close the connection');
  });

  test('data over the payload limit: pusher:error, not delivered; an event within it still is', async (t) => {
    const [ana, ben] = await Promise.all([client(t), client(t)]);
    const parcel = await subscribed(ana.pusher, 'private-parcel');
    const atBen = await subscribed(ben.pusher, 'private-parcel');

    parcel.trigger('client-parcel', { blob: 'x'.repeat(MAX_PAYLOAD_BYTES) });
    const error = await nextError(ana);
    assert.match(error.message, new RegExp(`client-parcel.*larger than ${MAX_PAYLOAD_BYTES} bytes`));

    // The control here takes the very same path: the same sender, channel and event name.
    const small = nextEvent<{ blob: string }>(atBen, 'client-parcel', 'the small parcel at ben');
    parcel.trigger('client-parcel', { blob: 'x' });
    assert.deepEqual(await small, { blob: 'x' });
    assert.equal(ben.got('private-parcel', 'client-parcel').length, 1, 'only the small parcel arrived');
  });
});
