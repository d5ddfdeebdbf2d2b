import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appSchema } from '../apps/app-schema.js';
import { jobsFor, MAX_EVENTS_PER_REQUEST } from './batcher.js';
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
