import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ws from 'ws';
import { textFrame } from './websocket-frame.js';

// ws exports its frame parser at runtime; its published types leave it out.
interface FrameReceiver {
  on(event: 'message', cb: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  write(chunk: Buffer): void;
}
const { Receiver } = ws as unknown as { Receiver: new (options: { isServer: boolean }) => FrameReceiver };

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
