// The signed HTTP API driven by the real `pusher` SDK (and by requests signed
// with the SDK's own signing code where the SDK refuses to send a bad request
// itself), with real pusher-js clients proving what is and is not delivered.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import type Pusher from 'pusher';
import { ProtocolLimits } from '../../src/protocol/limits.js';
import { APP, startHerald, type RunningHerald } from '../helpers/herald.js';
import { rid, uniq } from '../helpers/ids.js';
import { outcome } from '../helpers/sdk.js';
import type { PusherJS } from '../helpers/pusher-js.js';
import { connected, nextEvent, subscribed, waitFor, withTimeout } from '../helpers/wait.js';

const SMALL_APP = { id: 'small-app', key: 'small-key', secret: 'small-secret', maxEventPayloadBytes: 100 } as const;
const DISABLED_APP = { id: 'off-app', key: 'off-key', secret: 'off-secret', enabled: false } as const;
const MAX_REQUEST_BODY_BYTES = 64 * 1024;

let h: RunningHerald;
before(async () => {
  h = await startHerald({
    apps: [{ ...APP, clientEvents: true, userAuthentication: true }, SMALL_APP, DISABLED_APP],
    overrides: { maxRequestBodyBytes: MAX_REQUEST_BODY_BYTES },
  });
});
after(() => h.close());

interface Message {
  event: string;
  channel?: string;
  data?: unknown;
}

interface RecordingClient {
  readonly pusher: PusherJS;
  /** Every message pusher-js decoded, in order. */
  readonly messages: Message[];
}

/**
 * A pusher-js client whose private/presence subscriptions and sign-in are
 * signed by the SDK, as an app's auth endpoint would, and which records what
 * it receives.
 */
function recordingClient(
  t: TestContext,
  options: { presence?: Pusher.PresenceChannelData; user?: Pusher.UserChannelData } = {},
): RecordingClient {
  const sdk = h.sdk();
  const pusher = h.client(t, {
    channelAuthorization: {
      customHandler: ({ socketId, channelName }, callback) => {
        const data = channelName.startsWith('presence-') ? options.presence : undefined;
        callback(null, sdk.authorizeChannel(socketId, channelName, data));
      },
    },
    userAuthentication: {
      customHandler: ({ socketId }, callback) => {
        if (!options.user) return callback(new Error('this client has no user'), null);
        callback(null, sdk.authenticateUser(socketId, options.user));
      },
    },
  });
  const messages: Message[] = [];
  pusher.connection.bind('message', (m: Message) => messages.push(m));
  return { pusher, messages };
}

const received = (c: RecordingClient, channel: string, event: string) =>
  c.messages.filter((m) => m.channel === channel && m.event === event);

/**
 * Proves a "not delivered" claim: a control event sent after the one under
 * test reaches `receiver`, and a connection's frames arrive in order, so
 * anything sent before it would have arrived first.
 */
async function controlEventArrives(receiver: RecordingClient, channel: string): Promise<void> {
  const marker = rid();
  await h.sdk().trigger(channel, 'control', { marker });
  await waitFor(
    () => receiver.messages.some((m) => m.channel === channel && m.event === 'control' && (m.data as { marker?: string })?.marker === marker),
    `the control event on ${channel}`,
  );
}

async function signedIn(c: RecordingClient): Promise<void> {
  await connected(c.pusher);
  c.pusher.signin();
  await withTimeout(c.pusher.user.signinDonePromise, 'pusher:signin_success');
  await waitFor(() => c.pusher.user.serverToUserChannel?.subscribed, 'the server-to-user channel subscription');
}

/** Waits until the server has closed the client's connection. */
function dropped(c: RecordingClient): Promise<void> {
  if (c.pusher.connection.state !== 'connected') return Promise.resolve();
  return withTimeout(
    new Promise<void>((resolve) => {
      c.pusher.connection.bind('state_change', ({ current }: { current: string }) => {
        if (current !== 'connected') resolve();
      });
    }),
    'the server to close the connection',
  );
}

