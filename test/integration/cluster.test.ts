// Several Herald nodes over one Redis act as one server: real pusher-js
// clients on different nodes, the pusher SDK triggering through another.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { RedisKeys } from '../../src/adapter/redis/keys.js';
import { apiGet, dropPrefix, redisUnavailable, startNode, testRedis, uniquePrefix, type InProcessNode } from '../helpers/cluster.js';
import { WebSocket } from 'ws';
import { APP } from '../helpers/herald.js';
import { connected, nextEvent, subscribed, waitFor, withTimeout } from '../helpers/wait.js';

const skip = (await redisUnavailable()) ?? false;

interface Member {
  id: string;
  info: unknown;
}
interface PresenceChannel {
  members: { count: number; each(cb: (m: Member) => void): void };
}
const memberIds = (channel: PresenceChannel) => {
  const ids: string[] = [];
  channel.members.each((m) => ids.push(m.id));
  return ids.sort();
};

describe('a cluster of three nodes', { skip }, () => {
  const prefix = uniquePrefix('cluster');
  let a: InProcessNode;
  let b: InProcessNode;
  let c: InProcessNode;

  before(async () => {
    [a, b, c] = await Promise.all([startNode(prefix), startNode(prefix), startNode(prefix)]);
  });
  after(async () => {
    await Promise.all([a, b, c].map((n) => n?.close()));
    await dropPrefix(prefix);
  });

  test('an event triggered through one node reaches subscribers on the others, once each', async (t) => {
    const onA = a.client(t);
    const onB = b.client(t);
    const [chA, chB] = await Promise.all([subscribed(onA, 'orders'), subscribed(onB, 'orders')]);
    const gotA: unknown[] = [];
    const gotB: unknown[] = [];
    chA.bind('order.created', (d: unknown) => gotA.push(d));
    chB.bind('order.created', (d: unknown) => gotB.push(d));
    const doneA = nextEvent(chA, 'done');
    const doneB = nextEvent(chB, 'done');
    await c.sdk().trigger('orders', 'order.created', { id: 1 });
    await c.sdk().trigger('orders', 'done', {});
    await Promise.all([doneA, doneB]);
    assert.deepEqual(gotA, [{ id: 1 }]);
    assert.deepEqual(gotB, [{ id: 1 }]);
  });

  test('a burst through one node (a batch, and many requests at once) reaches the others complete and in order', async (t) => {
    const onA = a.client(t);
    const chA = await subscribed(onA, 'ticker');
    const other = await subscribed(b.client(t), 'ticker-2');
    const got: number[] = [];
    const gotOther: number[] = [];
    chA.bind('tick', (d: { n: number }) => got.push(d.n));
    other.bind('tick', (d: { n: number }) => gotOther.push(d.n));
    const sdk = c.sdk();
    // One batch of ten (one request, one event-loop turn on node c), then thirty requests in flight together.
    await sdk.triggerBatch(Array.from({ length: 10 }, (_, n) => ({ channel: n % 2 === 0 ? 'ticker' : 'ticker-2', name: 'tick', data: { n } })));
    await Promise.all(Array.from({ length: 30 }, (_, i) => sdk.trigger(['ticker', 'ticker-2'], 'tick', { n: 10 + i })));
    await waitFor(() => got.length === 35 && gotOther.length === 35, 'every tick on both nodes');
    const expected = (even: boolean) => [...Array.from({ length: 10 }, (_, n) => n).filter((n) => (n % 2 === 0) === even)];
    assert.deepEqual(got.slice(0, 5), expected(true));
    assert.deepEqual(gotOther.slice(0, 5), expected(false));
    // Requests sent together may be handled in any order, but each arrives once.
    assert.deepEqual([...got.slice(5)].sort((x, y) => x - y), Array.from({ length: 30 }, (_, i) => 10 + i));
    assert.deepEqual(got.slice(5), gotOther.slice(5), 'both channels see the multi-channel events in the same order');
  });

  test('socket_id excludes that socket wherever it is connected', async (t) => {
    const onA = a.client(t);
    const onB = b.client(t);
    const [chA, chB] = await Promise.all([subscribed(onA, 'news'), subscribed(onB, 'news')]);
    const excluded = await connected(onB);
    const seenByB: string[] = [];
    chB.bind('headline', (d: { n: number }) => seenByB.push(String(d.n)));
    const gotA = nextEvent<{ n: number }>(chA, 'headline');
    const controlB = nextEvent(chB, 'control');
    await c.sdk().trigger('news', 'headline', { n: 1 }, { socket_id: excluded });
    assert.deepEqual(await gotA, { n: 1 });
    await c.sdk().trigger('news', 'control', {});
    await controlB;
    assert.deepEqual(seenByB, []);
  });

  test('client events cross nodes and are not echoed to the sender', async (t) => {
    const sender = a.client(t);
    const receiver = b.client(t);
    const [chSender, chReceiver] = await Promise.all([subscribed(sender, 'private-chat'), subscribed(receiver, 'private-chat')]);
    const echoed: unknown[] = [];
    chSender.bind('client-typing', (d: unknown) => echoed.push(d));
    const got = nextEvent(chReceiver, 'client-typing');
    assert.ok(chSender.trigger('client-typing', { who: 'ann' }));
    assert.deepEqual(await got, { who: 'ann' });
    const control = nextEvent(chSender, 'control');
    await c.sdk().trigger('private-chat', 'control', {});
    await control;
    assert.deepEqual(echoed, []);
  });

  test('presence: the same user on two nodes counts once and leaves when its last socket does', async (t) => {
    const channel = 'presence-room';
    const watcher = c.client(t, { presence: { user_id: 'watcher' } });
    const watching = (await subscribed(watcher, channel)) as unknown as PresenceChannel & Parameters<typeof nextEvent>[0];
    const added: string[] = [];
    const removed: string[] = [];
    watching.bind('pusher:member_added', (m: Member) => added.push(m.id));
    watching.bind('pusher:member_removed', (m: Member) => removed.push(m.id));

    const annOnA = a.client(null, { presence: { user_id: 'ann', user_info: { name: 'Ann' } } });
    const annOnB = b.client(null, { presence: { user_id: 'ann', user_info: { name: 'Ann' } } });
    t.after(() => {
      annOnA.disconnect();
      annOnB.disconnect();
    });
    await subscribed(annOnA, channel);
    const onB = (await subscribed(annOnB, channel)) as unknown as PresenceChannel;
    assert.deepEqual(memberIds(onB), ['ann', 'watcher']);
    await waitFor(() => added.includes('ann'), 'member_added for ann on node C');

    const count = await apiGet<{ occupied: boolean; user_count: number; subscription_count: number }>(a, `/channels/${channel}`, {
      info: 'user_count,subscription_count',
    });
    assert.deepEqual(count, { occupied: true, user_count: 2, subscription_count: 3 });
    const users = await apiGet<{ users: { id: string }[] }>(b, `/channels/${channel}/users`);
    assert.deepEqual(users.users.map((u) => u.id).sort(), ['ann', 'watcher']);

    // Leaving from one node while still there through another: no member_removed.
    annOnA.unsubscribe(channel);
    await waitFor(async () => (await apiGet<{ subscription_count: number }>(c, `/channels/${channel}`, { info: 'subscription_count' })).subscription_count === 2, 'ann to leave through node A');
    annOnB.unsubscribe(channel);
    await waitFor(() => removed.includes('ann'), 'member_removed for ann once her last socket left');
    const control = nextEvent(watching, 'control');
    await a.sdk().trigger(channel, 'control', {});
    await control;
    assert.deepEqual(added, ['ann']);
    assert.deepEqual(removed, ['ann']);
    assert.deepEqual(memberIds(watching), ['watcher']);
  });

  test('channel queries count subscriptions on every node', async (t) => {
    await Promise.all([subscribed(a.client(t), 'stats-x'), subscribed(b.client(t), 'stats-x'), subscribed(c.client(t), 'stats-y')]);
    const list = await apiGet<{ channels: Record<string, { subscription_count?: number }> }>(a, '/channels', {
      filter_by_prefix: 'stats-',
      info: 'subscription_count',
    });
    assert.deepEqual(list.channels, { 'stats-x': { subscription_count: 2 }, 'stats-y': { subscription_count: 1 } });
    const one = await apiGet<{ occupied: boolean; subscription_count: number }>(b, '/channels/stats-x', { info: 'subscription_count' });
    assert.deepEqual(one, { occupied: true, subscription_count: 2 });
    const empty = await apiGet<{ occupied: boolean }>(c, '/channels/stats-none');
    assert.deepEqual(empty, { occupied: false });
  });

  test('a cache channel replays the last event published through another node', async (t) => {
    await a.sdk().trigger('cache-prices', 'price', { eur: 10 });
    const client = b.client(t);
    const channel = client.subscribe('cache-prices');
    assert.deepEqual(await nextEvent(channel, 'price', 'the cached price on node B'), { eur: 10 });
  });

  test('sendToUser and terminate_connections reach the user on another node', async (t) => {
    const user = b.client(t, { user: { id: 'bob', user_info: {} } });
    const messages: { event: string; channel?: string }[] = [];
    user.connection.bind('message', (m: { event: string; channel?: string }) => messages.push(m));
    user.signin();
    // pusher-js subscribes to its server-to-user channel once signed in.
    await waitFor(
      () => messages.some((m) => m.event === 'pusher_internal:subscription_succeeded' && m.channel === '#server-to-user-bob'),
      'bob to sign in and subscribe to his user channel',
    );
    const gotMessage = new Promise<unknown>((resolve) => user.user.bind('note', resolve));
    await a.sdk().sendToUser('bob', 'note', { text: 'hi' });
    assert.deepEqual(await withTimeout(gotMessage, 'the note sent to bob'), { text: 'hi' });

    const closed = nextEvent(user.connection, 'disconnected', 'bob to be disconnected');
    await c.sdk().terminateUserConnections('bob');
    await closed;
  });

  test('watchlists see users come online and go offline on other nodes', async (t) => {
    interface WatchlistEvent {
      name: string;
      user_ids: string[];
    }
    const watcher = a.client(t, { user: { id: 'carol', watchlist: ['dave'] } });
    watcher.signin();
    await waitFor(() => watcher.user.serverToUserChannel?.subscribed, 'carol to be signed in');
    const online = nextEvent<WatchlistEvent>(watcher.user.watchlist, 'online', 'dave online');
    const dave = b.client(null, { user: { id: 'dave', user_info: {} } });
    dave.signin();
    assert.deepEqual(await online, { name: 'online', user_ids: ['dave'] });
    const offline = nextEvent<WatchlistEvent>(watcher.user.watchlist, 'offline', 'dave offline');
    dave.disconnect();
    assert.deepEqual(await offline, { name: 'offline', user_ids: ['dave'] });
  });
});

