import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFrame } from './frames.js';
import { compareSerials, laterSerial } from './serial.js';

test('serials are ordered by their numbers, not as text', () => {
  assert.ok(compareSerials('9-0', '10-0') < 0);
  assert.ok(compareSerials('10-2', '10-10') < 0);
  assert.equal(compareSerials('7-1', '7-1'), 0);
  assert.equal(laterSerial('10-0', '9-5'), '10-0');
  assert.equal(laterSerial(null, '9-5'), '9-5');
});

test('an event frame gives its channel and serial; Pusher frames without one mean nothing', () => {
  assert.deepEqual(readFrame('{"event":"order.created","channel":"orders","data":"{\\"serial\\":1}","serial":"1764756000000-3"}'), {
    kind: 'event',
    channel: 'orders',
    serial: '1764756000000-3',
  });
  // A "serial" inside the event's data is the app's, not Herald's.
  assert.equal(readFrame('{"event":"order.created","channel":"orders","data":"{\\"serial\\":\\"1-1\\"}"}'), null);
  assert.equal(readFrame('{"event":"pusher:pong","data":"{}"}'), null);
  assert.equal(readFrame('not json "serial"'), null);
  assert.equal(readFrame(undefined), null);
});

test('resume answers are read whether their data is an object or JSON text', () => {
  assert.deepEqual(readFrame('{"event":"herald:resume_succeeded","channel":"orders","data":"{\\"replayed\\":2,\\"serial\\":\\"5-1\\"}"}'), {
    kind: 'resumed',
    channel: 'orders',
    replayed: 2,
    serial: '5-1',
  });
  assert.deepEqual(readFrame('{"event":"herald:resume_failed","channel":"orders","data":{"reason":"expired","message":"too old"}}'), {
    kind: 'resume-failed',
    channel: 'orders',
    reason: 'expired',
    message: 'too old',
  });
  assert.deepEqual(readFrame('{"event":"pusher_internal:subscription_succeeded","channel":"presence-a","data":"{}"}'), { kind: 'subscribed', channel: 'presence-a' });
});