interface ApiAnswer {
  status: number;
  contentType: string | null;
  body: unknown;
}

/** Parses an answer; a JSON body is required of every HTTP API answer. */
async function answer(res: Response): Promise<ApiAnswer> {
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`expected a JSON body, got ${res.status} ${text.slice(0, 200)}`);
  }
  return { status: res.status, contentType: res.headers.get('content-type'), body };
}

/**
 * A request signed by the SDK's own signing code, for bodies the SDK will not
 * build itself (too many channels, invalid names, missing fields).
 */
async function signedRequest(
  method: 'GET' | 'POST',
  path: string,
  options: { body?: string; params?: Record<string, string>; sdk?: Pusher; appId?: string; clockSkewSeconds?: number } = {},
): Promise<ApiAnswer> {
  const sdk = options.sdk ?? h.sdk();
  const fullPath = `/apps/${options.appId ?? APP.id}${path}`;
  const realNow = Date.now;
  let query: string;
  // The SDK takes its timestamp from Date.now(); shifting it makes a request
  // correctly signed by the SDK but stale.
  Date.now = () => realNow() + (options.clockSkewSeconds ?? 0) * 1000;
  try {
    query = sdk.createSignedQueryString({ method, path: fullPath, body: options.body, params: options.params });
  } finally {
    Date.now = realNow;
  }
  const res = await fetch(`${h.url}${fullPath}?${query}`, {
    method,
    body: options.body,
    headers: options.body === undefined ? {} : { 'content-type': 'application/json' },
    signal: AbortSignal.timeout(3000),
  });
  return answer(res);
}

/** The HTTP error an SDK call must fail with. */
async function sdkError(request: Parameters<typeof outcome>[0]): Promise<{ status: number; body: unknown }> {
  const { status, body } = await outcome(request);
  assert.ok(status >= 400, `expected the HTTP API to refuse the request, but it answered ${status}`);
  return { status, body: JSON.parse(body || 'null') };
}

/** Asserts a JSON `{error}` whose message names the problem. */
function assertError(got: { status: number; body: unknown; contentType?: string | null }, status: number, message: RegExp): void {
  assert.equal(got.status, status, `expected ${status}, got ${got.status} ${JSON.stringify(got.body)}`);
  if (got.contentType !== undefined) assert.match(got.contentType ?? '', /^application\/json/);
  const error = (got.body as { error?: unknown }).error;
  assert.equal(typeof error, 'string', `body must be {error: string}, got ${JSON.stringify(got.body)}`);
  assert.match(error as string, message);
}

