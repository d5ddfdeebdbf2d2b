import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBroadcast, decodeControl, decodeReply, encodeBroadcast } from './messages.js';

test('a broadcast carries the frame untouched after its header', () => {
  const frame = JSON.stringify({ event: 'e', channel: 'c', data: '{"text":"line\\nbreak"}' });
  const text = encodeBroadcast({ from: 'n1', appId: 'app', channel: 'c', except: '1.2', frame });
  assert.ok(text.endsWith(`\n${frame}`));
  assert.deepEqual(decodeBroadcast(text), { from: 'n1', appId: 'app', channel: 'c', except: '1.2', frame });
  assert.equal(decodeBroadcast(encodeBroadcast({ from: 'n1', appId: 'app', channel: 'c', except: undefined, frame }))?.except, undefined);
});

test('malformed messages are refused rather than thrown on', () => {
  assert.equal(decodeBroadcast('no header'), null);
  assert.equal(decodeBroadcast('["too","short"]\n{}'), null);
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
