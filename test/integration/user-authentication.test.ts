// User authentication: pusher-js `signin()`, events sent to a user on every
// socket it has, the watchlist's online/offline events, and the app
// terminating a user's connections.
import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import type Pusher from 'pusher';
import { APP, establishedRawSocket, serverClosed, signedClient, startHerald, type RunningHerald } from '../helpers/herald.js';
import { rid } from '../helpers/ids.js';
import type { PusherJS } from '../helpers/pusher-js.js';
import { frameData } from '../helpers/raw-socket.js';
import { connected, nextEvent, recordMessages, subscribed, waitFor, waitForMessage, withTimeout, type ReceivedMessage } from '../helpers/wait.js';

let h: RunningHerald;
before(async () => {
  h = await startHerald();
});
after(() => h.close());

interface SignedIn {
  client: PusherJS;
  messages: ReceivedMessage[];
  socketId: string;
}

/** A pusher-js client signed in as `user`, its `#server-to-user-` channel subscribed. */
async function signIn(t: TestContext | null, user: Pusher.UserChannelData, on: RunningHerald = h): Promise<SignedIn> {
  const client = signedClient(on, t, { user });
  const messages = recordMessages(client);
  const socketId = await connected(client);
  client.signin();
  await waitForMessage(messages, (m) => m.event === 'pusher:signin_success', `signin_success for ${user.id}`);
  await waitFor(() => client.user.serverToUserChannel?.subscribed, `the server-to-user channel of ${user.id}`);
  return { client, messages, socketId };
}

interface WatchlistEvent {
  name: string;
  user_ids: string[];
}

test('signin() is answered with pusher:signin_success carrying the user_data', async (t) => {
  const user = { id: `alice-${rid()}`, user_info: { name: 'Alice' } };
  const { client, messages } = await signIn(t, user);
  const success = messages.find((m) => m.event === 'pusher:signin_success');
  assert.deepEqual(JSON.parse((success?.data as { user_data: string }).user_data), user);
  assert.deepEqual(client.user.user_data, user);
  assert.equal(client.user.serverToUserChannel.name, `#server-to-user-${user.id}`);
});

test("sendToUser reaches every socket of that user through pusher.user.bind, and no one else", async (t) => {
  const alice = `alice-${rid()}`;
  const bob = `bob-${rid()}`;
  const a1 = await signIn(t, { id: alice });
  const a2 = await signIn(t, { id: alice });
  const b = await signIn(t, { id: bob });
  const anonymous = h.client(t);
  const anonymousMessages = recordMessages(anonymous);
  await connected(anonymous);
  const control = `control-${rid()}`;
  await subscribed(anonymous, control);

  const got1 = nextEvent<unknown>(a1.client.user, 'invoice.ready');
  const got2 = nextEvent<unknown>(a2.client.user, 'invoice.ready');
  const sdk = h.sdk();
  await sdk.sendToUser(alice, 'invoice.ready', { invoice: 12 });
  assert.deepEqual(await got1, { invoice: 12 });
  assert.deepEqual(await got2, { invoice: 12 });

  const bobControl = nextEvent<unknown>(b.client.user, 'control-event');
  await sdk.sendToUser(bob, 'control-event', { n: 1 });
  await sdk.trigger(control, 'control-event', { n: 1 });
  assert.deepEqual(await bobControl, { n: 1 });
  await waitForMessage(anonymousMessages, (m) => m.channel === control && m.event === 'control-event', 'the control event');
  assert.equal(b.messages.filter((m) => m.event === 'invoice.ready').length, 0, 'bob must not get alice’s event');
  assert.equal(anonymousMessages.filter((m) => m.event === 'invoice.ready').length, 0, 'an anonymous socket must not get it');
});

