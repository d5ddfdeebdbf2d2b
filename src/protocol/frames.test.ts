import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connectionEstablishedFrame, dataAsObject, encodeFrame, parseInboundFrame } from './frames.js';

describe('parseInboundFrame', () => {
  test('parses a frame as pusher-js sends it', () => {
    assert.deepEqual(parseInboundFrame('{"event":"pusher:subscribe","data":{"auth":"","channel":"orders"}}'), {
      ok: true,
      frame: { event: 'pusher:subscribe', channel: undefined, data: { auth: '', channel: 'orders' } },
    });
  });

  test('keeps a client event as sent, channel and any data', () => {
    for (const data of [{ typing: true }, 'text', 42, null, [1, 2]]) {
      const result = parseInboundFrame(JSON.stringify({ event: 'client-typing', channel: 'private-chat', data }));
      assert.deepEqual(result, { ok: true, frame: { event: 'client-typing', channel: 'private-chat', data } });
    }
  });

  test('a frame without data is still a frame', () => {
    assert.deepEqual(parseInboundFrame('{"event":"pusher:ping"}'), { ok: true, frame: { event: 'pusher:ping', channel: undefined, data: undefined } });
  });

  test('refuses what is not JSON, naming why', () => {
    for (const text of ['', 'ping', '{"event":', '{event:"x"}']) {
      assert.deepEqual(parseInboundFrame(text), { ok: false, problem: 'frame is not valid JSON' }, text);
    }
  });

  test('refuses JSON that is not an object', () => {
    for (const text of ['null', '[]', '[{"event":"x"}]', '"x"', '42', 'true']) {
      assert.deepEqual(parseInboundFrame(text), { ok: false, problem: 'frame must be a JSON object' }, text);
    }
  });

  test("refuses a missing, empty or non-string event and a non-string channel", () => {
    for (const frame of [{}, { event: '' }, { event: 42 }, { event: null, data: {} }]) {
      const result = parseInboundFrame(JSON.stringify(frame));
      assert.equal(result.ok, false);
      assert.match(!result.ok ? result.problem : '', /string 'event'/);
    }
    const result = parseInboundFrame(JSON.stringify({ event: 'client-x', channel: 7 }));
    assert.deepEqual(result, { ok: false, problem: "frame 'channel' must be a string" });
  });
});

describe('dataAsObject', () => {
  test('takes an object as is', () => {
    assert.deepEqual(dataAsObject({ channel: 'x' }), { channel: 'x' });
  });

  test('decodes an object sent as a JSON string', () => {
    assert.deepEqual(dataAsObject('{"channel":"x"}'), { channel: 'x' });
  });

  test('gives null for anything else', () => {
    for (const data of ['not json', '[1]', '"x"', '42', 'null', null, undefined, 42, [{ a: 1 }], true]) {
      assert.equal(dataAsObject(data), null, JSON.stringify(data));
    }
  });
});

describe('encodeFrame', () => {
  test('server data is a JSON-encoded string', () => {
    const frame = JSON.parse(encodeFrame('pusher:connection_established', { socket_id: '1.2', activity_timeout: 120 }));
    assert.deepEqual(frame, { event: 'pusher:connection_established', data: '{"socket_id":"1.2","activity_timeout":120}' });
    assert.deepEqual(JSON.parse(frame.data), { socket_id: '1.2', activity_timeout: 120 });
  });

  test('connection_established written out is what encodeFrame gives', () => {
    for (const [socketId, timeout] of [['1.2', 120], ['2147483646.140737488355327', 30]] as const) {
      assert.equal(connectionEstablishedFrame(socketId, timeout), encodeFrame('pusher:connection_established', { socket_id: socketId, activity_timeout: timeout }));
    }
  });

  test('string data is sent as the app encoded it, not encoded twice', () => {
    const frame = JSON.parse(encodeFrame('order.created', '{"id":42}', 'orders'));
    assert.deepEqual(frame, { event: 'order.created', channel: 'orders', data: '{"id":42}' });
    assert.equal(JSON.parse(encodeFrame('e', 'plain text')).data, 'plain text');
  });

  test('missing data is an empty object', () => {
    assert.equal(JSON.parse(encodeFrame('pusher_internal:subscription_succeeded', undefined, 'orders')).data, '{}');
    assert.equal(JSON.parse(encodeFrame('e', null)).data, '{}');
  });

  test('leaves the channel out when there is none, and adds extra fields', () => {
    assert.ok(!('channel' in JSON.parse(encodeFrame('pusher:pong', {}))));
    const frame = JSON.parse(encodeFrame('client-x', '{}', 'private-chat', { user_id: '7' }));
    assert.deepEqual(frame, { event: 'client-x', channel: 'private-chat', data: '{}', user_id: '7' });
  });

  test('what the server encodes, the server can parse back', () => {
    const parsed = parseInboundFrame(encodeFrame('client-x', { a: 'ü\n"' }, 'private-chat'));
    assert.ok(parsed.ok);
    assert.deepEqual(dataAsObject(parsed.ok ? parsed.frame.data : null), { a: 'ü\n"' });
  });
});
