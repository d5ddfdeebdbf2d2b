import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ws from 'ws';
import { fitCloseReason, MAX_CLOSE_REASON_BYTES, textFrame } from './frame-writer.js';

// ws exports its frame parser and writer at runtime; its published types leave them out.
interface FrameReceiver {
  on(event: 'message', cb: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  write(chunk: Buffer): void;
}
interface FrameSender {
  close(code: number, reason: string, mask: boolean, cb: () => void): void;
}
const { Receiver, Sender } = ws as unknown as {
  Receiver: new (options: { isServer: boolean }) => FrameReceiver;
  Sender: new (socket: { write(): void; cork(): void; uncork(): void }) => FrameSender;
};

/** Parses frames with the `ws` library's own receiver, as a client would. */
function receive(bytes: Buffer): Promise<{ text: string; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    const receiver = new Receiver({ isServer: false });
    receiver.on('message', (data: Buffer, isBinary: boolean) => resolve({ text: data.toString(), isBinary }));
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
  const sender = new Sender({ write() {}, cork() {}, uncork() {} });
  for (const reason of ['x'.repeat(500), '日本語'.repeat(50), '🎉'.repeat(80)]) {
    assert.doesNotThrow(() => sender.close(4007, fitCloseReason(reason), false, () => {}));
  }
});
