// Cache channels keep the last event and hand it to every new subscriber
// right after it subscribes; with nothing cached it is told
// `pusher:cache_miss` instead. Every kind of cache channel behaves the same.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test, type TestContext } from 'node:test';
import { APP, signedClient, startHerald, type RunningHerald } from '../helpers/herald.js';
import { rid } from '../helpers/ids.js';
import type { PusherJS } from '../helpers/pusher-js.js';
import { connected, nextEvent, recordMessages, subscribed, waitFor, waitForMessage, type ReceivedMessage } from '../helpers/wait.js';

let h: RunningHerald;
before(async () => {
  h = await startHerald();
});
after(() => h.close());

const masterKey = randomBytes(32).toString('base64');
const sdk = () => h.sdk({ encryptionMasterKeyBase64: masterKey });

const PREFIXES = ['cache-', 'private-cache-', 'presence-cache-', 'private-encrypted-cache-'] as const;

async function newClient(t: TestContext): Promise<{ client: PusherJS; messages: ReceivedMessage[] }> {
  const client = signedClient(h, t, { sdk: sdk(), presence: { user_id: `user-${rid()}`, user_info: { name: 'Cache' } } });
  const messages = recordMessages(client);
  await connected(client);
  return { client, messages };
}

/** Events on `channel` in the order they arrived, internal ones included. */
const eventsOn = (messages: ReceivedMessage[], channel: string) => messages.filter((m) => m.channel === channel).map((m) => m.event);

async function controlEvent(messages: ReceivedMessage[], channel: string): Promise<void> {
  const marker = rid();
  await sdk().trigger(channel, 'control-event', { marker });
  await waitForMessage(messages, (m) => m.channel === channel && m.event === 'control-event', 'the control event');
}

for (const prefix of PREFIXES) {
  test(`${prefix}: a late subscriber gets the last event right after subscribing, and only the last`, async (t) => {
    const name = `${prefix}prices-${rid()}`;
    await sdk().trigger(name, 'price.changed', { price: 1 });
    await sdk().trigger(name, 'price.changed', { price: 2 });

    const { client, messages } = await newClient(t);
    const channel = client.subscribe(name);
    const last = nextEvent<unknown>(channel, 'price.changed');
    await subscribed(client, name);
    assert.deepEqual(await last, { price: 2 });
    await controlEvent(messages, name);
    assert.deepEqual(eventsOn(messages, name), ['pusher_internal:subscription_succeeded', 'price.changed', 'control-event']);
  });

  test(`${prefix}: an empty cache channel answers pusher:cache_miss on the channel`, async (t) => {
    const name = `${prefix}empty-${rid()}`;
    const { client, messages } = await newClient(t);
    const miss = nextEvent(client.subscribe(name), 'pusher:cache_miss');
    await subscribed(client, name);
    await miss;
    assert.deepEqual(eventsOn(messages, name), ['pusher_internal:subscription_succeeded', 'pusher:cache_miss']);
  });
}

test('the cached event outlives its subscribers: it is replayed after the channel was vacated', async (t) => {
  const name = `cache-scores-${rid()}`;
  const first = await newClient(t);
  const channel = await subscribed(first.client, name);
  const live = nextEvent<unknown>(channel, 'score');
  await sdk().trigger(name, 'score', { home: 1, away: 0 });
  assert.deepEqual(await live, { home: 1, away: 0 });
  first.client.unsubscribe(name);
  await waitFor(async () => (await h.herald.adapter.subscriptionCount(APP.id, name)) === 0, 'the channel to be vacated');

  const second = await newClient(t);
  const replayed = nextEvent<unknown>(second.client.subscribe(name), 'score');
  assert.deepEqual(await replayed, { home: 1, away: 0 });
});

test('a subscriber that is already there is not sent the cached event again', async (t) => {
  const name = `cache-weather-${rid()}`;
  await sdk().trigger(name, 'forecast', { sky: 'grey' });
  const early = await newClient(t);
  await subscribed(early.client, name);
  await waitForMessage(early.messages, (m) => m.channel === name && m.event === 'forecast', 'the replayed forecast');

  const late = await newClient(t);
  await subscribed(late.client, name);
  await controlEvent(early.messages, name);
  assert.deepEqual(eventsOn(early.messages, name), ['pusher_internal:subscription_succeeded', 'forecast', 'control-event']);
});

test('a public channel without the cache- prefix replays nothing', async (t) => {
  const name = `prices-${rid()}`;
  await sdk().trigger(name, 'price.changed', { price: 1 });
  const { client, messages } = await newClient(t);
  await subscribed(client, name);
  await controlEvent(messages, name);
  assert.deepEqual(eventsOn(messages, name), ['pusher_internal:subscription_succeeded', 'control-event']);
});
