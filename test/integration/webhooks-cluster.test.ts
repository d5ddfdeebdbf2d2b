// Webhooks of a cluster: with two nodes over Redis, a channel's occupied and
// vacated and a user's member_added / member_removed are sent once for the
// cluster, whichever nodes its subscribers are on; the queue is shared.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { dropPrefix, redisUnavailable, startNode, uniquePrefix, type InProcessNode } from '../helpers/cluster.js';
import { APP } from '../helpers/herald.js';
import { uniq } from '../helpers/ids.js';
import { metricValue } from '../helpers/metrics.js';
import type { PusherJS } from '../helpers/pusher-js.js';
import { connected, subscribed, waitFor } from '../helpers/wait.js';
import { named, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const skip = await redisUnavailable();
const prefix = uniquePrefix('webhooks');
let hooks: WebhookReceiver;
let a: InProcessNode;
let b: InProcessNode;

before(async () => {
  if (skip) return;
  hooks = await startWebhookReceiver();
  const apps = [{ ...APP, clientEvents: true, userAuthentication: true, webhooks: [{ url: hooks.url }] as never }];
  a = await startNode(prefix, { apps });
  b = await startNode(prefix, { apps });
});
after(async () => {
  if (skip) return;
  await Promise.all([a.close(), b.close()]);
  await hooks.close();
  await dropPrefix(prefix);
});

/**
 * Resolves once every webhook that the frames these clients sent so far could
 * have caused has been delivered, so that a duplicate would be among
 * `hooks.events` by then, however long its node took to emit it.
 *
 * Each client subscribes to a marker channel of its own, after its last
 * action. Every webhook event comes from the node that handled the client's
 * frame, while handling it (ChannelService), and a connection's frames are
 * handled one after another: so the marker's channel_occupied is emitted
 * after anything those actions emitted on that node. A node queues its
 * batches in the order it made them, so once a marker has arrived, every
 * earlier job of its node was in the shared queue. Arriving is not enough,
 * though: each node sends several requests at once and both nodes take from
 * one queue, so a later job may be delivered before an earlier one. An empty
 * queue after the markers arrived says every earlier job was answered, and
 * the receiver keeps a request's events before it answers.
 */
async function deliveredSoFar(clients: readonly PusherJS[]): Promise<void> {
  const markers = clients.map((client) => {
    const marker = uniq('marker');
    client.subscribe(marker);
    return marker;
  });
  await waitFor(() => markers.every((m) => named(hooks.events, 'channel_occupied', m).length > 0), 'channel_occupied of every marker', 5000);
  // The depth a node reports is the cluster's queue in Redis (plus what that node could not write there yet).
  await waitFor(async () => (await metricValue(a.url, 'herald_webhook_queue_depth')) === 0, 'an empty webhook queue', 5000);
}

test('a channel with subscribers on both nodes is occupied and vacated once for the cluster', { skip: skip ?? false }, async (t) => {
  const onA = a.client(t, { presence: { user_id: 'ann' } });
  const onB = b.client(t, { presence: { user_id: 'ann' } });
  const otherOnB = b.client(t, { presence: { user_id: 'ben' } });
  await Promise.all([connected(onA), connected(onB), connected(otherOnB)]);
  await subscribed(onA, 'presence-shared');
  await subscribed(onB, 'presence-shared');
  await subscribed(otherOnB, 'presence-shared');
  await waitFor(() => named(hooks.events, 'member_added', 'presence-shared').length === 2, 'member_added for ann and ben', 5000);

  onA.unsubscribe('presence-shared');
  otherOnB.unsubscribe('presence-shared');
  await waitFor(() => named(hooks.events, 'member_removed', 'presence-shared').length === 1, 'member_removed for ben', 5000);
  onB.unsubscribe('presence-shared');
  await waitFor(() => named(hooks.events, 'channel_vacated', 'presence-shared').length === 1, 'channel_vacated', 5000);
  await deliveredSoFar([onA, onB, otherOnB]);

  assert.equal(hooks.invalid, 0);
  // Each node batches its own events, so only the order within a node is kept: compare as a multiset.
  const told = hooks.events
    .filter((e) => e.channel === 'presence-shared' && e.name !== 'subscription_count')
    .map((e) => `${e.name} ${String(e.user_id ?? '')}`.trim())
    .sort();
  assert.deepEqual(told, ['channel_occupied', 'channel_vacated', 'member_added ann', 'member_added ben', 'member_removed ann', 'member_removed ben']);
});
