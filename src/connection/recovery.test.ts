import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSerial } from '../protocol/serial.js';
import { ConnectionRecovery } from './recovery.js';

const at = (s: string) => parseSerial(s) ?? assert.fail(s);

test('a resume holds live events, replays, then releases the held ones once each, in order', () => {
  const written: string[] = [];
  const r = new ConnectionRecovery((f) => written.push(f));
  assert.equal(r.resumeLater('c', '1-0', 10), true);
  r.subscribed('c');
  r.live('c', '3-0', 'live 3');
  assert.equal(r.takePending('c'), '1-0');
  assert.equal(r.begin('c'), true);
  assert.equal(r.begin('c'), false, 'one resume at a time per channel');
  r.live('c', '4-0', 'live 4');
  r.seen('c', at('1-0'));
  for (const s of ['2-0', '3-0']) r.replay('c', at(s), `replay ${s}`);
  assert.deepEqual(written, ['replay 2-0', 'replay 3-0']);
  r.finish('c');
  r.live('c', '4-0', 'live 4 again');
  r.live('c', '5-0', 'live 5');
  assert.deepEqual(written, ['replay 2-0', 'replay 3-0', 'live 4', 'live 5']);
});

test('pending resumes are bounded; leaving a channel forgets everything about it', () => {
  const written: string[] = [];
  const r = new ConnectionRecovery((f) => written.push(f));
  assert.equal(r.resumeLater('a', '1-0', 2), true);
  assert.equal(r.resumeLater('b', '1-0', 2), true);
  assert.equal(r.resumeLater('c', '1-0', 2), false);
  assert.equal(r.resumeLater('a', '2-0', 2), true, 'replacing one is not another');
  r.subscribed('a');
  r.unsubscribed('a');
  assert.equal(r.takePending('a'), undefined);
  r.live('a', '1-0', 'a live');
  assert.deepEqual(written, ['a live'], 'no longer held');
});
