import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryDelayMs } from './backoff.js';

const policy = { baseMs: 1000, maxMs: 60_000 };

test('the delay doubles with each attempt, within its jitter band', () => {
  assert.equal(retryDelayMs(policy, 1, () => 0), 500);
  assert.equal(retryDelayMs(policy, 1, () => 1), 1000);
  assert.equal(retryDelayMs(policy, 2, () => 1), 2000);
  assert.equal(retryDelayMs(policy, 4, () => 0), 4000);
  assert.equal(retryDelayMs(policy, 4, () => 1), 8000);
});

test('the delay never exceeds the maximum, however many attempts', () => {
  for (const attempts of [7, 20, 1000]) {
    assert.equal(retryDelayMs(policy, attempts, () => 1), 60_000);
    assert.equal(retryDelayMs(policy, attempts, () => 0), 30_000);
  }
});

test('jitter spreads the delays of jobs that failed together', () => {
  const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(policy, 3)));
  assert.ok(delays.size > 10, `expected spread, got ${[...delays].join(',')}`);
});
