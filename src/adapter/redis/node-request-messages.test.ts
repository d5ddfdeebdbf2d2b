import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeNodeRequestMessage, encodeNodeRequestMessage, type NodeRequestMessage } from './node-request-messages.js';

test('each kind of message comes back as it was sent, its payload untouched', () => {
  const payload = `a["{\\"event\\":\\"e\\",\\"data\\":\\"line\\\\nbreak ünïcödé 😀\\"}"]\n`;
  const messages: NodeRequestMessage[] = [
    { t: 'req', from: 'n1', id: '1', service: 'http-session', head: { url: '/app/k/1/abc/xhr_send?n=3', origin: null }, payload: '["frame"]' },
    { t: 'reply', from: 'n2', id: '1', status: 200, headers: { 'content-type': 'application/javascript' }, payload: 'o\n' },
    { t: 'reply', from: 'n2', id: '1', payload },
    { t: 'reply', from: 'n2', id: '1', end: true, payload: '' },
    { t: 'ack', from: 'n1', id: '1', bytes: 42 },
    { t: 'cancel', from: 'n1', id: '1' },
    { t: 'abort', from: 'n2', id: '1' },
  ];
  for (const m of messages) assert.deepEqual(decodeNodeRequestMessage(encodeNodeRequestMessage(m)), m);
  assert.ok(encodeNodeRequestMessage(messages[2]!).endsWith(`\n${payload}`), 'the payload is not escaped again');
});

test('malformed messages are refused rather than thrown on', () => {
  for (const text of [
    'no header',
    '[1,2]\n',
    '{"t":"req","from":"n1","id":"1"}\n',
    '{"t":"reply","from":"n1","id":"1","status":42}\n',
    '{"t":"ack","from":"n1","id":"1","bytes":-1}\n',
    '{"t":"shout","from":"n1","id":"1"}\n',
    '{"t":"cancel","from":1,"id":"1"}\n',
  ]) {
    assert.equal(decodeNodeRequestMessage(text), null, text);
  }
});