describe('connection limits are cluster-wide', { skip }, () => {
  const prefix = uniquePrefix('limits');
  let a: InProcessNode;
  let b: InProcessNode;
  const apps = [{ ...APP, clientEvents: true, userAuthentication: true, maxConnections: 2 }];

  before(async () => {
    [a, b] = await Promise.all([startNode(prefix, { apps }), startNode(prefix, { apps })]);
  });
  after(async () => {
    await Promise.all([a, b].map((n) => n?.close()));
    await dropPrefix(prefix);
  });

  test('a third connection is refused with 4004 on whichever node it reaches', async (t) => {
    await Promise.all([connected(a.client(t)), connected(b.client(t))]);
    const third = new WebSocket(`ws://127.0.0.1:${a.port}/app/${APP.key}?protocol=7`);
    t.after(() => third.terminate());
    const [frame] = (await withTimeout(once(third, 'message'), 'the answer to a third connection')) as [Buffer];
    const { event, data } = JSON.parse(frame.toString()) as { event: string; data: string };
    assert.equal(event, 'pusher:error');
    assert.equal((JSON.parse(data) as { code: number }).code, 4004);
  });
});

describe('presence member limits are cluster-wide', { skip }, () => {
  const prefix = uniquePrefix('members');
  let a: InProcessNode;
  let b: InProcessNode;
  const apps = [{ ...APP, maxPresenceMembers: 1 }];

  before(async () => {
    [a, b] = await Promise.all([startNode(prefix, { apps }), startNode(prefix, { apps })]);
  });
  after(async () => {
    await Promise.all([a, b].map((n) => n?.close()));
    await dropPrefix(prefix);
  });

  test('a full channel refuses a new user on another node, admits its member again, and leaves no occupancy behind', async (t) => {
    const ann = b.client(t, { presence: { user_id: 'ann' } });
    await subscribed(ann, 'presence-full');

    const bob = a.client(t, { presence: { user_id: 'bob' } });
    const refused = nextEvent<{ status: number }>(bob.subscribe('presence-full'), 'pusher:subscription_error', "bob's refusal");
    assert.equal((await refused).status, 4100);
    const annAgain = b.client(t, { presence: { user_id: 'ann' } });
    const channel = (await subscribed(annAgain, 'presence-full')) as unknown as PresenceChannel;
    assert.deepEqual(memberIds(channel), ['ann']);

    ann.unsubscribe('presence-full');
    annAgain.unsubscribe('presence-full');
    // Node A recorded its occupancy with bob's join and let go of it when the join was refused; B's went with ann.
    const redis = testRedis();
    t.after(() => redis.disconnect());
    const occupancy = new RedisKeys(prefix).occupancy(APP.id, 'presence-full');
    await waitFor(async () => (await redis.exists(occupancy)) === 0, 'no node to occupy presence-full');
    const empty = await apiGet<{ occupied: boolean }>(a, '/channels/presence-full');
    assert.deepEqual(empty, { occupied: false });
  });
});

