import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSerial } from '../protocol/serial.js';
import { MemoryHistory } from './memory-history.js';

const policy = { maxEvents: 3, maxAgeSeconds: 10 };

function clockAt(start: number) {
  const clock = { now: start, read: () => clock.now };
  return clock;
}

test('serials grow strictly even when the clock stands still or steps back', () => {
  const clock = clockAt(1000);
  const h = new MemoryHistory(clock.read);
  const a = h.append('app', 'c', policy, '{"a":1}');
  const b = h.append('app', 'c', policy, '{"a":2}');
  clock.now = 900;
  const c = h.append('app', 'c', policy, '{"a":3}');
  assert.deepEqual([a, b, c], ['1000-0', '1000-1', '1000-2']);
  h.close();
});

test('the count bound drops the oldest; a resume from before what was dropped is expired, from after it is whole', async () => {
  const clock = clockAt(1000);
  const h = new MemoryHistory(clock.read);
  const serials = [1, 2, 3, 4, 5].map((n) => {
    clock.now += 1;
    return h.append('app', 'c', policy, `{"n":${n}}`);
  });
  assert.deepEqual(await h.read('app', 'c', policy, parseSerial(serials[0]), 10), { kind: 'expired' });
  const whole = await h.read('app', 'c', policy, parseSerial(serials[1]), 10);
  assert.equal(whole.kind, 'events');
  assert.deepEqual(whole.kind === 'events' && whole.events.map((e) => e.serial), serials.slice(2));
  const paged = await h.read('app', 'c', policy, parseSerial(serials[1]), 2);
  assert.equal(paged.kind === 'events' && paged.more, true);
  h.close();
});

test('the age bound: a quiet channel whose old events expired still resumes whole from its last one', async () => {
  const clock = clockAt(1000);
  const h = new MemoryHistory(clock.read);
  const old = h.append('app', 'c', policy, '{"n":0}');
  clock.now += 11_000;
  const fresh = h.append('app', 'c', policy, '{"n":1}');
  const read = await h.read('app', 'c', policy, parseSerial(old), 10);
  assert.deepEqual(read.kind === 'events' && read.events.map((e) => e.serial), [fresh]);
  clock.now += 11_000;
  assert.deepEqual(await h.read('app', 'c', policy, parseSerial(old), 10), { kind: 'expired' });
  h.close();
});

test('unknown serials, unknown channels, and what it all costs', async () => {
  const clock = clockAt(5000);
  const h = new MemoryHistory(clock.read);
  h.append('app', 'c', policy, 'x'.repeat(10));
  h.append('app', 'd', policy, 'y'.repeat(20));
  assert.deepEqual(await h.read('app', 'c', policy, { ms: 6000, seq: 0 }, 10), { kind: 'unknown_serial' });
  // A channel that kept nothing (or was forgotten, or the server restarted): events after the serial are lost.
  assert.deepEqual(await h.read('app', 'gone', policy, { ms: 4000, seq: 0 }, 10), { kind: 'expired' });
  assert.deepEqual(await h.read('app', 'gone', policy, null, 10), { kind: 'events', events: [], more: false });
  assert.deepEqual(await h.usage(), { channels: 2, events: 2, bytes: 30 });
  h.close();
});
