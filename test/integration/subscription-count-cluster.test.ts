// Subscription counts in a cluster: with two nodes over Redis, each new count
// of a channel is told once, to the webhook receiver and to the subscribers,
// however many nodes' counts moved (each node whose count moved used to tell
// the cluster-wide count). "Not twice" is only checked once a later change
// told by each node has arrived, so a duplicate would have arrived before it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { dropPrefix, redisUnavailable, startNode, uniquePrefix, type InProcessNode } from '../helpers/cluster.js';
import { APP } from '../helpers/herald.js';
import { localOptions, PusherJS } from '../helpers/pusher-js.js';
import { subscribed, waitFor } from '../helpers/wait.js';
import { named, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const COUNTING = { id: 'counting-app', key: 'counting-key', secret: 'counting-secret', subscriptionCountEvents: true };

const skip = await redisUnavailable();
const prefix = uniquePrefix('counts');
let hooks: WebhookReceiver;
let a: InProcessNode;
let b: InProcessNode;

before(async () => {
  if (skip) return;
  hooks = await startWebhookReceiver();
  const apps = [{ ...APP, webhooks: [{ url: hooks.url, events: ['subscription_count'] }] as never }, COUNTING];
  [a, b] = await Promise.all([startNode(prefix, { apps }), startNode(prefix, { apps })]);
});
after(async () => {
  if (skip) return;
  await Promise.all([a.close(), b.close()]);
  await hooks.close();
  await dropPrefix(prefix);
});

const countsOf = (channel: string) => named(hooks.events, 'subscription_count', channel).map((e) => e.subscription_count as number);

async function queueDepth(node: InProcessNode): Promise<number> {
  const metrics = await (await fetch(`${node.url}/metrics`)).text();
  return Number(/^herald_webhook_queue_depth (\d+)$/m.exec(metrics)?.[1] ?? NaN);
}

test('each subscription count is sent to the webhook receiver once for the cluster', { skip: skip ?? false }, async (t) => {
  const client = (node: InProcessNode) => node.client(t);
  const waitForCount = (count: number, times = 1) =>
    waitFor(() => countsOf('counted').filter((c) => c === count).length === times, `subscription_count ${count} (${times}×)`, 5000);

  const [a1, a2, b1, b2] = [client(a), client(a), client(b), client(b)];
  await subscribed(a1, 'counted');
  await waitForCount(1);
  await subscribed(b1, 'counted');
  await waitForCount(2);
  // Both nodes' counts move at once: the cluster's shared stream of webhook events may batch both changes
  // together (one count, 4) or apart (3, then 4); either way no count is told twice.
  await Promise.all([subscribed(a2, 'counted'), subscribed(b2, 'counted')]);
  await waitForCount(4);
  b1.unsubscribe('counted');
  b2.unsubscribe('counted');
  await waitForCount(2, 2);
  a1.unsubscribe('counted');
  a2.unsubscribe('counted');
  await waitForCount(0);

  // A later change told by each node, then an empty queue: anything sent twice has arrived by now.
  await Promise.all([subscribed(client(a), 'marker-a'), subscribed(client(b), 'marker-b')]);
  await waitFor(() => countsOf('marker-a').length === 1 && countsOf('marker-b').length === 1, 'the markers of both nodes', 5000);
  await waitFor(async () => (await queueDepth(a)) === 0 && (await queueDepth(b)) === 0, 'an empty webhook queue', 5000);

  assert.equal(hooks.invalid, 0);
  // Requests from the two nodes may cross: compare as a multiset.
  const told = countsOf('counted').sort();
  assert.ok(
    [JSON.stringify([0, 1, 2, 2, 3, 4]), JSON.stringify([0, 1, 2, 2, 4])].includes(JSON.stringify(told)),
    `each count told once: ${JSON.stringify(told)}`,
  );
});

test('each subscription count reaches the subscribers once for the cluster', { skip: skip ?? false }, async (t) => {
  const counting = (node: InProcessNode) => {
    const c = new PusherJS(COUNTING.key, localOptions(node.port));
    t.after(() => c.disconnect());
    return c;
  };
  const watcher = counting(a);
  const told = new Map<string, number[]>();
  const watch = (channel: string) => {
    told.set(channel, []);
    watcher.subscribe(channel).bind('pusher:subscription_count', (d: { subscription_count: number }) => told.get(channel)!.push(d.subscription_count));
  };
  for (const channel of ['room', 'marker-a', 'marker-b']) watch(channel);
  await Promise.all(['room', 'marker-a', 'marker-b'].map((channel) => waitFor(() => told.get(channel)!.length === 1, `the first count of ${channel}`)));

  await subscribed(counting(b), 'room');
  await waitFor(() => told.get('room')!.at(-1) === 2, 'a count of 2');
  await Promise.all([subscribed(counting(a), 'room'), subscribed(counting(b), 'room')]);
  await waitFor(() => told.get('room')!.at(-1) === 4, 'a count of 4');

  // A later change told by each node: a second 4 would have come before it.
  await Promise.all([subscribed(counting(a), 'marker-a'), subscribed(counting(b), 'marker-b')]);
  await waitFor(() => told.get('marker-a')!.length === 2 && told.get('marker-b')!.length === 2, 'the markers of both nodes');
  assert.deepEqual(told.get('room'), [1, 2, 3, 4]);
});