test("a socket not signed in as the user cannot subscribe to its #server-to-user- channel", async (t) => {
  const alice = `alice-${rid()}`;
  const channel = `#server-to-user-${alice}`;

  const anonymous = await establishedRawSocket(h, t);
  anonymous.send({ event: 'pusher:subscribe', data: { channel } });
  await anonymous.next((f) => f.event === 'pusher:subscription_error' && f.channel === channel, 'subscription_error for an anonymous socket');

  const bob = await establishedRawSocket(h, t);
  bob.send({ event: 'pusher:signin', data: h.sdk().authenticateUser(bob.socketId, { id: `bob-${rid()}` }) });
  await bob.next((f) => f.event === 'pusher:signin_success', 'bob to sign in');
  bob.send({ event: 'pusher:subscribe', data: { channel } });
  await bob.next((f) => f.event === 'pusher:subscription_error' && f.channel === channel, 'subscription_error for another user');

  // Nothing sent to alice reaches either of them.
  await h.sdk().sendToUser(alice, 'secret', { n: 1 });
  await anonymous.pingPong();
  await bob.pingPong();
  assert.equal(anonymous.frames.some((f) => f.event === 'secret'), false);
  assert.equal(bob.frames.some((f) => f.event === 'secret'), false);

  // Signed in as alice, the same frame is accepted.
  const real = await establishedRawSocket(h, t);
  real.send({ event: 'pusher:signin', data: h.sdk().authenticateUser(real.socketId, { id: alice }) });
  await real.next((f) => f.event === 'pusher:signin_success', 'alice to sign in');
  real.send({ event: 'pusher:subscribe', data: { channel } });
  await real.next((f) => f.event === 'pusher_internal:subscription_succeeded' && f.channel === channel, 'alice to subscribe');
});

test('a sign-in with a bad signature gets pusher:error 4009 and the connection is closed', async (t) => {
  const raw = await establishedRawSocket(h, t);
  const forged = h.sdk({ secret: `wrong-${rid()}` }).authenticateUser(raw.socketId, { id: `mallory-${rid()}` });
  raw.send({ event: 'pusher:signin', data: forged });
  const error = await raw.next((f) => f.event === 'pusher:error', 'pusher:error');
  assert.equal(frameData<{ code: number }>(error).code, 4009);
  assert.equal((await withTimeout(raw.closed, 'the server to close the socket')).code, 4009);
  assert.equal(raw.frames.some((f) => f.event === 'pusher:signin_success'), false);

  // user_data tampered with after signing is just as bad.
  const tampered = await establishedRawSocket(h, t);
  const signed = h.sdk().authenticateUser(tampered.socketId, { id: 'guest' });
  tampered.send({ event: 'pusher:signin', data: { auth: signed.auth, user_data: JSON.stringify({ id: 'admin' }) } });
  assert.equal((await withTimeout(tampered.closed, 'the server to close the tampered socket')).code, 4009);

  // pusher-js sees the error and stays disconnected (4009 means: do not reconnect).
  const client = signedClient(h, t, { sdk: h.sdk({ secret: `wrong-${rid()}` }), user: { id: `mallory-${rid()}` } });
  const states = recordStates(client);
  await connected(client);
  const pusherError = nextEvent<{ data: { code: number } }>(client.connection, 'error');
  client.signin();
  assert.equal((await pusherError).data.code, 4009);
  await waitFor(() => client.connection.state === 'disconnected', 'pusher-js to end disconnected');
  assert.ok(!states.slice(states.indexOf('disconnected')).includes('connecting'), `states: ${states.join(' → ')}`);
});

test('an app with user authentication off refuses sign-in', async (t) => {
  const two = await startHerald({
    apps: [
      { id: 'no-users', key: 'no-users-key', secret: 'no-users-secret', userAuthentication: false },
      { ...APP, userAuthentication: true },
    ],
  });
  t.after(() => two.close());
  const raw = await establishedRawSocket(two, t, 'no-users-key');
  raw.send({ event: 'pusher:signin', data: two.sdk().authenticateUser(raw.socketId, { id: 'someone' }) });
  const error = await raw.next((f) => f.event === 'pusher:error', 'pusher:error');
  assert.equal(frameData<{ code: number }>(error).code, 4009);
  assert.equal(raw.frames.some((f) => f.event === 'pusher:signin_success'), false);
  assert.equal((await withTimeout(raw.closed, 'the server to close the socket')).code, 4009);

  // The other app on the same server still signs users in.
  const other = await establishedRawSocket(two, t, APP.key);
  const sdk = two.sdk({ appId: APP.id, key: APP.key, secret: APP.secret });
  other.send({ event: 'pusher:signin', data: sdk.authenticateUser(other.socketId, { id: 'someone' }) });
  await other.next((f) => f.event === 'pusher:signin_success', 'signin_success on the other app');
});