describe('per-app rate limits are cluster-wide', { skip }, () => {
  const prefix = uniquePrefix('rates');
  let a: InProcessNode;
  let b: InProcessNode;
  const apps = [{ ...APP, apiRequestsPerSecond: 4 }];

  before(async () => {
    [a, b] = await Promise.all([startNode(prefix, { apps }), startNode(prefix, { apps })]);
  });
  after(async () => {
    await Promise.all([a, b].map((n) => n?.close()));
    await dropPrefix(prefix);
  });

  const status = (node: InProcessNode) =>
    node
      .sdk()
      .trigger('rate-test', 'evt', { n: 1 })
      .then(
        (res) => res.status,
        (err: { status?: number }) => err.status ?? 0,
      );

  test("the budget spent through one node is gone on the other", async () => {
    // Both nodes count one-second windows: run the whole exchange inside one
    // window (start just after a boundary, retry if it straddled one).
    for (let attempt = 0; attempt < 5; attempt++) {
      await waitFor(() => Date.now() % 1000 < 30, 'the start of a one-second window', 2000);
      const window = Math.floor(Date.now() / 1000);
      const throughA: number[] = [];
      for (let i = 0; i < 4; i++) throughA.push(await status(a));
      const throughB: number[] = [];
      for (let i = 0; i < 2; i++) throughB.push(await status(b));
      if (Math.floor(Date.now() / 1000) !== window) continue;
      assert.deepEqual(throughA, [200, 200, 200, 200]);
      assert.deepEqual(throughB, [429, 429], 'node b must see the budget node a spent');
      return;
    }
    assert.fail('could not fit six requests into one second window in five attempts');
  });
});
