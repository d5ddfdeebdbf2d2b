import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WsReceiver, WsSender } from '../../../test/helpers/websocket-frames.js';
import { closeFrame, fitCloseReason, MAX_CLOSE_REASON_BYTES, NO_STATUS, pongFrame, textFrame } from './frame-writer.js';

/** Parses frames with the `ws` library's own receiver, as a client would. */
function receive(bytes: Buffer): Promise<{ text: string; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    const receiver = new WsReceiver({ isServer: false });
    receiver.on('message', (data: Buffer, isBinary: boolean) => resolve({ text: data.toString(), isBinary }));
    receiver.on('error', reject);
    receiver.write(bytes);
  });
}

/** A close frame as a WebSocket client reads it: the code and reason `ws` reports. */
function receiveClose(bytes: Buffer): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const receiver = new WsReceiver({ isServer: false });
    receiver.on('conclude', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() }));
    receiver.on('error', reject);
    receiver.write(bytes);
  });
}

/** A pong as a WebSocket client reads it: its payload. */
function receivePong(bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const receiver = new WsReceiver({ isServer: false });
    receiver.on('pong', (data: Buffer) => resolve(Buffer.from(data)));
    receiver.on('error', reject);
    receiver.write(bytes);
  });
}

for (const size of [0, 1, 125, 126, 127, 65_535, 65_536, 200_000]) {
  test(`a ${size}-byte text frame is read back intact by a WebSocket client`, async () => {
    const text = 'ü'.repeat(Math.floor(size / 2)) + 'x'.repeat(size % 2);
    const payload = Buffer.from(text);
    assert.equal(payload.length, size);
    const got = await receive(textFrame(payload));
    assert.equal(got.isBinary, false);
    assert.equal(got.text, text);
  });
}

test('a close reason that fits is sent whole', () => {
  for (const reason of ['', 'Server shutting down', 'x'.repeat(MAX_CLOSE_REASON_BYTES), 'é'.repeat(61) + 'x']) {
    assert.equal(fitCloseReason(reason), reason);
  }
});

test('a longer close reason is cut to 123 UTF-8 bytes on a character boundary, marked with an ellipsis', () => {
  const cases = [
    'x'.repeat(124),
    `Unsupported protocol version ${'1'.repeat(100)}: this server speaks protocol 7`,
    'é'.repeat(62),
    '日本語'.repeat(50),
    // Four-byte characters (surrogate pairs in JavaScript) at every alignment.
    ...[0, 1, 2, 3].map((pad) => 'x'.repeat(pad) + '🎉'.repeat(40)),
    'x' + '\ud800'.repeat(60),
  ];
  for (const reason of cases) {
    const fitted = fitCloseReason(reason);
    const bytes = Buffer.from(fitted);
    assert.ok(bytes.length <= MAX_CLOSE_REASON_BYTES, `${bytes.length} bytes`);
    assert.ok(bytes.length >= MAX_CLOSE_REASON_BYTES - 6, `cut further than needed: ${bytes.length} bytes`);
    assert.ok(fitted.endsWith('…'));
    // A prefix of the original that does not end between the two halves of a surrogate pair.
    const kept = fitted.slice(0, -1);
    assert.ok(reason.startsWith(kept));
    const splitsPair = /[\ud800-\udbff]/.test(kept.at(-1) ?? '') && /[\udc00-\udfff]/.test(reason[kept.length] ?? '');
    assert.ok(!splitsPair, 'a character was split in two');
  }
});

test('ws accepts every fitted reason in a close frame', () => {
  const sender = new WsSender({ write: () => true, cork() {}, uncork() {} });
  for (const reason of ['x'.repeat(500), '日本語'.repeat(50), '🎉'.repeat(80)]) {
    assert.doesNotThrow(() => sender.close(4007, fitCloseReason(reason), false, () => {}));
  }
});

test('text frames are sent unmasked with FIN set, in the shortest length form', () => {
  assert.deepEqual([...textFrame(Buffer.from('hi'))], [0x81, 2, 0x68, 0x69]);
  assert.deepEqual([...textFrame(Buffer.alloc(126)).subarray(0, 4)], [0x81, 126, 0, 126]);
  assert.deepEqual([...textFrame(Buffer.alloc(65_536)).subarray(0, 10)], [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
});

test('a close frame with a code and a reason is read back by a WebSocket client', async () => {
  for (const [code, reason] of [
    [1000, ''],
    [1002, 'A client frame must be masked'],
    [1009, 'Max payload size exceeded'],
    [4001, 'App key no-such-key not in this cluster'],
    [4200, 'Server shutting down'],
    [4009, 'naïve 🎉'],
  ] as const) {
    const bytes = closeFrame(code, reason);
    assert.equal(bytes[0], 0x88, 'FIN and the close opcode');
    assert.equal(bytes[1]! & 0x80, 0, 'not masked');
    assert.deepEqual(await receiveClose(bytes), { code, reason });
  }
});

test('a close frame with a long reason is sent with the reason fitted, and stays a valid control frame', async () => {
  for (const reason of ['r'.repeat(500), '日本語'.repeat(60), '🎉'.repeat(70)]) {
    const bytes = closeFrame(4009, reason);
    assert.ok(bytes.length - 2 <= 125, `payload of ${bytes.length - 2} bytes`);
    assert.equal(bytes[1], bytes.length - 2);
    assert.deepEqual(await receiveClose(bytes), { code: 4009, reason: fitCloseReason(reason) });
  }
});

test('a close frame for 1005 (no code given) has an empty body, which a client reads as 1005', async () => {
  const bytes = closeFrame(NO_STATUS, 'ignored');
  assert.deepEqual([...bytes], [0x88, 0]);
  assert.deepEqual(await receiveClose(bytes), { code: 1005, reason: '' });
});

test('a pong carries the ping payload unchanged, unmasked with FIN set', async () => {
  for (const payload of [Buffer.alloc(0), Buffer.from('are you there'), Buffer.from(Array.from({ length: 125 }, (_, i) => (i * 37) & 0xff))]) {
    const bytes = pongFrame(payload);
    assert.equal(bytes[0], 0x8a);
    assert.equal(bytes[1], payload.length);
    assert.deepEqual(await receivePong(bytes), payload);
  }
});
