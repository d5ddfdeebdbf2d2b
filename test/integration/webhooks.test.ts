// Webhooks end to end: real pusher-js clients cause the events, a real HTTP
// receiver verifies every request with the official SDK's webhook helper.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { APP, signedClient, startHerald, type RunningHerald } from '../helpers/herald.js';
import { scrapeMetrics, seriesValue } from '../helpers/metrics.js';
import { connected, nextEvent, sleep, subscribed, waitFor } from '../helpers/wait.js';
import { named, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const dataDirs: string[] = [];
after(() => dataDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Quick batching and retries, so that a test sees several rounds within its bounded waits. */
export const FAST_WEBHOOKS = { batchMs: 50, pollMs: 100, retry: { baseMs: 100, maxMs: 400 } };

async function heraldWithWebhooks(
  t: TestContext,
  webhooks: Array<{ url: string; events?: string[] }>,
  dataDir = mkdtempSync(join(tmpdir(), 'herald-webhooks-')),
): Promise<RunningHerald> {
  dataDirs.push(dataDir);
  const h = await startHerald({
    apps: [{ ...APP, clientEvents: true, userAuthentication: true, webhooks: webhooks as never }],
    overrides: { dataDir, webhooks: FAST_WEBHOOKS },
  });
  t.after(() => h.close());
  return h;
}

async function receiver(t: TestContext, options: Parameters<typeof startWebhookReceiver>[0] = {}): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver(options);
  t.after(() => r.close());
  return r;
}

test('occupied, member added, client event, member removed and vacated reach the receiver, signed', async (t) => {
  const hooks = await receiver(t);
  const h = await heraldWithWebhooks(t, [{ url: hooks.url }]);
  const alice = signedClient(h, t, { presence: { user_id: 'alice', user_info: { name: 'Alice' } } });
  const bob = signedClient(h, t, { presence: { user_id: 'bob' } });
  const aliceRoom = await subscribed(alice, 'presence-room');
  await subscribed(bob, 'presence-room');
  const typing = nextEvent(aliceRoom, 'client-typing');
  const bobRoom = bob.channel('presence-room')!;
  bobRoom.trigger('client-typing', { now: true });
  await typing;
  bob.unsubscribe('presence-room');
  await waitFor(() => named(hooks.events, 'member_removed').length === 1, 'member_removed webhook');
  alice.unsubscribe('presence-room');
  await waitFor(() => named(hooks.events, 'channel_vacated').length === 1, 'channel_vacated webhook');

  assert.equal(hooks.invalid, 0);
  assert.deepEqual(
    hooks.events.filter((e) => e.name !== 'subscription_count').map((e) => [e.name, e.channel, e.user_id ?? null]),
    [
      ['channel_occupied', 'presence-room', null],
      ['member_added', 'presence-room', 'alice'],
      ['member_added', 'presence-room', 'bob'],
      ['client_event', 'presence-room', 'bob'],
      ['member_removed', 'presence-room', 'bob'],
      ['member_removed', 'presence-room', 'alice'],
      ['channel_vacated', 'presence-room', null],
    ],
  );
  const [clientEvent] = named(hooks.events, 'client_event');
  assert.equal(clientEvent!.event, 'client-typing');
  assert.deepEqual(JSON.parse(String(clientEvent!.data)), { now: true });
  assert.equal(clientEvent!.socket_id, bob.connection.socket_id);
});

test('a receiver that checks with another secret rejects the requests: the signature is real', async (t) => {
  const hooks = await receiver(t, { secret: 'not-the-secret' });
  const h = await heraldWithWebhooks(t, [{ url: hooks.url, events: ['channel_occupied'] }]);
  await subscribed(h.client(t), 'orders');
  await waitFor(() => hooks.invalid > 0, 'a request refused for its signature');
  assert.equal(hooks.events.length, 0);
});

test('cache_miss and subscription_count are sent, and each URL gets only the events it asked for', async (t) => {
  const misses = await receiver(t);
  const counts = await receiver(t);
  const h = await heraldWithWebhooks(t, [
    { url: misses.url, events: ['cache_miss'] },
    { url: counts.url, events: ['subscription_count'] },
  ]);
  const first = h.client(t);
  const second = h.client(t);
  await subscribed(first, 'cache-prices');
  await subscribed(second, 'cache-prices');
  await waitFor(() => named(misses.events, 'cache_miss', 'cache-prices').length === 2, 'a cache_miss webhook per subscriber');
  await waitFor(() => named(counts.events, 'subscription_count', 'cache-prices').some((e) => e.subscription_count === 2), 'subscription_count 2');
  second.unsubscribe('cache-prices');
  await waitFor(() => named(counts.events, 'subscription_count', 'cache-prices').at(-1)?.subscription_count === 1, 'subscription_count back to 1');
  assert.deepEqual([...new Set(misses.events.map((e) => e.name))], ['cache_miss']);
  assert.deepEqual([...new Set(counts.events.map((e) => e.name))], ['subscription_count']);
});

test('a receiver that fails and then recovers gets every webhook, at least once', async (t) => {
  const hooks = await receiver(t);
  const h = await heraldWithWebhooks(t, [{ url: hooks.url, events: ['channel_occupied', 'channel_vacated'] }]);
  hooks.failNext(4);
  const client = h.client(t);
  await connected(client);
  const channels = Array.from({ length: 10 }, (_, i) => `orders-${i}`);
  for (const channel of channels) {
    await subscribed(client, channel);
    client.unsubscribe(channel);
  }
  await waitFor(
    () => channels.every((c) => named(hooks.events, 'channel_occupied', c).length >= 1 && named(hooks.events, 'channel_vacated', c).length >= 1),
    'occupied and vacated of every channel despite the failures',
    10_000,
  );
  assert.ok(hooks.requests > 4, 'the failed requests were retried');
  const metrics = await scrapeMetrics(h.url);
  assert.equal(seriesValue(metrics, 'herald_webhook_failures_total{reason="status"}'), 4);
  assert.equal(seriesValue(metrics, 'herald_webhook_queue_depth'), 0);
  // A retried request may arrive after a later one (as with Pusher): a receiver orders events by their
  // request's time_ms, and by that each channel's occupied comes no later than its vacated.
  for (const c of channels) {
    const at = (name: string) => Math.min(...hooks.timed.filter((e) => e.event.channel === c && e.event.name === name).map((e) => e.timeMs));
    assert.ok(at('channel_occupied') <= at('channel_vacated'), `${c}: occupied at ${at('channel_occupied')}, vacated at ${at('channel_vacated')}`);
  }
});

test("a signed-in user's internal #server-to-user channel causes no webhooks; the app's channels do", async (t) => {
  const hooks = await receiver(t);
  const h = await heraldWithWebhooks(t, [{ url: hooks.url }]);
  const carol = signedClient(h, t, { user: { id: 'carol' } });
  await connected(carol);
  const reached = nextEvent(carol.user, 'private-note');
  carol.signin();
  // pusher-js subscribes to #server-to-user-carol after sign-in; an event reaching the user proves it did.
  let got = false;
  void reached.then(() => (got = true));
  await waitFor(async () => {
    if (!got) await h.sdk().sendToUser('carol', 'private-note', { hi: true });
    return got;
  }, 'an event sent to carol');
  await subscribed(carol, 'orders');
  await waitFor(() => named(hooks.events, 'channel_occupied', 'orders').length === 1, 'channel_occupied for orders');
  assert.deepEqual(
    hooks.events.filter((e) => e.channel.startsWith('#')),
    [],
    'no webhook names an internal channel',
  );
});

test('an app whose webhooks want none of what happens records nothing: no queue file is made', async (t) => {
  const hooks = await receiver(t);
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-webhooks-'));
  const h = await heraldWithWebhooks(t, [{ url: hooks.url, events: ['cache_miss'] }], dataDir);
  const client = h.client(t);
  await connected(client);
  await subscribed(client, 'orders');
  client.unsubscribe('orders');
  await sleep(300);
  assert.equal(existsSync(join(dataDir, 'webhooks.sqlite')), false);
  assert.equal(hooks.requests, 0);
});
