import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StaticAppStore } from '../apps/app-store.js';
import { appSchema } from '../apps/app-schema.js';
import { WantedEvents } from './wanted-events.js';

const shop = appSchema.parse({ id: 'shop', key: 'shop-key', secret: 's', webhooks: [{ url: 'https://h.example/a', events: ['member_added'] }] });
const quiet = appSchema.parse({ id: 'quiet', key: 'quiet-key', secret: 's' });

test('only the events some URL of the app wants go through, in the order they happened, the first ones after the lookup', async () => {
  const wanted = new WantedEvents(new StaticAppStore([shop, quiet]), 60_000);
  const passed: string[] = [];
  wanted.whenWanted('shop', 'member_added', () => passed.push('a1'));
  wanted.whenWanted('shop', 'channel_occupied', () => passed.push('occupied'));
  wanted.whenWanted('shop', 'member_added', () => passed.push('a2'));
  wanted.whenWanted('quiet', 'member_added', () => passed.push('quiet'));
  assert.equal(passed.length, 0, 'nothing before the app is known');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(passed, ['a1', 'a2']);
  // Known now: answered in the same call.
  wanted.whenWanted('shop', 'member_added', () => passed.push('a3'));
  assert.deepEqual(passed, ['a1', 'a2', 'a3']);
});

test('an answer older than the refresh time is looked up again in the background, the old one serving meanwhile', async () => {
  let app = quiet;
  const store = { findById: async () => app, findByKey: async () => app, list: async () => [app] };
  const wanted = new WantedEvents(store, 0);
  const passed: string[] = [];
  wanted.whenWanted('quiet', 'member_added', () => passed.push('before'));
  await new Promise((resolve) => setImmediate(resolve));
  app = { ...quiet, webhooks: shop.webhooks };
  wanted.whenWanted('quiet', 'member_added', () => passed.push('stale answer'));
  await new Promise((resolve) => setImmediate(resolve));
  wanted.whenWanted('quiet', 'member_added', () => passed.push('after'));
  assert.deepEqual(passed, ['after']);
});

test('a store that cannot answer lets every event through (the batch checks again)', async () => {
  const store = { findById: async () => Promise.reject(new Error('down')), findByKey: async () => undefined, list: async () => [] };
  const wanted = new WantedEvents(store, 60_000);
  const passed: string[] = [];
  wanted.whenWanted('shop', 'client_event', () => passed.push('kept'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(passed, ['kept']);
});
