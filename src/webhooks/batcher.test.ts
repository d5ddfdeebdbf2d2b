import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appSchema } from '../apps/app-schema.js';
import { jobsFor, MAX_COUNTS_PER_BATCH, MAX_EVENTS_PER_REQUEST, withCounts } from './batcher.js';
import type { WebhookEvent } from '../protocol/webhook-events.js';

const app = appSchema.parse({
  id: 'shop',
  key: 'shop-key',
  secret: 'shop-secret',
  webhooks: [
    { url: 'https://hooks.example/presence', events: ['member_added', 'member_removed'] },
    { url: 'https://hooks.example/all' },
  ],
});

const events: WebhookEvent[] = [
  { name: 'channel_occupied', channel: 'presence-room' },
  { name: 'member_added', channel: 'presence-room', user_id: '7' },
  { name: 'client_event', channel: 'presence-room', event: 'client-typing', data: '{}', socket_id: '1.2', user_id: '7' },
];

test('each URL gets one request with only the events it asked for, in order', () => {
  const jobs = jobsFor(app, events, 1234);
  assert.equal(jobs.length, 2);
  assert.deepEqual(JSON.parse(jobs[0]!.body), { time_ms: 1234, events: [events[1]] });
  assert.deepEqual(jobs[0]!.eventNames, ['member_added']);
  assert.equal(jobs[1]!.url, 'https://hooks.example/all');
  assert.deepEqual(JSON.parse(jobs[1]!.body).events, events);
});

test('a URL that wants none of the events gets no request', () => {
  const jobs = jobsFor(app, [events[0]!], 1);
  assert.deepEqual(jobs.map((j) => j.url), ['https://hooks.example/all']);
});

test('a long batch is split into requests of at most the maximum', () => {
  const many: WebhookEvent[] = Array.from({ length: MAX_EVENTS_PER_REQUEST * 2 + 1 }, (_, i) => ({ name: 'cache_miss', channel: `cache-${i}` }));
  const jobs = jobsFor(app, many, 1);
  assert.deepEqual(jobs.map((j) => j.eventNames.length), [MAX_EVENTS_PER_REQUEST, MAX_EVENTS_PER_REQUEST, 1]);
});

test('an app without webhooks sends nothing', () => {
  assert.deepEqual(jobsFor(appSchema.parse({ id: 'a', key: 'b', secret: 'c' }), events), []);
});

test('subscription count changes become one event per channel, with the count read when the batch is made', async () => {
  const counts = new Map([['a', 3], ['b', 0]]);
  const events = await withCounts(
    [
      { name: 'subscription_count', channel: 'a' },
      { name: 'channel_occupied', channel: 'b' },
      { name: 'subscription_count', channel: 'b' },
      { name: 'subscription_count', channel: 'a' },
    ],
    async (channel) => counts.get(channel) ?? -1,
  );
  assert.deepEqual(events, [
    { name: 'channel_occupied', channel: 'b' },
    { name: 'subscription_count', channel: 'a', subscription_count: 3 },
    { name: 'subscription_count', channel: 'b', subscription_count: 0 },
  ]);
});

test('no count is read when no URL wants them, and at most so many channels per batch', async () => {
  const changes = Array.from({ length: MAX_COUNTS_PER_BATCH + 5 }, (_, i) => ({ name: 'subscription_count' as const, channel: `c${i}` }));
  assert.deepEqual(await withCounts(changes, null), []);
  let reads = 0;
  await withCounts(changes, async () => reads++);
  assert.equal(reads, MAX_COUNTS_PER_BATCH);
});
