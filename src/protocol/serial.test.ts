import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareSerials, parseSerial } from './serial.js';

test('serials compare as numbers, not as text', () => {
  const s = (t: string) => parseSerial(t) ?? assert.fail(`${t} is a serial`);
  assert.ok(compareSerials(s('9-0'), s('10-0')) < 0);
  assert.ok(compareSerials(s('10-2'), s('10-10')) < 0);
  assert.equal(compareSerials(s('10-2'), s('10-2')), 0);
  // What Redis records as "everything of that millisecond" is a serial too, after every real one of it.
  assert.ok(compareSerials(s('10-5'), s('10-18446744073709551615')) < 0);
});

test('anything else is not a serial', () => {
  for (const text of ['', '10', '-1-0', '10-', 'a-0', '1.5-0', '10-0-0', ' 10-0', '1234567890123456-0', 10, null, undefined]) {
    assert.equal(parseSerial(text), null, String(text));
  }
});
