import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBroadcasts, decodeControl, decodeReply, encodeBroadcasts } from './messages.js';

test('a batch of broadcasts carries each frame untouched, in order', () => {
  const frame = (n: number) => JSON.stringify({ event: 'e', channel: 'c', data: `{"n":${n},"text":"line\\nbreak ünïcödé 😀"}` });
  const broadcasts = [
    { appId: 'app', channel: 'c', except: '1.2', frame: frame(1) },
    { appId: 'app', channel: 'private-d', except: undefined, frame: frame(2) },
    { appId: 'other', channel: 'c', except: undefined, frame: '' },
    { appId: 'app', channel: 'c', except: undefined, frame: frame(3) },
  ];
  const text = encodeBroadcasts({ from: 'n1', broadcasts });
  assert.ok(text.endsWith(`\n${frame(1)}${frame(2)}${frame(3)}`));
  assert.deepEqual(decodeBroadcasts(text), { from: 'n1', broadcasts });
  assert.deepEqual(decodeBroadcasts(encodeBroadcasts({ from: 'n1', broadcasts: [] })), { from: 'n1', broadcasts: [] });
});

test('malformed messages are refused rather than thrown on', () => {
  assert.equal(decodeBroadcasts('no header'), null);
  assert.equal(decodeBroadcasts('["n1"]\n{}'), null);
  assert.equal(decodeBroadcasts('["n1",[["a","c","",5]]]\n{}'), null, 'a frame shorter than its length');
  assert.equal(decodeBroadcasts('["n1",[["a","c","",2]]]\n{}{}'), null, 'bytes after the last frame');
  assert.equal(decodeBroadcasts('["n1",[["a","c","",-1]]]\n'), null);
  assert.equal(decodeBroadcasts('["n1",[["a",3,"",2]]]\n{}'), null);
  assert.equal(decodeControl('{'), null);
  assert.equal(decodeControl(JSON.stringify({ type: 'terminate_user', from: 'n1', appId: 'a' })), null);
  assert.equal(decodeReply(JSON.stringify({ type: 'answer', from: 'n1' })), null);
});

test('control and reply messages round-trip', () => {
  const query = { type: 'query', from: 'n1', requestId: 'r', query: { kind: 'connection_count', appId: 'a' } } as const;
  assert.deepEqual(decodeControl(JSON.stringify(query)), query);
  const reply = { type: 'answer', from: 'n2', requestId: 'r', answer: { kind: 'count', count: 3 } } as const;
  assert.deepEqual(decodeReply(JSON.stringify(reply)), reply);
});
