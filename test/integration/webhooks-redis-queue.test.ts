// The cluster's webhook queue against a real Redis: recorded events are
// shared by the nodes, and a batch read by two of them is queued once.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createLogger } from '../../src/logging/logger.js';
import { RedisWebhookQueue } from '../../src/webhooks/redis-queue.js';
import type { WebhookJob } from '../../src/webhooks/queue.js';
import { dropPrefix, REDIS_URL, redisUnavailable, uniquePrefix } from '../helpers/cluster.js';
import { sleep } from '../helpers/wait.js';

const skip = (await redisUnavailable()) ?? false;
const log = createLogger('silent');
const job = (body: string): WebhookJob => ({ appId: 'shop', url: 'https://hooks.example/a', body, eventNames: ['channel_occupied'] });

describe('RedisWebhookQueue', { skip }, () => {
  const prefix = uniquePrefix('webhook-queue');
  const queues: RedisWebhookQueue[] = [];
  const open = () => {
    const queue = new RedisWebhookQueue(REDIS_URL, prefix, log);
    queues.push(queue);
    return queue;
  };
  after(async () => {
    await Promise.all(queues.map((q) => q.close()));
    await dropPrefix(prefix);
  });

  test('events recorded on one node are read, in order, by another', async () => {
    const a = open();
    const b = open();
    a.record('shop', { name: 'channel_occupied', channel: 'orders' });
    a.record('shop', { name: 'member_added', channel: 'presence-room', user_id: '7' });
    await sleep(50);
    const batch = await b.recorded(10, 0);
    assert.deepEqual(batch?.events, [
      { appId: 'shop', event: { name: 'channel_occupied', channel: 'orders' } },
      { appId: 'shop', event: { name: 'member_added', channel: 'presence-room', user_id: '7' } },
    ]);
    assert.equal(await b.recorded(10, 60_000), null, 'too young for a node that did not record them');
    assert.equal(await b.enqueueBatch(batch!, []), true);
  });

  test('a batch read by two nodes is queued by the first to finish, once; events recorded meanwhile stay', async () => {
    const a = open();
    const b = open();
    a.record('shop', { name: 'channel_occupied', channel: 'x' });
    a.record('shop', { name: 'channel_occupied', channel: 'y' });
    const onA = await a.recorded(10, 0);
    const onB = await b.recorded(10, 0);
    assert.ok(onA && onB);
    a.record('shop', { name: 'channel_occupied', channel: 'z' });
    assert.equal(await b.enqueueBatch(onB, [job('xy')]), true);
    assert.equal(await a.enqueueBatch(onA, [job('xy from a')]), false);
    assert.deepEqual((await a.claim(10, 1000)).map((j) => j.body), ['xy']);
    const rest = await b.recorded(10, 0);
    assert.deepEqual(rest?.events.map((e) => e.event.channel), ['z']);
    assert.equal(await b.enqueueBatch(rest!, []), true);
  });

  test('events recorded before the connection is up are held, then written in order', async () => {
    const fresh = open();
    for (let i = 0; i < 3; i++) fresh.record('shop', { name: 'cache_miss', channel: `held-${i}` });
    const batch = await fresh.recorded(10, 0);
    assert.deepEqual(batch?.events.map((e) => e.event.channel), ['held-0', 'held-1', 'held-2']);
    assert.equal(await fresh.enqueueBatch(batch!, []), true);
  });
});