describe('POST /events', () => {
  test('delivers to the subscribers of one channel and answers a JSON object', async (t) => {
    const client = recordingClient(t);
    const name = uniq('orders');
    const channel = await subscribed(client.pusher, name);
    const got = nextEvent(channel, 'order.created');
    const res = await h.sdk().trigger(name, 'order.created', { id: 42 });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {});
    assert.deepEqual(await got, { id: 42 });
  });

  test('delivers to every channel of a multi-channel event, once each', async (t) => {
    const first = recordingClient(t);
    const second = recordingClient(t);
    const [a, b, c] = [uniq('multi'), uniq('multi'), uniq('multi')];
    await subscribed(first.pusher, a);
    await subscribed(first.pusher, b);
    await subscribed(second.pusher, c);
    await h.sdk().trigger([a, b, c], 'fanout', { n: 1 });
    await controlEventArrives(first, b);
    await controlEventArrives(second, c);
    assert.equal(received(first, a, 'fanout').length, 1);
    assert.equal(received(first, b, 'fanout').length, 1);
    assert.equal(received(second, c, 'fanout').length, 1);
    assert.deepEqual(received(second, c, 'fanout')[0]?.data, { n: 1 });
  });

  test('socket_id leaves out that connection and only that one', async (t) => {
    const excluded = recordingClient(t);
    const other = recordingClient(t);
    const name = uniq('except');
    await subscribed(excluded.pusher, name);
    const otherChannel = await subscribed(other.pusher, name);
    const otherGot = nextEvent(otherChannel, 'echoed');
    await h.sdk().trigger(name, 'echoed', { a: 1 }, { socket_id: excluded.pusher.connection.socket_id });
    assert.deepEqual(await otherGot, { a: 1 });
    await controlEventArrives(excluded, name);
    assert.equal(received(excluded, name, 'echoed').length, 0, 'the excluded socket must not get the event');
  });

  test('info=subscription_count,user_count reports each channel, user_count for presence only', async (t) => {
    const presence = uniq('presence-room');
    const plain = uniq('plain');
    // The same user on two sockets counts once among users, twice among subscriptions.
    for (let i = 0; i < 2; i++) {
      const c = recordingClient(t, { presence: { user_id: 'ada', user_info: { n: i } } });
      await subscribed(c.pusher, presence);
      await subscribed(c.pusher, plain);
    }
    const res = await h.sdk().trigger([presence, plain], 'counted', {}, { info: 'subscription_count,user_count' });
    assert.deepEqual(await res.json(), {
      channels: {
        [presence]: { subscription_count: 2, user_count: 1 },
        [plain]: { subscription_count: 2 },
      },
    });
  });

  test("a single 'channel' is accepted in place of 'channels'", async (t) => {
    const name = uniq('single');
    const channel = await subscribed(recordingClient(t).pusher, name);
    const got = nextEvent(channel, 'one');
    const res = await signedRequest('POST', '/events', { body: JSON.stringify({ name: 'one', channel: name, data: '"x"' }) });
    assert.equal(res.status, 200);
    assert.equal(await got, 'x');
  });

  test('an unknown info attribute is refused', async () => {
    const got = await sdkError(h.sdk().trigger(uniq('x'), 'e', {}, { info: 'members' }));
    assertError(got, 400, /info attribute 'members'/);
  });

  test('more than 100 channels is refused with 400', async () => {
    const channels = Array.from({ length: 101 }, (_, i) => `c${i}`);
    const got = await signedRequest('POST', '/events', { body: JSON.stringify({ name: 'e', channels, data: '{}' }) });
    assertError(got, 400, /at most 100 channels/);
    const ok = await signedRequest('POST', '/events', { body: JSON.stringify({ name: 'e', channels: channels.slice(0, 100), data: '{}' }) });
    assert.equal(ok.status, 200, 'exactly 100 channels is allowed');
  });

  test('an invalid channel name is refused with 400 naming it', async () => {
    const got = await signedRequest('POST', '/events', { body: JSON.stringify({ name: 'e', channels: ['has space'], data: '{}' }) });
    assertError(got, 400, /channel name 'has space'/);
    const tooLong = 'a'.repeat(ProtocolLimits.channelNameMaxLength + 1);
    const long = await signedRequest('POST', '/events', { body: JSON.stringify({ name: 'e', channels: [tooLong], data: '{}' }) });
    assertError(long, 400, new RegExp(`longer than ${ProtocolLimits.channelNameMaxLength}`));
    const longest = 'a'.repeat(ProtocolLimits.channelNameMaxLength);
    assert.equal((await signedRequest('POST', '/events', { body: JSON.stringify({ name: 'e', channels: [longest], data: '{}' }) })).status, 200);
  });

  test('a missing name, channels or data is refused with 400', async () => {
    assertError(await signedRequest('POST', '/events', { body: JSON.stringify({ channels: ['a'], data: '{}' }) }), 400, /event name/);
    assertError(await signedRequest('POST', '/events', { body: JSON.stringify({ name: 'e', channels: ['a'] }) }), 400, /'data' is missing/);
    assertError(await signedRequest('POST', '/events', { body: JSON.stringify({ name: 'e', data: '{}' }) }), 400, /channels/);
    assertError(await signedRequest('POST', '/events', { body: JSON.stringify({ name: 'e', channels: [], data: '{}' }) }), 400, /non-empty/);
  });

  test('a malformed socket_id is refused with 400', async () => {
    const got = await signedRequest('POST', '/events', {
      body: JSON.stringify({ name: 'e', channels: ['a'], data: '{}', socket_id: 'not-a-socket' }),
    });
    assertError(got, 400, /socket_id/);
  });

  test('data over 10 KB is refused with 413 and not delivered; 10 KB exactly is delivered', async (t) => {
    const client = recordingClient(t);
    const name = uniq('big');
    const channel = await subscribed(client.pusher, name);
    const got = await sdkError(h.sdk().trigger(name, 'too-big', 'x'.repeat(10 * 1024 + 1)));
    assertError(got, 413, /10241 bytes.*10240/);
    const exactly = 'ü'.repeat(1024) + 'y'.repeat(8 * 1024);
    assert.equal(Buffer.byteLength(exactly), 10 * 1024);
    const delivered = nextEvent(channel, 'ten-kb');
    assert.equal((await h.sdk().trigger(name, 'ten-kb', exactly)).status, 200);
    assert.equal(await delivered, exactly);
    await controlEventArrives(client, name);
    assert.equal(received(client, name, 'too-big').length, 0, 'a refused event must not be delivered');
  });

  test("an app's own maxEventPayloadBytes applies to that app only", async (t) => {
    const small = h.sdk({ appId: SMALL_APP.id, key: SMALL_APP.key, secret: SMALL_APP.secret });
    const client = h.client(t, {}, SMALL_APP.key);
    const name = uniq('small');
    const channel = await subscribed(client, name);
    const got = await sdkError(small.trigger(name, 'too-big', 'x'.repeat(101)));
    assertError(got, 413, /limit of 100/);
    const delivered = nextEvent(channel, 'fits');
    assert.equal((await small.trigger(name, 'fits', 'x'.repeat(100))).status, 200);
    assert.equal(await delivered, 'x'.repeat(100));
    // The default app keeps the default limit.
    assert.equal((await h.sdk().trigger(name, 'other-app', 'x'.repeat(101))).status, 200);
  });

  test('a body over the request limit is refused with 413, declared or streamed', async () => {
    const big = JSON.stringify({ name: 'e', channels: ['a'], data: 'x'.repeat(MAX_REQUEST_BODY_BYTES) });
    assertError(await signedRequest('POST', '/events', { body: big }), 413, new RegExp(`larger than ${MAX_REQUEST_BODY_BYTES} bytes`));

    // Chunked, with no content-length to refuse it up front.
    const query = h.sdk().createSignedQueryString({ method: 'POST', path: `/apps/${APP.id}/events`, body: big });
    const bytes = Buffer.from(big);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 16 * 1024) controller.enqueue(bytes.subarray(i, i + 16 * 1024));
        controller.close();
      },
    });
    const res = await fetch(`${h.url}/apps/${APP.id}/events?${query}`, {
      method: 'POST',
      body: stream,
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
      signal: AbortSignal.timeout(3000),
    } as RequestInit);
    assertError(await answer(res), 413, /larger than/);
  });

  test('a body that is not JSON, or not an object, is refused with 400', async () => {
    assertError(await signedRequest('POST', '/events', { body: 'name=e&channel=a' }), 400, /not valid JSON/);
    assertError(await signedRequest('POST', '/events', { body: '["e"]' }), 400, /JSON object/);
  });
});

