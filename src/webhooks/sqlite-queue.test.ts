import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { WebhookJob } from './queue.js';
import { SqliteWebhookQueue } from './sqlite-queue.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-queue-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const job = (body: string): WebhookJob => ({ appId: 'shop', url: 'https://hooks.example/a', body, eventNames: ['channel_occupied'] });

test('a recorded event is in the file when record returns: a process that never closes it loses nothing', async () => {
  const path = join(dir, 'kill.sqlite');
  const dying = new SqliteWebhookQueue(path);
  dying.record('shop', { name: 'channel_occupied', channel: 'orders' });
  dying.record('shop', { name: 'member_added', channel: 'presence-room', user_id: '7' });
  // Another connection to the file sees what a restarted process would.
  const restarted = new SqliteWebhookQueue(path);
  const batch = await restarted.recorded(10, 0);
  assert.deepEqual(batch?.events, [
    { appId: 'shop', event: { name: 'channel_occupied', channel: 'orders' } },
    { appId: 'shop', event: { name: 'member_added', channel: 'presence-room', user_id: '7' } },
  ]);
  await restarted.close();
  await dying.close();
});

test('events younger than the minimum age are left for their own window', async () => {
  const queue = new SqliteWebhookQueue(join(dir, 'age.sqlite'));
  queue.record('shop', { name: 'cache_miss', channel: 'cache-a' });
  assert.equal(await queue.recorded(10, 60_000), null);
  assert.equal((await queue.recorded(10, 0))?.events.length, 1);
  await queue.close();
});

test('a batch becomes its jobs at once; events recorded meanwhile stay; a batch taken already queues nothing', async () => {
  const queue = new SqliteWebhookQueue(join(dir, 'batch.sqlite'));
  queue.record('shop', { name: 'channel_occupied', channel: 'a' });
  queue.record('shop', { name: 'channel_occupied', channel: 'b' });
  const batch = await queue.recorded(10, 0);
  assert.ok(batch);
  queue.record('shop', { name: 'channel_occupied', channel: 'c' });
  assert.equal(await queue.enqueueBatch(batch, [job('ab')]), true);
  assert.equal(await queue.enqueueBatch(batch, [job('ab again')]), false);
  assert.deepEqual((await queue.claim(10, 1000)).map((j) => j.body), ['ab']);
  assert.deepEqual((await queue.recorded(10, 0))?.events.map((e) => e.event.channel), ['c']);
  await queue.close();
});

test('reads are in the order of recording, at most the given number', async () => {
  const queue = new SqliteWebhookQueue(join(dir, 'order.sqlite'));
  for (let i = 0; i < 5; i++) queue.record('shop', { name: 'cache_miss', channel: `c${i}` });
  const first = await queue.recorded(3, 0);
  assert.deepEqual(first?.events.map((e) => e.event.channel), ['c0', 'c1', 'c2']);
  assert.equal(await queue.enqueueBatch(first!, []), true);
  assert.deepEqual((await queue.recorded(3, 0))?.events.map((e) => e.event.channel), ['c3', 'c4']);
  await queue.close();
});
