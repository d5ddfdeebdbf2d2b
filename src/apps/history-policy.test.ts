import assert from 'node:assert/strict';
import { test } from 'node:test';
import { historyPolicy } from './history-policy.js';

test('history rules: * matches any run of characters, the rest is literal, the first matching rule wins', () => {
  const app = {
    history: [
      { channels: 'private-vendor-orders.*', maxEvents: 100, maxAgeSeconds: 300 },
      { channels: '*', maxEvents: 5, maxAgeSeconds: 60 },
    ],
  };
  assert.deepEqual(historyPolicy(app, 'private-vendor-orders.42'), { maxEvents: 100, maxAgeSeconds: 300 });
  // '.' is literal, not "any character".
  assert.deepEqual(historyPolicy(app, 'private-vendor-ordersX42'), { maxEvents: 5, maxAgeSeconds: 60 });
  assert.equal(historyPolicy({ history: [{ channels: 'orders-*', maxEvents: 1, maxAgeSeconds: 1 }] }, 'news-1'), null);
  assert.equal(historyPolicy({ history: [{ channels: 'orders-*', maxEvents: 1, maxAgeSeconds: 1 }] }, 'x-orders-1'), null);
  assert.equal(historyPolicy({ history: [] }, 'orders-1'), null);
});