describe('POST /batch_events', () => {
  test('delivers every event of the batch and answers {batch:[...]} with info', async (t) => {
    const client = recordingClient(t, { presence: { user_id: 'grace' } });
    const presence = uniq('presence-batch');
    const plain = uniq('batch');
    await subscribed(client.pusher, presence);
    await subscribed(client.pusher, plain);
    const res = await h.sdk().triggerBatch([
      { channel: plain, name: 'first', data: { n: 1 }, info: 'subscription_count' },
      { channel: presence, name: 'second', data: 'two', info: 'user_count,subscription_count' },
      { channel: plain, name: 'third', data: { n: 3 } },
    ]);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      batch: [{ subscription_count: 1 }, { user_count: 1, subscription_count: 1 }, {}],
    });
    await controlEventArrives(client, plain);
    assert.deepEqual(
      client.messages.filter((m) => m.event !== 'control' && (m.channel === plain || m.channel === presence) && !m.event.startsWith('pusher')),
      [
        { event: 'first', channel: plain, data: { n: 1 } },
        { event: 'second', channel: presence, data: 'two' },
        { event: 'third', channel: plain, data: { n: 3 } },
      ],
    );
  });

  test("an event's socket_id leaves out that connection for that event only", async (t) => {
    const excluded = recordingClient(t);
    const other = recordingClient(t);
    const name = uniq('batch-except');
    await subscribed(excluded.pusher, name);
    await subscribed(other.pusher, name);
    const socketId = excluded.pusher.connection.socket_id;
    await h.sdk().triggerBatch([
      { channel: name, name: 'not-for-you', data: {}, socket_id: socketId },
      { channel: name, name: 'for-everyone', data: {} },
    ]);
    await controlEventArrives(excluded, name);
    await controlEventArrives(other, name);
    assert.equal(received(excluded, name, 'not-for-you').length, 0);
    assert.equal(received(excluded, name, 'for-everyone').length, 1);
    assert.equal(received(other, name, 'not-for-you').length, 1);
  });

  test('a batch without info answers an empty object', async () => {
    const res = await h.sdk().triggerBatch([{ channel: uniq('b'), name: 'e', data: {} }]);
    assert.deepEqual(await res.json(), {});
  });

  test('more than 10 events is refused with 400 and none is delivered', async (t) => {
    const client = recordingClient(t);
    const name = uniq('batch-limit');
    await subscribed(client.pusher, name);
    const batch = Array.from({ length: 11 }, (_, i) => ({ channel: name, name: `e${i}`, data: {} }));
    assertError(await sdkError(h.sdk().triggerBatch(batch)), 400, /At most 10 events per batch, got 11/);
    await controlEventArrives(client, name);
    assert.equal(client.messages.filter((m) => m.channel === name && m.event.startsWith('e')).length, 0);
  });

  test('one invalid event refuses the whole batch, naming its index', async (t) => {
    const client = recordingClient(t);
    const name = uniq('batch-bad');
    await subscribed(client.pusher, name);
    const got = await signedRequest('POST', '/batch_events', {
      body: JSON.stringify({ batch: [{ channel: name, name: 'ok', data: '{}' }, { channel: 'bad name', name: 'e', data: '{}' }] }),
    });
    assertError(got, 400, /batch\[1\]/);
    assertError(await signedRequest('POST', '/batch_events', { body: JSON.stringify({ events: [] }) }), 400, /batch/);
    await controlEventArrives(client, name);
    assert.equal(received(client, name, 'ok').length, 0);
  });
});

