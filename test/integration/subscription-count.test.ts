// Pusher's subscription counting, as pusher-js surfaces it
// (`channel.bind('pusher:subscription_count')`, `channel.subscriptionCount`),
// for an app that turns it on; other apps never see it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { APP, startHerald, type RunningHerald } from '../helpers/herald.js';
import { connected, recordMessages, subscribed, waitFor, waitForMessage } from '../helpers/wait.js';

const COUNTING = { id: 'counting-app', key: 'counting-key', secret: 'counting-secret', subscriptionCountEvents: true };
let h: RunningHerald;
before(async () => {
  h = await startHerald({ apps: [{ ...APP }, COUNTING] });
});
after(() => h.close());

test('subscribers hear the count when it changes, settled after a burst', async (t) => {
  const first = h.client(t, {}, COUNTING.key);
  await connected(first);
  const channel = await subscribed(first, 'count-room');
  const counts: number[] = [];
  channel.bind('pusher:subscription_count', (data: { subscription_count: number }) => counts.push(data.subscription_count));

  const second = h.client(t, {}, COUNTING.key);
  const third = h.client(t, {}, COUNTING.key);
  await Promise.all([subscribed(second, 'count-room'), subscribed(third, 'count-room')]);
  await waitFor(() => counts.at(-1) === 3, "a count of 3");

  third.unsubscribe('count-room');
  await waitFor(() => counts.at(-1) === 2, "a count of 2");
  assert.equal((channel as unknown as { subscriptionCount: number }).subscriptionCount, 2, 'pusher-js keeps the count on the channel');
  // Changes are settled before they are told: never more counts than changes (3 joins, 1 leave).
  assert.ok(counts.length <= 4, `counts told: ${JSON.stringify(counts)}`);
});

test('an app without subscription counting never sends the count', async (t) => {
  const first = h.client(t);
  const messages = recordMessages(first);
  await connected(first);
  await subscribed(first, 'quiet-room');
  const second = h.client(t);
  await subscribed(second, 'quiet-room');
  // Control: an event sent after the second subscription has arrived, so a count would have too.
  await h.sdk().trigger('quiet-room', 'control', { n: 1 });
  await waitForMessage(messages, (m) => m.channel === 'quiet-room' && m.event === 'control', 'the control event');
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(messages.filter((m) => m.event === 'pusher_internal:subscription_count').length, 0);
});
