import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newSocketId, SOCKET_ID_PATTERN } from './socket-id.js';

test('socket ids are Pusher-shaped, in range and do not repeat across refills of the random pool', () => {
  const seen = new Set<string>();
  // Many times the ids one pool of random bytes makes: the refills are crossed.
  for (let i = 0; i < 20_000; i++) {
    const id = newSocketId();
    assert.match(id, SOCKET_ID_PATTERN);
    const [first, second] = id.split('.').map(Number) as [number, number];
    assert.ok(first >= 1 && first < 2 ** 31, id);
    assert.ok(second >= 1 && second < 2 ** 47, id);
    seen.add(id);
  }
  assert.equal(seen.size, 20_000);
});

test('both parts of socket ids use their whole range', () => {
  let highFirst = 0;
  let highSecond = 0;
  for (let i = 0; i < 2000; i++) {
    const [first, second] = newSocketId().split('.').map(Number) as [number, number];
    if (first >= 2 ** 30) highFirst++;
    if (second >= 2 ** 46) highSecond++;
  }
  // About half of each are in the upper half of their range; a stuck bit would make it none or all.
  assert.ok(highFirst > 800 && highFirst < 1200, `upper half of the first part: ${highFirst} of 2000`);
  assert.ok(highSecond > 800 && highSecond < 1200, `upper half of the second part: ${highSecond} of 2000`);
});