describe('GET /channels', () => {
  test('lists occupied channels, filtered by prefix, with subscription_count on request', async (t) => {
    const prefix = uniq('list');
    const [a, b] = [`${prefix}-a`, `${prefix}-b`];
    const one = recordingClient(t);
    const two = recordingClient(t);
    await subscribed(one.pusher, a);
    await subscribed(one.pusher, b);
    await subscribed(two.pusher, b);
    await subscribed(two.pusher, uniq('elsewhere'));

    const plain = await (await h.sdk().get({ path: '/channels', params: { filter_by_prefix: prefix } })).json();
    assert.deepEqual(plain, { channels: { [a]: {}, [b]: {} } });
    const counted = await (await h.sdk().get({ path: '/channels', params: { filter_by_prefix: prefix, info: 'subscription_count' } })).json();
    assert.deepEqual(counted, { channels: { [a]: { subscription_count: 1 }, [b]: { subscription_count: 2 } } });

    const all = (await (await h.sdk().get({ path: '/channels' })).json()) as { channels: Record<string, unknown> };
    assert.ok(a in all.channels && b in all.channels, 'without a prefix every occupied channel is listed');
    assert.ok(!Object.keys(all.channels).some((c) => c.startsWith('#')), 'internal channels are not listed');
  });

  test('user_count is allowed only with filter_by_prefix=presence-', async (t) => {
    const room = uniq('presence-list');
    for (const user of ['u1', 'u2', 'u2']) {
      await subscribed(recordingClient(t, { presence: { user_id: user } }).pusher, room);
    }
    const res = await h.sdk().get({ path: '/channels', params: { filter_by_prefix: room, info: 'user_count' } });
    assert.deepEqual(await res.json(), { channels: { [room]: { user_count: 2 } } });
    assertError(await sdkError(h.sdk().get({ path: '/channels', params: { info: 'user_count' } })), 400, /user_count.*presence-/);
    assertError(
      await sdkError(h.sdk().get({ path: '/channels', params: { filter_by_prefix: 'private-', info: 'user_count' } })),
      400,
      /user_count.*presence-/,
    );
  });
});

