import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHerald, type RunningHerald } from '../helpers/herald.js';
import { connected, nextEvent, subscribed } from '../helpers/wait.js';

let h: RunningHerald;
before(async () => {
  h = await startHerald();
});
after(() => h.close());

test('an orders board receives order.created triggered by the SDK', async (t) => {
  const client = h.client(t);
  await connected(client);
  const orders = await subscribed(client, 'orders');
  const got = nextEvent<{ id: number }>(orders, 'order.created');
  const res = await h.sdk().trigger('orders', 'order.created', { id: 42, total: '9.90' });
  assert.equal(res.status, 200);
  assert.deepEqual(await got, { id: 42, total: '9.90' });
});
