// Herald nodes over a real Redis Cluster (three masters started by the test
// from the machine's redis-server): the cluster-wide checks of the single
// Redis adapter, with real pusher-js clients on two nodes and the pusher SDK,
// while each script runs on the master holding its keys' slot.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Cluster } from 'ioredis';
import { keySlot } from '../../src/adapter/redis/connection.js';
import { RedisKeys } from '../../src/adapter/redis/keys.js';
import { apiGet, spawnNode, startNode, uniquePrefix, type InProcessNode } from '../helpers/cluster.js';
import { APP } from '../helpers/herald.js';
import { uniq } from '../helpers/ids.js';
import { redisClusterUnavailable, startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { connected, nextEvent, subscribed, waitFor, withTimeout } from '../helpers/wait.js';
import { named, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const skip = (await redisClusterUnavailable()) ?? false;

interface Member {
  id: string;
}
interface PresenceChannel {
  members: { each(cb: (m: Member) => void): void };
}
const memberIds = (channel: PresenceChannel) => {
  const ids: string[] = [];
  channel.members.each((m) => ids.push(m.id));
  return ids.sort();
};

describe('Herald over a Redis Cluster', { skip }, () => {
  const prefix = uniquePrefix('redis-cluster');
  const apps = () => [{ ...APP, clientEvents: true, userAuthentication: true, maxPresenceMembers: 3, webhooks: [{ url: hooks.url }] as never }];
  let redisCluster: RedisCluster;
  let redis: Cluster;
  let hooks: WebhookReceiver;
  let a: InProcessNode;
  let b: InProcessNode;

  before(async () => {
    redisCluster = await startRedisCluster();
    redis = redisCluster.client();
    hooks = await startWebhookReceiver();
    const options = { redisUrl: redisCluster.url, apps: apps() };
    [a, b] = await Promise.all([startNode(prefix, options), startNode(prefix, options)]);
  });
  after(async () => {
    await Promise.all([a, b].map((n) => n?.close()));
    await hooks?.close();
    redis?.disconnect();
    await redisCluster?.stop();
  });

  test('the cluster spreads the keys of different channels over its masters', async () => {
    const keys = new RedisKeys(prefix);
    const masters = new Set(Array.from({ length: 30 }, (_, i) => slotOwner(redis, keys.occupancy(APP.id, `channel-${i}`))));
    assert.equal(masters.size, 3);
  });

  test('an event triggered through one node reaches subscribers on both, once each, but the excluded socket', async (t) => {
    const onA = a.client(t);
    const onB = b.client(t);
    const excluded = b.client(t);
    const [chA, chB, chExcluded] = await Promise.all([subscribed(onA, 'orders'), subscribed(onB, 'orders'), subscribed(excluded, 'orders')]);
    const got: string[] = [];
    chA.bind('created', () => got.push('a'));
    chB.bind('created', () => got.push('b'));
    chExcluded.bind('created', () => got.push('excluded'));
    const doneA = nextEvent(chA, 'done');
    const doneB = nextEvent(chB, 'done');
    const doneExcluded = nextEvent(chExcluded, 'done');
    await a.sdk().trigger('orders', 'created', { id: 1 }, { socket_id: excluded.connection.socket_id });
    await a.sdk().trigger('orders', 'done', {});
    await Promise.all([doneA, doneB, doneExcluded]);
    assert.deepEqual(got.sort(), ['a', 'b']);

    // Carried by sharded pub/sub: each topic subscribed on the one master of its slot, none on plain pub/sub.
    const masters = redis.nodes('master');
    const sharded = await Promise.all(masters.map((m) => m.call('PUBSUB', 'SHARDCHANNELS', `${prefix}:*`) as Promise<string[]>));
    const plain = await Promise.all(masters.map((m) => m.call('PUBSUB', 'CHANNELS', `${prefix}:*`) as Promise<string[]>));
    const topics = sharded.flat();
    assert.ok(topics.length > 0, 'topics subscribed with SSUBSCRIBE');
    assert.equal(new Set(topics).size, topics.length, 'each topic on one master');
    sharded.forEach((held, i) => held.forEach((topic) => assert.equal(redis.slots[keySlot(topic)]?.[0], `${masters[i]?.options.host}:${masters[i]?.options.port}`)));
    assert.deepEqual(plain.flat(), []);
  });

  test('a user on both nodes is one presence member, added and removed once', async (t) => {
    const watcher = a.client(t, { presence: { user_id: 'watcher' } });
    const watching = await subscribed(watcher, 'presence-room');
    const added: string[] = [];
    const removed: string[] = [];
    watching.bind('pusher:member_added', (m: Member) => added.push(m.id));
    watching.bind('pusher:member_removed', (m: Member) => removed.push(m.id));

    const annOnA = a.client(t, { presence: { user_id: 'ann' } });
    const annOnB = b.client(t, { presence: { user_id: 'ann' } });
    await subscribed(annOnA, 'presence-room');
    const seenFromB = (await subscribed(annOnB, 'presence-room')) as unknown as PresenceChannel;
    assert.deepEqual(memberIds(seenFromB), ['ann', 'watcher']);
    const users = await apiGet<{ users: Array<{ id: string }> }>(b, '/channels/presence-room/users');
    assert.deepEqual(users.users.map((u) => u.id).sort(), ['ann', 'watcher']);

    annOnA.unsubscribe('presence-room');
    const gone = nextEvent(watching, 'pusher:member_removed', 'ann leaving');
    annOnB.unsubscribe('presence-room');
    await gone;
    assert.deepEqual(added, ['ann']);
    assert.deepEqual(removed, ['ann']);
  });

  test('the presence member limit holds across the nodes', async (t) => {
    for (const [i, node] of [a, b, a].entries()) await subscribed(node.client(t, { presence: { user_id: `member-${i}` } }), 'presence-full');
    const refused = nextEvent<{ status: number }>(b.client(t, { presence: { user_id: 'one-too-many' } }).subscribe('presence-full'), 'pusher:subscription_error');
    assert.equal((await refused).status, 4100);
  });

  test('the last event of a cache channel, triggered through one node, is replayed to a subscriber on the other', async (t) => {
    const channel = uniq('cache-prices');
    await a.sdk().trigger(channel, 'price', { eur: 42 });
    const client = b.client(t);
    await connected(client);
    assert.deepEqual(await nextEvent(client.subscribe(channel), 'price'), { eur: 42 });
  });

  test('channel queries through one node count the subscribers of both', async (t) => {
    const channel = uniq('stats');
    await subscribed(a.client(t), channel);
    await subscribed(b.client(t), channel);
    const info = await apiGet<{ occupied: boolean; subscription_count: number }>(a, `/channels/${channel}`, { info: 'subscription_count' });
    assert.deepEqual(info, { occupied: true, subscription_count: 2 });
    const listed = await apiGet<{ channels: Record<string, unknown> }>(b, '/channels');
    assert.ok(channel in listed.channels);
  });

  test('a channel with subscribers on both nodes is occupied and vacated once, through the shared webhook queue', async (t) => {
    const channel = uniq('hooked');
    const onA = a.client(t);
    const onB = b.client(t);
    await subscribed(onA, channel);
    await subscribed(onB, channel);
    onA.unsubscribe(channel);
    onB.unsubscribe(channel);
    await waitFor(() => named(hooks.events, 'channel_vacated', channel).length === 1, 'channel_vacated', 5000);
    // A marker channel occupied after everything above, so that a duplicate would have come by the time it does.
    const marker = uniq('marker');
    await subscribed(onB, marker);
    await waitFor(() => named(hooks.events, 'channel_occupied', marker).length === 1, 'the marker', 5000);
    assert.equal(named(hooks.events, 'channel_occupied', channel).length, 1);
    assert.equal(named(hooks.events, 'channel_vacated', channel).length, 1);
    assert.equal(await redis.exists(new RedisKeys(prefix).occupancy(APP.id, channel)), 0);
  });

  test("a killed node's members are removed by a survivor, once, and its channels vacated", async (t) => {
    const doomed = await spawnNode(prefix, [], { HERALD_REDIS_URL: redisCluster.url });
    t.after(() => doomed.kill('SIGKILL'));
    const watcher = a.client(t, { presence: { user_id: 'survivor' } });
    const watching = await subscribed(watcher, 'presence-doomed');
    const removed: string[] = [];
    watching.bind('pusher:member_removed', (m: Member) => removed.push(m.id));
    const victims = ['v1', 'v2'].map((id) => doomed.client(t, { presence: { user_id: id } }));
    for (const v of victims) await subscribed(v, 'presence-doomed');
    const lonely = uniq('lonely');
    await subscribed(doomed.client(t), lonely);
    const keys = new RedisKeys(prefix);
    assert.equal(await redis.exists(keys.occupancy(APP.id, lonely)), 1);

    await doomed.kill('SIGKILL');
    await waitFor(() => removed.length === 2, 'member_removed for both victims', 5000);
    assert.deepEqual(removed.sort(), ['v1', 'v2']);
    // Announced by the survivor that removed the node, to its own webhooks (the killed node had none configured).
    await waitFor(() => named(hooks.events, 'channel_vacated', lonely).length === 1, 'the lonely channel vacated', 5000);
    assert.equal(await redis.exists(keys.occupancy(APP.id, lonely)), 0);
    assert.deepEqual(await redis.hkeys(keys.presenceMembers(APP.id, 'presence-doomed')), ['survivor']);
    await waitFor(async () => (await redis.zcard(keys.deadNodes)) === 0, 'the dead node cleaned up');
  });

  test('signed-in users are cluster-wide: sendToUser and terminate_connections through one node reach the user on the other', async (t) => {
    const userId = uniq('user');
    const client = b.client(t, { user: { id: userId, user_info: {} } });
    const messages: { event: string; channel?: string }[] = [];
    client.connection.bind('message', (m: { event: string; channel?: string }) => messages.push(m));
    client.signin();
    await waitFor(
      () => messages.some((m) => m.event === 'pusher_internal:subscription_succeeded' && m.channel === `#server-to-user-${userId}`),
      'the user to sign in and subscribe to the user channel',
    );
    assert.equal(await redis.exists(new RedisKeys(prefix).user(APP.id, userId)), 1);
    const note = new Promise<unknown>((resolve) => client.user.bind('note', resolve));
    await a.sdk().sendToUser(userId, 'note', { text: 'hi' });
    assert.deepEqual(await withTimeout(note, 'the note sent to the user'), { text: 'hi' });
    const closed = nextEvent(client.connection, 'disconnected', 'the user to be disconnected');
    await a.sdk().terminateUserConnections(userId);
    await closed;
  });
});

/** The master serving a key's slot, as the cluster client maps it. */
function slotOwner(redis: Cluster, key: string): string {
  const slot = redis.slots[keySlot(key)];
  return slot?.[0] ?? 'none';
}