describe('GET /channels/{name}', () => {
  test('reports occupied and subscription_count', async (t) => {
    const name = uniq('one');
    const sdk = h.sdk();
    assert.deepEqual(await (await sdk.get({ path: `/channels/${name}` })).json(), { occupied: false });
    assert.deepEqual(await (await sdk.get({ path: `/channels/${name}`, params: { info: 'subscription_count' } })).json(), {
      occupied: false,
      subscription_count: 0,
    });
    await subscribed(recordingClient(t).pusher, name);
    await subscribed(recordingClient(t).pusher, name);
    assert.deepEqual(await (await sdk.get({ path: `/channels/${name}`, params: { info: 'subscription_count' } })).json(), {
      occupied: true,
      subscription_count: 2,
    });
  });

  test('becomes unoccupied when the last subscriber unsubscribes', async (t) => {
    const name = uniq('leaving');
    const client = recordingClient(t);
    await subscribed(client.pusher, name);
    const sdk = h.sdk();
    assert.deepEqual(await (await sdk.get({ path: `/channels/${name}` })).json(), { occupied: true });
    client.pusher.unsubscribe(name);
    await waitFor(async () => {
      const body = (await (await sdk.get({ path: `/channels/${name}` })).json()) as { occupied: boolean };
      return !body.occupied;
    }, 'the channel to become unoccupied');
  });

  test('user_count counts distinct presence users and is refused for other channels', async (t) => {
    const room = uniq('presence-info');
    await subscribed(recordingClient(t, { presence: { user_id: 'ada' } }).pusher, room);
    await subscribed(recordingClient(t, { presence: { user_id: 'ada' } }).pusher, room);
    await subscribed(recordingClient(t, { presence: { user_id: 'bob' } }).pusher, room);
    const res = await h.sdk().get({ path: `/channels/${room}`, params: { info: 'user_count,subscription_count' } });
    assert.deepEqual(await res.json(), { occupied: true, user_count: 2, subscription_count: 3 });
    const got = await sdkError(h.sdk().get({ path: `/channels/${uniq('public')}`, params: { info: 'user_count' } }));
    assertError(got, 400, /user_count is only available for presence channels/);
  });

  test('an invalid channel name is refused with 400', async () => {
    const got = await signedRequest('GET', `/channels/${encodeURIComponent('no spaces')}`);
    assertError(got, 400, /channel name/);
  });
});

