// How events cross between nodes, in both routing modes of the Redis adapter:
// the same delivery, presence and exclusion either way; with interest routing
// a node hears only the channels it serves, and a client told it is
// subscribed never misses an event triggered after that, even when Redis is
// slow to confirm the node's subscription.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster } from 'ioredis';
import { redisConnection, type RedisClient } from '../../src/adapter/redis/connection.js';
import { RedisKeys } from '../../src/adapter/redis/keys.js';
import type { RedisAdapter } from '../../src/adapter/redis-adapter.js';
import { APP } from '../helpers/herald.js';
import { dropPrefix, REDIS_URL, redisUnavailable, startNode, uniquePrefix, type InProcessNode, type Routing } from '../helpers/cluster.js';
import { connected, nextEvent, subscribed, waitFor, withTimeout } from '../helpers/wait.js';

const skip = (await redisUnavailable()) ?? false;

const adapterOf = (node: InProcessNode) => node.running.herald.adapter as RedisAdapter;

/** Events heard from the cluster by a node (inside the pub/sub messages it received, its own echoes included). */
const heardBy = (node: InProcessNode) => adapterOf(node).pubsub.broadcastsIn;

/** A connection to the tests' Redis, or Redis Cluster (`npm run test:redis-cluster`). */
async function connectRedis(): Promise<RedisClient> {
  const redis = redisConnection(REDIS_URL, 'herald-test', { enableOfflineQueue: true });
  redis.on('error', () => {});
  await redis.connect();
  return redis;
}

/** How many connections subscribe to a pub/sub topic (plain or sharded), on every master of a Redis Cluster. */
async function topicSubscribers(redis: RedisClient, topic: string): Promise<number> {
  const servers = redis instanceof Cluster ? redis.nodes('master') : [redis];
  let count = 0;
  for (const server of servers) {
    for (const kind of ['NUMSUB', 'SHARDNUMSUB']) {
      const [, n] = (await server.call('PUBSUB', kind, topic)) as [string, number];
      count += Number(n);
    }
  }
  return count;
}

for (const routing of ['interest', 'broadcast'] as const satisfies readonly Routing[]) {
  describe(`two nodes routing by ${routing}`, { skip }, () => {
    const prefix = uniquePrefix(`routing-${routing}`);
    const keys = new RedisKeys(prefix);
    let a: InProcessNode;
    let b: InProcessNode;
    let redis: RedisClient;

    before(async () => {
      [a, b] = await Promise.all([startNode(prefix, { routing }), startNode(prefix, { routing })]);
      redis = await connectRedis();
    });
    after(async () => {
      await Promise.all([a?.close(), b?.close()]);
      redis?.disconnect();
      await dropPrefix(prefix);
    });

    test('an event reaches the subscribers on both nodes once, except the excluded socket', async (t) => {
      const onA = a.client(t);
      const onB = b.client(t);
      const alsoOnB = b.client(t);
      const [chA, chB, chB2] = await Promise.all([subscribed(onA, 'routed'), subscribed(onB, 'routed'), subscribed(alsoOnB, 'routed')]);
      const excluded = await connected(alsoOnB);
      const got = { a: [] as number[], b: [] as number[], excluded: [] as number[] };
      chA.bind('tick', (d: { n: number }) => got.a.push(d.n));
      chB.bind('tick', (d: { n: number }) => got.b.push(d.n));
      chB2.bind('tick', (d: { n: number }) => got.excluded.push(d.n));
      // Through both nodes: events triggered through two nodes have no order between them, so each is awaited.
      await a.sdk().trigger('routed', 'tick', { n: 1 }, { socket_id: excluded });
      await b.sdk().trigger('routed', 'tick', { n: 2 }, { socket_id: excluded });
      await waitFor(() => got.a.length === 2 && got.b.length === 2, 'both ticks on both nodes');
      // Node B wrote the ticks to its sockets before this, so the excluded socket would have had them first.
      const done = nextEvent(chB2, 'done');
      await b.sdk().trigger('routed', 'done', {});
      await done;
      assert.deepEqual({ a: got.a.sort(), b: got.b.sort(), excluded: got.excluded }, { a: [1, 2], b: [1, 2], excluded: [] });
    });

    test('a presence member on one node is announced once to the other', async (t) => {
      const watcher = a.client(t, { presence: { user_id: 'watcher' } });
      const watching = await subscribed(watcher, 'presence-routed');
      const added: string[] = [];
      watching.bind('pusher:member_added', (m: { id: string }) => added.push(m.id));
      await subscribed(b.client(t, { presence: { user_id: 'ann' } }), 'presence-routed');
      await subscribed(b.client(t, { presence: { user_id: 'ann' } }), 'presence-routed');
      const control = nextEvent(watching, 'control');
      await b.sdk().trigger('presence-routed', 'control', {});
      await control;
      assert.deepEqual(added, ['ann']);
    });

    test(
      routing === 'interest'
        ? 'a node hears nothing of a channel it does not serve, and lets go of its topic when its last subscriber leaves'
        : 'every node hears every event (the older design this one is measured against)',
      async (t) => {
        const client = a.client(t);
        const channel = await subscribed(client, 'only-on-a');
        const topic = keys.channelTopic(APP.id, 'only-on-a');
        const heardBefore = heardBy(b);
        const done = nextEvent(channel, 'done');
        for (let n = 0; n < 10; n++) await a.sdk().trigger('only-on-a', 'tick', { n });
        await a.sdk().trigger('only-on-a', 'done', {});
        await done;
        if (routing === 'interest') {
          assert.equal(await topicSubscribers(redis, topic), 1, "only node A subscribes to the channel's topic");
          assert.equal(heardBy(b) - heardBefore, 0, 'node B heard none of the events of a channel it does not serve');
          client.unsubscribe('only-on-a');
          await waitFor(async () => (await topicSubscribers(redis, topic)) === 0, "node A to unsubscribe from the channel's topic");
        } else {
          assert.equal(await topicSubscribers(redis, topic), 0, 'no per-channel topic');
          await waitFor(() => heardBy(b) - heardBefore >= 11, 'node B to hear all 11 events');
        }
      },
    );
  });
}

