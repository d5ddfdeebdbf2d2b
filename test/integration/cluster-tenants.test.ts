// Apps sharing one Redis never share its state, whatever their ids. Each
// pair of apps below once met in a Redis key, because an app id, a user id
// or a `#server-to-user-` channel (which carries a user id) may contain the
// ':' that joins key parts: one app's user was another's, one app's channel
// was occupied by another's user channel, one app's member hid another's.
import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import Pusher from 'pusher';
import { dropPrefix, redisUnavailable, startNode, uniquePrefix, type InProcessNode } from '../helpers/cluster.js';
import { sdkAuthOptions } from '../helpers/herald.js';
import { localOptions, PusherJS, type PusherJSOptions } from '../helpers/pusher-js.js';
import { nextEvent, subscribed, waitFor } from '../helpers/wait.js';
import { named, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

interface TestApp {
  readonly id: string;
  readonly key: string;
  readonly secret: string;
}

const app = (id: string, n: number): TestApp => ({ id, key: `tenant-key-${n}`, secret: `tenant-secret-${n}` });
// Users: `b:c` of app `a` and `c` of app `a:b` (both once `{prefix}:user:a:b:c`).
const A = app('a', 1);
const AB = app('a:b', 2);
// Channels: app `a`'s user channel `#server-to-user-u:c` and app `a:#server-to-user-u`'s `c` (both once `{prefix}:occupancy:a:#server-to-user-u:c`).
const AU = app('a:#server-to-user-u', 3);
// A user's sockets in a presence channel: `z:presence-y:user:v` in app `t`'s `presence-x`, `v` in app `t:presence-x:user:z`'s `presence-y`.
const T = app('t', 4);
const TX = app('t:presence-x:user:z', 5);

const skip = await redisUnavailable();
const prefix = uniquePrefix('tenants');
let one: InProcessNode;
let two: InProcessNode;
let occupancyHooks: WebhookReceiver;

before(async () => {
  if (skip) return;
  occupancyHooks = await startWebhookReceiver({ key: AU.key, secret: AU.secret });
  const apps = [
    { ...A, userAuthentication: true },
    { ...AB, userAuthentication: true },
    { ...AU, webhooks: [{ url: occupancyHooks.url, events: ['channel_occupied'] }] as never },
    T,
    TX,
  ];
  [one, two] = await Promise.all([startNode(prefix, { apps }), startNode(prefix, { apps })]);
});
after(async () => {
  if (skip) return;
  await Promise.all([one.close(), two.close()]);
  await occupancyHooks.close();
  await dropPrefix(prefix);
});

const sdkOf = (node: InProcessNode, a: TestApp) =>
  new Pusher({ appId: a.id, key: a.key, secret: a.secret, host: '127.0.0.1', port: String(node.port), useTLS: false });

function clientOf(t: TestContext, node: InProcessNode, a: TestApp, auth: Parameters<typeof sdkAuthOptions>[1] = {}): PusherJS {
  const client = new PusherJS(a.key, { ...localOptions(node.port), ...sdkAuthOptions(sdkOf(node, a), auth) } as PusherJSOptions);
  t.after(() => client.disconnect());
  return client;
}

async function signedIn(client: PusherJS): Promise<void> {
  client.signin();
  await waitFor(() => client.user.serverToUserChannel?.subscribed, 'the sign-in (its server-to-user channel subscribed)');
}

interface WatchlistEvent {
  readonly name: string;
  readonly user_ids: string[];
}

test("one app's signed-in user is not another app's", { skip: skip ?? false }, async (t) => {
  await signedIn(clientOf(t, one, A, { user: { id: 'b:c' } }));

  const watcher = clientOf(t, two, AB, { user: { id: 'w', watchlist: ['c'] } });
  const told: WatchlistEvent[] = [];
  watcher.user.watchlist.bind('online', (e: WatchlistEvent) => told.push(e));
  // The initial online list is sent before the server-to-user subscription is answered: had `c` of app `a:b` seemed online, it would be here.
  await signedIn(watcher);
  assert.deepEqual(told, [], 'c of app a:b is not online: only b:c of app a is');

  const online = nextEvent<WatchlistEvent>(watcher.user.watchlist, 'online', 'c of app a:b coming online');
  await signedIn(clientOf(t, one, AB, { user: { id: 'c' } }));
  assert.deepEqual(await online, { name: 'online', user_ids: ['c'] });
  assert.deepEqual(told, [{ name: 'online', user_ids: ['c'] }]);
});

test("one app's user channel does not occupy another app's channel", { skip: skip ?? false }, async (t) => {
  await signedIn(clientOf(t, one, A, { user: { id: 'u:c' } }));
  await subscribed(clientOf(t, two, AU), 'c');
  await waitFor(() => named(occupancyHooks.events, 'channel_occupied', 'c').length === 1, 'channel_occupied for c of app a:#server-to-user-u', 5000);
});

test("one app's presence member does not hide another app's", { skip: skip ?? false }, async (t) => {
  await subscribed(clientOf(t, one, T, { presence: { user_id: 'z:presence-y:user:v' } }), 'presence-x');
  const watching = await subscribed(clientOf(t, two, TX, { presence: { user_id: 'w' } }), 'presence-y');

  const added = nextEvent<{ id: string }>(watching, 'pusher:member_added', 'v joining presence-y of app t:presence-x:user:z');
  const v = clientOf(t, one, TX, { presence: { user_id: 'v' } });
  await subscribed(v, 'presence-y');
  assert.equal((await added).id, 'v');

  const removed = nextEvent<{ id: string }>(watching, 'pusher:member_removed', 'v leaving');
  v.unsubscribe('presence-y');
  assert.equal((await removed).id, 'v');
  const members: string[] = [];
  (watching as unknown as { members: { each(cb: (m: { id: string }) => void): void } }).members.each((m) => members.push(m.id));
  assert.deepEqual(members, ['w']);
});

test('two apps whose ids differ by a ":" keep their own cache and presence in the same channel names', { skip: skip ?? false }, async (t) => {
  await sdkOf(one, A).trigger('cache-c', 'price', { of: 'a' });
  await sdkOf(two, AB).trigger('cache-c', 'price', { of: 'a:b' });
  for (const [node, a, of] of [[two, A, 'a'], [one, AB, 'a:b']] as const) {
    const client = clientOf(t, node, a);
    const price = nextEvent<{ of: string }>(client.subscribe('cache-c'), 'price', `the cached price of app ${a.id}`);
    assert.deepEqual(await price, { of });
  }

  await subscribed(clientOf(t, one, A, { presence: { user_id: 'ann' } }), 'presence-b');
  const onlyBen = await subscribed(clientOf(t, two, AB, { presence: { user_id: 'ben' } }), 'presence-b');
  assert.equal((onlyBen as unknown as { members: { count: number } }).members.count, 1, 'ann is in app a, not in app a:b');
  const users = await sdkOf(one, AB).get({ path: '/channels/presence-b/users' });
  assert.deepEqual(await users.json(), { users: [{ id: 'ben' }] });
});
