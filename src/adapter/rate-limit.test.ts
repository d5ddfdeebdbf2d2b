import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LocalRateLimiter } from './rate-limit.js';

/** A limiter on a clock the test moves by hand. */
function limiterAt(start: number) {
  let now = start;
  const limiter = new LocalRateLimiter(() => now);
  return { limiter, set: (ms: number) => (now = ms) };
}

describe('LocalRateLimiter', () => {
  test('allows the limit within one second, refuses the next, and allows again in the next second', () => {
    const { limiter, set } = limiterAt(10_000);
    assert.deepEqual([1, 2, 3].map(() => limiter.takeNow('a', 'api_request', 3).allowed), [true, true, true]);
    set(10_400);
    const refused = limiter.takeNow('a', 'api_request', 3);
    assert.equal(refused.allowed, false);
    assert.equal(refused.retryAfterMs, 600);
    set(11_000);
    assert.equal(limiter.takeNow('a', 'api_request', 3).allowed, true);
  });

  test('counts apps and actions apart', () => {
    const { limiter } = limiterAt(0);
    assert.equal(limiter.takeNow('a', 'api_request', 1).allowed, true);
    assert.equal(limiter.takeNow('a', 'api_request', 1).allowed, false);
    assert.equal(limiter.takeNow('b', 'api_request', 1).allowed, true);
    assert.equal(limiter.takeNow('a', 'backend_event', 1).allowed, true);
  });

  test('a cost that does not fit takes nothing, so smaller requests still pass', () => {
    const { limiter } = limiterAt(0);
    assert.equal(limiter.takeNow('a', 'backend_event', 5, 4).allowed, true);
    assert.equal(limiter.takeNow('a', 'backend_event', 5, 2).allowed, false);
    assert.equal(limiter.takeNow('a', 'backend_event', 5, 1).allowed, true);
    assert.equal(limiter.takeNow('a', 'backend_event', 5, 1).allowed, false);
  });

  test('a cost above the limit is never allowed', async () => {
    const { limiter } = limiterAt(0);
    assert.equal((await limiter.take('a', 'backend_event', 5, 6)).allowed, false);
  });
});