describe('interest routing at the edge, with Redis slow to confirm a subscription', { skip }, () => {
  const prefix = uniquePrefix('routing-edge');
  const keys = new RedisKeys(prefix);
  let a: InProcessNode;
  let b: InProcessNode;
  let redis: RedisClient;
  /** SUBSCRIBE and UNSUBSCRIBE of node A reach Redis this late (ms), as on a busy Redis far away. */
  const LAG_MS = 150;

  before(async () => {
    [a, b] = await Promise.all([startNode(prefix, { routing: 'interest' }), startNode(prefix, { routing: 'interest' })]);
    redis = await connectRedis();
    const subscriber = (adapterOf(a) as unknown as { link: { subscriber: RedisClient } }).link.subscriber;
    for (const command of ['subscribe', 'unsubscribe', 'ssubscribe', 'sunsubscribe'] as const) {
      const real = subscriber[command].bind(subscriber) as (...topics: string[]) => Promise<unknown>;
      (subscriber as unknown as Record<string, unknown>)[command] = async (...topics: string[]) => {
        await new Promise((resolve) => setTimeout(resolve, LAG_MS));
        return real(...topics);
      };
    }
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    redis?.disconnect();
    await dropPrefix(prefix);
  });

  test('an event triggered on another node as soon as subscription_succeeded arrives is never missed', async (t) => {
    const client = a.client(t);
    await connected(client);
    for (let i = 0; i < 5; i++) {
      const name = `edge-${i}`;
      const channel = client.subscribe(name);
      const got = nextEvent<{ i: number }>(channel, 'first', `the first event on ${name}`);
      // Triggered from the subscription_succeeded handler itself: the earliest a client or its app could.
      channel.bind('pusher:subscription_succeeded', () => void b.sdk().trigger(name, 'first', { i }));
      assert.deepEqual(await got, { i });
    }
  });

  test('subscribers arriving together wait on one subscription; a leave during it leaves no topic and loses no later subscriber', async (t) => {
    const topic = keys.channelTopic(APP.id, 'edge-together');
    const [first, second] = [a.client(t), a.client(t)];
    await Promise.all([connected(first), connected(second)]);
    const [chFirst, chSecond] = await Promise.all([subscribed(first, 'edge-together'), subscribed(second, 'edge-together')]);
    const both = Promise.all([nextEvent(chFirst, 'hello'), nextEvent(chSecond, 'hello')]);
    await b.sdk().trigger('edge-together', 'hello', {});
    await withTimeout(both, 'both subscribers to get the event');

    // Everyone leaves, and a newcomer arrives while the UNSUBSCRIBE is still on its way.
    first.unsubscribe('edge-together');
    second.unsubscribe('edge-together');
    await waitFor(() => !adapterOf(a).subscribers.count(APP.id, 'edge-together'), 'node A to drop its subscribers');
    const late = a.client(t);
    const chLate = await subscribed(late, 'edge-together');
    const hello = nextEvent(chLate, 'hello');
    await b.sdk().trigger('edge-together', 'hello', {});
    await withTimeout(hello, 'the newcomer to get the event');
    assert.equal(await topicSubscribers(redis, topic), 1);

    // A subscriber that leaves before Redis confirmed its node's subscription leaves no topic behind.
    const brief = a.client(t);
    await connected(brief);
    brief.subscribe('edge-brief');
    await waitFor(() => adapterOf(a).subscribers.count(APP.id, 'edge-brief') === 1, 'the brief subscriber to be indexed');
    brief.unsubscribe('edge-brief');
    late.unsubscribe('edge-together');
    const briefTopic = keys.channelTopic(APP.id, 'edge-brief');
    await waitFor(
      async () => (await topicSubscribers(redis, briefTopic)) === 0 && (await topicSubscribers(redis, topic)) === 0 && adapterOf(a).pubsub.topics === 2,
      'node A to hear only its own topics again',
    );
  });
});