test('the watchlist reports watched users coming online and going offline, once per user', async (t) => {
  const alice = `alice-${rid()}`;
  const bob = `bob-${rid()}`;
  const carol = `carol-${rid()}`;
  const b = await signIn(t, { id: bob });

  // A watcher signing in is told at once who of its list is already online.
  const watcher = signedClient(h, t, { user: { id: `watcher-${rid()}`, watchlist: [alice, bob, carol] } });
  const watcherMessages = recordMessages(watcher);
  const initial = nextEvent<WatchlistEvent>(watcher.user.watchlist, 'online', 'the initial online event');
  await connected(watcher);
  watcher.signin();
  assert.deepEqual((await initial).user_ids, [bob]);
  await waitFor(() => watcher.user.serverToUserChannel?.subscribed, 'the watcher to be signed in');

  const online = nextEvent<WatchlistEvent>(watcher.user.watchlist, 'online', 'alice online');
  const a1 = await signIn(t, { id: alice });
  assert.deepEqual(await online, { name: 'online', user_ids: [alice] });
  const a2 = await signIn(t, { id: alice });

  // Alice's first socket goes: she is still online.
  const firstGone = serverClosed(h, a1.socketId);
  a1.client.disconnect();
  await firstGone;
  await watcherControl(watcher, watcherMessages);
  const watchlistEvents = () => watcherMessages.filter((m) => m.event === 'pusher_internal:watchlist_events').map((m) => m.data);
  assert.deepEqual(watchlistEvents(), [
    { events: [{ name: 'online', user_ids: [bob] }] },
    { events: [{ name: 'online', user_ids: [alice] }] },
  ]);

  const offline = nextEvent<WatchlistEvent>(watcher.user.watchlist, 'offline', 'alice offline');
  a2.client.disconnect();
  assert.deepEqual(await offline, { name: 'offline', user_ids: [alice] });

  const bobOffline = nextEvent<WatchlistEvent>(watcher.user.watchlist, 'offline', 'bob offline');
  b.client.disconnect();
  assert.deepEqual((await bobOffline).user_ids, [bob]);
  await watcherControl(watcher, watcherMessages);
  assert.equal(watchlistEvents().length, 4, JSON.stringify(watchlistEvents()));
});

test("terminateUserConnections closes every socket of that user, and pusher-js does not reconnect", async (t) => {
  const alice = `alice-${rid()}`;
  const bob = `bob-${rid()}`;
  const a1 = await signIn(t, { id: alice });
  const a2 = await signIn(t, { id: alice });
  const b = await signIn(t, { id: bob });
  const states = [recordStates(a1.client), recordStates(a2.client)];
  const closed = [serverClosed(h, a1.socketId), serverClosed(h, a2.socketId)];

  const res = await h.sdk().terminateUserConnections(alice);
  assert.equal(res.status, 200);
  await Promise.all(closed);
  await waitFor(() => a1.client.connection.state === 'disconnected' && a2.client.connection.state === 'disconnected', 'alice’s clients to end disconnected');

  // Bob is untouched; once his control event is back, alice's clients have had their chance to reconnect.
  const bobControl = nextEvent<unknown>(b.client.user, 'control-event');
  await h.sdk().sendToUser(bob, 'control-event', { n: 1 });
  assert.deepEqual(await bobControl, { n: 1 });
  assert.equal(b.client.connection.state, 'connected');
  for (const s of states) assert.ok(!s.slice(s.indexOf('disconnected')).includes('connecting'), `states: ${s.join(' → ')}`);
  for (const m of [a1.messages, a2.messages]) {
    assert.equal((m.find((x) => x.event === 'pusher:error')?.data as { code: number } | undefined)?.code, 4009);
  }
  assert.equal(await h.herald.adapter.users.online(APP.id, [alice]).then((ids) => ids.length), 0);
});

function recordStates(client: PusherJS): string[] {
  const states: string[] = [client.connection.state];
  client.connection.bind('state_change', ({ current }: { current: string }) => states.push(current));
  return states;
}

/** Sends the watcher an event of its own: every watchlist event before it has arrived. */
async function watcherControl(watcher: PusherJS, messages: ReceivedMessage[]): Promise<void> {
  const marker = rid();
  await h.sdk().sendToUser(String((watcher.user.user_data as { id: string }).id), 'control-event', { marker });
  await waitForMessage(messages, (m) => m.event === 'control-event' && (m.data as { marker?: string }).marker === marker, 'the watcher’s control event');
}