describe('GET /channels/{name}/users', () => {
  test('lists each presence user once', async (t) => {
    const room = uniq('presence-users');
    for (const user of ['ada', 'bob', 'ada']) {
      await subscribed(recordingClient(t, { presence: { user_id: user, user_info: { name: user } } }).pusher, room);
    }
    const body = (await (await h.sdk().get({ path: `/channels/${room}/users` })).json()) as { users: Array<{ id: string }> };
    assert.deepEqual(
      body.users.map((u) => u.id).sort(),
      ['ada', 'bob'],
    );
    assert.deepEqual(await (await h.sdk().get({ path: `/channels/${uniq('presence-empty')}/users` })).json(), { users: [] });
  });

  test('is refused with 400 for a channel that is not a presence channel', async () => {
    assertError(await sdkError(h.sdk().get({ path: `/channels/${uniq('private-x')}/users` })), 400, /presence channels/);
    assertError(await sdkError(h.sdk().get({ path: `/channels/${uniq('public')}/users` })), 400, /presence channels/);
  });
});

describe('users', () => {
  test('sendToUser reaches every connection of that user and no one else', async (t) => {
    const id = uniq('ada');
    const first = recordingClient(t, { user: { id } });
    const second = recordingClient(t, { user: { id } });
    const stranger = recordingClient(t, { user: { id: uniq('eve') } });
    await Promise.all([first, second, stranger].map(signedIn));
    const gotFirst = nextEvent(first.pusher.user, 'notice');
    const gotSecond = nextEvent(second.pusher.user, 'notice');
    assert.equal((await h.sdk().sendToUser(id, 'notice', { hello: id })).status, 200);
    assert.deepEqual(await gotFirst, { hello: id });
    assert.deepEqual(await gotSecond, { hello: id });
    // Control: a later event to the stranger arrives, so the first one would have too.
    const strangerControl = nextEvent(stranger.pusher.user, 'control');
    await h.sdk().sendToUser(stranger.pusher.user.user_data.id, 'control', {});
    await strangerControl;
    assert.equal(stranger.messages.filter((m) => m.event === 'notice').length, 0);
  });

  test("terminate_connections closes that user's connections and not others'", async (t) => {
    const id = uniq('mallory');
    const targets = [recordingClient(t, { user: { id } }), recordingClient(t, { user: { id } })];
    const bystander = recordingClient(t, { user: { id: uniq('trent') } });
    const anonymous = recordingClient(t);
    await Promise.all([...targets, bystander].map(signedIn));
    await connected(anonymous.pusher);

    const closed = targets.map(dropped);
    const res = await h.sdk().terminateUserConnections(id);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {});
    await Promise.all(closed);

    // The others are still connected and served.
    const name = uniq('after-terminate');
    await subscribed(bystander.pusher, name);
    await subscribed(anonymous.pusher, name);
    await controlEventArrives(bystander, name);
    await controlEventArrives(anonymous, name);
    assert.equal(bystander.pusher.connection.state, 'connected');
    const toBystander = nextEvent(bystander.pusher.user, 'still-here');
    await h.sdk().sendToUser(bystander.pusher.user.user_data.id, 'still-here', {});
    await toBystander;
  });

  test('terminating a user with no connections answers 200', async () => {
    const res = await h.sdk().terminateUserConnections(uniq('nobody'));
    assert.equal(res.status, 200);
  });
});

