import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../protocol/errors.js';
import {
  closeFrame,
  messagesFrame,
  parseSendBody,
  parseSessionRoute,
  PUSHER_JS_STREAM_LIMIT_CHARS,
  recyclePadding,
  requestNumber,
} from './http-session-protocol.js';

test('session routes are found under any httpPath prefix, and only there', () => {
  assert.deepEqual(parseSessionRoute('/pusher/app/my-key/123/abcd1234/xhr_streaming'), {
    appKey: 'my-key',
    sessionKey: 'my-key/123/abcd1234',
    action: 'xhr_streaming',
  });
  assert.equal(parseSessionRoute('/app/k/1/s/xhr')?.action, 'xhr');
  assert.equal(parseSessionRoute('/behind/a/proxy/app/k/1/s/xhr_send')?.sessionKey, 'k/1/s');
  assert.equal(parseSessionRoute('/pusher/app/a%20b/1/s/xhr')?.appKey, 'a b');
  for (const path of [
    '/apps/1/events',
    '/app/k',
    '/pusher/app/k/1/s/xhr_other',
    '/pusher/app/k//s/xhr',
    '/pusher/app/k/1/../xhr',
    `/pusher/app/k/1/${'s'.repeat(65)}/xhr`,
    '/pusher/app/%E0%A4%A/1/s/xhr',
    '/pusher/notapp/k/1/s/xhr',
  ]) {
    assert.equal(parseSessionRoute(path), null, path);
  }
});

test('frames are the lines pusher-js parses', () => {
  const frame = JSON.stringify({ event: 'e', data: '{"a":"b"}' });
  assert.equal(messagesFrame([frame]), `a${JSON.stringify([frame])}\n`);
  assert.deepEqual(JSON.parse(messagesFrame([frame, frame]).slice(1)), [frame, frame]);
  assert.equal(closeFrame(4200, 'Server "shutting" down'), 'c[4200,"Server \\"shutting\\" down"]\n');
});

test('recycle padding takes a stream just past the limit pusher-js recycles at', () => {
  for (const written of [0, 2, 1000, PUSHER_JS_STREAM_LIMIT_CHARS - 1, PUSHER_JS_STREAM_LIMIT_CHARS]) {
    const padding = recyclePadding(written);
    assert.ok(padding.startsWith('p') && padding.endsWith('\n'));
    assert.ok(written + padding.length > PUSHER_JS_STREAM_LIMIT_CHARS);
    assert.ok(written + padding.length <= Math.max(PUSHER_JS_STREAM_LIMIT_CHARS + 1, written + 2));
  }
});

test('an xhr_send body must be a JSON array of strings', () => {
  assert.deepEqual(parseSendBody(Buffer.from('[]')), []);
  assert.deepEqual(parseSendBody(Buffer.from('["{\\"event\\":\\"pusher:ping\\"}"]')), ['{"event":"pusher:ping"}']);
  for (const body of ['', 'nope', '{}', '"x"', '[1]', '["a",null]']) {
    assert.throws(() => parseSendBody(Buffer.from(body)), (err: unknown) => err instanceof HttpError && err.status === 400, body);
  }
});

test('the request number is the `n` pusher-js puts in its URLs, and nothing else', () => {
  assert.equal(requestNumber('/pusher/app/k/1/s/xhr_send?t=1700000000000&n=42'), 42);
  assert.equal(requestNumber('/pusher/app/k/1/s/xhr?protocol=7&client=js&version=8.6.0&t=1&n=3'), 3);
  assert.equal(requestNumber('/pusher/app/k/1/s/xhr?n=3&t=1'), 3);
  for (const url of ['/pusher/app/k/1/s/xhr_send', '/x?t=1', '/x?n=', '/x?n=-1', '/x?n=1.5', '/x?n=1e3', '/x?nn=4', '/x?n=1234567890123456']) {
    assert.equal(requestNumber(url), null, url);
  }
});
