import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientKey, FailedLogins } from './failed-logins.js';

const T0 = 1_700_000_000_000;

test('an address may fail 10 times in any minute; the 11th try waits until the oldest failure is a minute old', () => {
  const failures = new FailedLogins({ failures: 10, windowMs: 60_000 });
  for (let i = 0; i < 10; i++) {
    assert.equal(failures.retryAfterMs('a', T0 + i * 1000), 0);
    failures.failed('a', T0 + i * 1000);
  }
  assert.equal(failures.retryAfterMs('a', T0 + 10_000), 50_000);
  assert.equal(failures.retryAfterMs('a', T0 + 59_999), 1);
  // The first failure has left the window: one more try, and after another failure the next one leaves.
  assert.equal(failures.retryAfterMs('a', T0 + 60_000), 0);
  failures.failed('a', T0 + 60_000);
  assert.equal(failures.retryAfterMs('a', T0 + 60_000), 1000);
  assert.equal(failures.retryAfterMs('b', T0 + 60_000), 0, 'other addresses are not affected');
  // A minute after the last failure the address is forgotten.
  assert.equal(failures.retryAfterMs('a', T0 + 120_000), 0);
  assert.equal(failures.size, 0);
});

test('at most so many addresses are remembered, the longest quiet one forgotten first', () => {
  const failures = new FailedLogins({ failures: 1, windowMs: 60_000 }, 3);
  for (const [i, address] of ['a', 'b', 'c'].entries()) failures.failed(address, T0 + i);
  failures.failed('a', T0 + 3); // a is now the most recent
  failures.failed('d', T0 + 4);
  assert.equal(failures.size, 3);
  assert.equal(failures.retryAfterMs('b', T0 + 5), 0, 'b was forgotten');
  for (const address of ['a', 'c', 'd']) assert.ok(failures.retryAfterMs(address, T0 + 5) > 0, address);
});

test('an IPv4 address is its own key; IPv6 addresses share their /64', () => {
  assert.equal(clientKey('203.0.113.9'), '203.0.113.9');
  assert.equal(clientKey('::ffff:203.0.113.9'), '203.0.113.9');
  assert.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:0db8:0001:0002:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(clientKey('::1'), '0:0:0:0::/64');
  assert.notEqual(clientKey('2001:db8:1:3::1'), clientKey('2001:db8:1:2::1'));
  assert.equal(clientKey(undefined), 'unknown');
});