describe('authentication and routing', () => {
  test('a wrong secret is refused with 401 and not delivered', async (t) => {
    const client = recordingClient(t);
    const name = uniq('forged');
    await subscribed(client.pusher, name);
    const got = await sdkError(h.sdk({ secret: 'not-the-secret' }).trigger(name, 'forged', {}));
    assertError(got, 401, /Invalid signature/);
    await controlEventArrives(client, name);
    assert.equal(received(client, name, 'forged').length, 0);
  });

  test("a wrong auth_key is refused with 401, even signed with the app's secret", async () => {
    const got = await sdkError(h.sdk({ key: 'someone-elses-key' }).trigger(uniq('x'), 'e', {}));
    assertError(got, 401, /auth_key/);
    // Another app's key and secret do not open this app either.
    const crossed = await sdkError(h.sdk({ key: SMALL_APP.key, secret: SMALL_APP.secret }).trigger(uniq('x'), 'e', {}));
    assertError(crossed, 401, /auth_key/);
  });

  test('a stale auth_timestamp is refused with 401, a fresh one accepted', async (t) => {
    const client = recordingClient(t);
    const name = uniq('stale');
    await subscribed(client.pusher, name);
    const body = (event: string) => JSON.stringify({ name: event, channels: [name], data: '{}' });
    assert.equal((await signedRequest('POST', '/events', { body: body('fresh') })).status, 200);
    assertError(await signedRequest('POST', '/events', { body: body('old'), clockSkewSeconds: -3600 }), 401, /[Tt]imestamp/);
    assertError(await signedRequest('POST', '/events', { body: body('future'), clockSkewSeconds: 3600 }), 401, /[Tt]imestamp/);
    await controlEventArrives(client, name);
    assert.deepEqual(
      client.messages.filter((m) => m.channel === name && ['fresh', 'old', 'future'].includes(m.event)).map((m) => m.event),
      ['fresh'],
    );
  });

  test('a body altered after signing is refused with 401', async () => {
    const path = `/apps/${APP.id}/events`;
    const signedBody = JSON.stringify({ name: 'e', channels: ['a'], data: '"original"' });
    const query = h.sdk().createSignedQueryString({ method: 'POST', path, body: signedBody });
    const res = await fetch(`${h.url}${path}?${query}`, {
      method: 'POST',
      body: signedBody.replace('original', 'tampered'),
      headers: { 'content-type': 'application/json' },
      signal: AbortSignal.timeout(3000),
    });
    assertError(await answer(res), 401, /body_md5/);
  });

  test('a query parameter added after signing is refused with 401', async () => {
    const path = `/apps/${APP.id}/channels`;
    const query = h.sdk().createSignedQueryString({ method: 'GET', path });
    const res = await fetch(`${h.url}${path}?${query}&filter_by_prefix=presence-`, { signal: AbortSignal.timeout(3000) });
    assertError(await answer(res), 401, /Invalid signature/);
  });

  test('an unsigned request is refused with 401', async () => {
    const res = await fetch(`${h.url}/apps/${APP.id}/events`, {
      method: 'POST',
      body: JSON.stringify({ name: 'e', channels: ['a'], data: '{}' }),
      headers: { 'content-type': 'application/json' },
      signal: AbortSignal.timeout(3000),
    });
    assertError(await answer(res), 401, /auth_signature/);
    const getRes = await fetch(`${h.url}/apps/${APP.id}/channels?auth_key=${APP.key}&auth_timestamp=${Math.floor(Date.now() / 1000)}`, {
      signal: AbortSignal.timeout(3000),
    });
    assertError(await answer(getRes), 401, /auth_signature/);
  });

  test('an unknown app is 404 naming it', async () => {
    const got = await sdkError(h.sdk({ appId: 'no-such-app' }).trigger(uniq('x'), 'e', {}));
    assertError(got, 404, /no-such-app/);
  });

  test('a disabled app is 403', async () => {
    const off = h.sdk({ appId: DISABLED_APP.id, key: DISABLED_APP.key, secret: DISABLED_APP.secret });
    assertError(await sdkError(off.trigger(uniq('x'), 'e', {})), 403, /disabled/i);
    assertError(await sdkError(off.get({ path: '/channels' })), 403, /disabled/i);
  });

  test('an unknown route is 404 with a JSON error', async () => {
    assertError(await answer(await fetch(`${h.url}/no/such/route`, { signal: AbortSignal.timeout(3000) })), 404, /Not found/);
    assertError(await sdkError(h.sdk().get({ path: '/no-such-resource' })), 404, /Not found/);
    const wrongMethod = await fetch(`${h.url}/apps/${APP.id}/events`, { signal: AbortSignal.timeout(3000) });
    assert.ok([404, 405].includes(wrongMethod.status), `GET on a POST route: ${wrongMethod.status}`);
  });
});
