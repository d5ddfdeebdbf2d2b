import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { clientFrame, OP, WsReceiver, WsSender, type FrameShape } from '../../../test/helpers/websocket-frames.js';
import { FrameReader, type FrameReaderSink } from './frame-reader.js';

/** The bytes `ws`'s own client-side writer produces (masked), for what `use` sends. */
function wsClientBytes(use: (sender: WsSender) => void): Buffer {
  const chunks: Buffer[] = [];
  const sender = new WsSender({
    write: (chunk: Buffer) => {
      chunks.push(Buffer.from(chunk));
      return true;
    },
    cork() {},
    uncork() {},
  });
  use(sender);
  return Buffer.concat(chunks);
}

const frame = clientFrame;

const text = (payload: string | Buffer, more: Partial<FrameShape> = {}) => frame({ opcode: OP.text, payload, ...more });

function closeBody(code: number, reason: string | Buffer = ''): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(code);
  return Buffer.concat([head, typeof reason === 'string' ? Buffer.from(reason) : reason]);
}

type Event =
  | { readonly kind: 'message'; readonly text: string }
  | { readonly kind: 'ping'; readonly payload: string }
  | { readonly kind: 'close'; readonly code: number; readonly reason: string }
  | { readonly kind: 'violation'; readonly code: number; readonly reason: string };

/** A reader whose sink records what it is told, in order. */
function recorder(maxMessageBytes = 1024 * 1024): { reader: FrameReader; events: Event[] } {
  const events: Event[] = [];
  const sink: FrameReaderSink = {
    message: (t) => events.push({ kind: 'message', text: t }),
    ping: (payload) => events.push({ kind: 'ping', payload: payload.toString('hex') }),
    closeReceived: (code, reason) => events.push({ kind: 'close', code, reason }),
    violation: (code, reason) => events.push({ kind: 'violation', code, reason }),
  };
  return { reader: new FrameReader(maxMessageBytes, sink), events };
}

/**
 * Pushes `bytes` (one chunk, or the chunks in order) to a new reader. Each
 * chunk is copied first, as a socket hands every read in a buffer of its own:
 * the reader unmasks payloads in place, in the buffer it is given, so the
 * same bytes can be read again by another test step.
 */
function read(bytes: Buffer | Buffer[], maxMessageBytes?: number): Event[] {
  const { reader, events } = recorder(maxMessageBytes);
  for (const chunk of Array.isArray(bytes) ? bytes : [bytes]) reader.push(Buffer.from(chunk));
  return events;
}

/** The only event is a violation with `code`, whatever its wording. */
function assertViolation(events: Event[], code: number): void {
  assert.equal(events.length, 1, JSON.stringify(events));
  assert.equal(events[0]!.kind, 'violation', JSON.stringify(events));
  assert.equal((events[0] as { code: number }).code, code, JSON.stringify(events));
}

const messages = (events: Event[]) => events.map((e) => (e.kind === 'message' ? e.text : `<${e.kind}>`));

function oneByteAtATime(bytes: Buffer): Buffer[] {
  return [...bytes].map((b) => Buffer.from([b]));
}

describe('FrameReader: messages', () => {
  test('a masked text frame is one message, unmasked', () => {
    assert.deepEqual(read(text('{"event":"pusher:ping","data":{}}')), [{ kind: 'message', text: '{"event":"pusher:ping","data":{}}' }]);
  });

  test('an empty text frame is an empty message', () => {
    assert.deepEqual(read(text('')), [{ kind: 'message', text: '' }]);
  });

  test('what ws sends as a client (masked text, binary, fragments, ping) is read as it meant', () => {
    const bytes = wsClientBytes((s) => {
      s.send('héllo', { binary: false, fin: true, mask: true, compress: false });
      s.send(Buffer.from('bin'), { binary: true, fin: true, mask: true, compress: false });
      s.send('fir', { binary: false, fin: false, mask: true, compress: false });
      s.ping(Buffer.from('p'), true);
      s.send('st', { binary: false, fin: true, mask: true, compress: false });
      s.send('x'.repeat(70_000), { binary: false, fin: true, mask: true, compress: false });
    });
    const events = read(bytes);
    assert.deepEqual(messages(events), ['héllo', 'bin', '<ping>', 'first', 'x'.repeat(70_000)]);
  });

  test('the same bytes pushed one byte at a time give the same message', () => {
    const bytes = text('{"event":"pusher:subscribe","data":{"channel":"naïve-🎉"}}');
    assert.deepEqual(read(oneByteAtATime(bytes)), read(bytes));
    assert.deepEqual(messages(read(oneByteAtATime(bytes))), ['{"event":"pusher:subscribe","data":{"channel":"naïve-🎉"}}']);
  });

  test('several frames in one chunk are all read, in order', () => {
    const bytes = Buffer.concat([text('one'), text('two'), frame({ opcode: OP.ping, payload: 'hi' }), text('three')]);
    assert.deepEqual(read(bytes), [
      { kind: 'message', text: 'one' },
      { kind: 'message', text: 'two' },
      { kind: 'ping', payload: Buffer.from('hi').toString('hex') },
      { kind: 'message', text: 'three' },
    ]);
  });

  test('a frame whose first part arrives with the end of the previous one is read once whole', () => {
    const first = text('a'.repeat(300));
    const second = text('b'.repeat(2000));
    const all = Buffer.concat([first, second]);
    // The cut falls inside the second frame's header, then inside its payload.
    const events = read([all.subarray(0, first.length + 1), all.subarray(first.length + 1, first.length + 600), all.subarray(first.length + 600)]);
    assert.deepEqual(messages(events), ['a'.repeat(300), 'b'.repeat(2000)]);
  });

  for (const size of [125, 126, 65_535]) {
    test(`a ${size}-byte payload (${size < 126 ? '7-bit' : '16-bit'} length) is read`, () => {
      const payload = 'y'.repeat(size);
      assert.deepEqual(messages(read(text(payload))), [payload]);
      assert.deepEqual(messages(read(oneByteAtATime(text(payload)))), [payload]);
    });
  }

  test('a 65 536-byte payload (64-bit length) is read, also in uneven chunks', () => {
    const payload = 'z'.repeat(65_536);
    const bytes = text(payload);
    assert.equal(bytes[1]! & 0x7f, 127);
    assert.deepEqual(messages(read(bytes)), [payload]);
    const chunks = [bytes.subarray(0, 3), bytes.subarray(3, 9), bytes.subarray(9, 5000), bytes.subarray(5000)];
    assert.deepEqual(messages(read(chunks)), [payload]);
  });

  test('short payloads stated in the 16- and 64-bit length forms are read too', () => {
    assert.deepEqual(messages(read(text('short', { lengthForm: 16 }))), ['short']);
    assert.deepEqual(messages(read(text('short', { lengthForm: 64 }))), ['short']);
  });

  test('a fragmented message with a ping between its fragments: the ping first, then the whole message', () => {
    const bytes = Buffer.concat([
      text('{"event":', { fin: false }),
      frame({ opcode: OP.continuation, payload: '"pusher:ping",', fin: false }),
      frame({ opcode: OP.ping, payload: Buffer.from([1, 2, 3]) }),
      frame({ opcode: OP.pong, payload: 'ignored' }),
      frame({ opcode: OP.continuation, payload: '"data":{}}' }),
      text('after'),
    ]);
    const expected: Event[] = [
      { kind: 'ping', payload: '010203' },
      { kind: 'message', text: '{"event":"pusher:ping","data":{}}' },
      { kind: 'message', text: 'after' },
    ];
    assert.deepEqual(read(bytes), expected);
    assert.deepEqual(read(oneByteAtATime(bytes)), expected);
  });

  test('fragments delivered in separate pushes are kept intact when the socket reuses its buffers', () => {
    const { reader, events } = recorder();
    const first = text('hello ', { fin: false });
    const second = frame({ opcode: OP.continuation, payload: 'world' });
    const reused = Buffer.from(first);
    reader.push(reused);
    // A socket may hand over the next read in the same memory.
    reused.fill(0);
    reader.push(second);
    assert.deepEqual(messages(events), ['hello world']);
  });

  test('a binary message is delivered as text', () => {
    assert.deepEqual(messages(read(frame({ opcode: OP.binary, payload: '{"event":"x"}' }))), ['{"event":"x"}']);
    // Not UTF-8: still delivered (replacement characters), not refused as 1007.
    const events = read(frame({ opcode: OP.binary, payload: Buffer.from([0xff, 0x00, 0xfe]) }));
    assert.equal(events.length, 1);
    assert.equal(events[0]!.kind, 'message');
  });

  test('a fragmented binary message is delivered as text', () => {
    const bytes = Buffer.concat([frame({ opcode: OP.binary, payload: 'ab', fin: false }), frame({ opcode: OP.continuation, payload: 'cd' })]);
    assert.deepEqual(messages(read(bytes)), ['abcd']);
  });

  test('a UTF-8 character split across fragments is accepted', () => {
    const euro = Buffer.from('€'); // three bytes
    const bytes = Buffer.concat([
      text(Buffer.concat([Buffer.from('price: '), euro.subarray(0, 1)]), { fin: false }),
      frame({ opcode: OP.continuation, payload: euro.subarray(1, 2), fin: false }),
      frame({ opcode: OP.continuation, payload: Buffer.concat([euro.subarray(2), Buffer.from('5')]) }),
    ]);
    assert.deepEqual(read(bytes), [{ kind: 'message', text: 'price: €5' }]);
  });

  test('property: any chunking of a stream of frames yields the same events', () => {
    const frameArb = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => ({ bytes: text(s), event: s })),
      fc.string({ maxLength: 300 }).map((s) => ({ bytes: text(s), event: s })),
      fc.integer({ min: 126, max: 70_000 }).map((n) => ({ bytes: text('q'.repeat(n)), event: 'q'.repeat(n) })),
      fc.uint8Array({ maxLength: 125 }).map((p) => ({ bytes: frame({ opcode: OP.ping, payload: Buffer.from(p) }), event: `<ping>` })),
      fc.array(fc.string({ maxLength: 20 }), { minLength: 2, maxLength: 4 }).map((parts) => ({
        bytes: Buffer.concat(
          parts.map((p, i) => frame({ opcode: i === 0 ? OP.text : OP.continuation, payload: p, fin: i === parts.length - 1 })),
        ),
        event: parts.join(''),
      })),
    );
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 30 }), (frames, cutSeeds) => {
        const bytes = Buffer.concat(frames.map((f) => f.bytes));
        const cuts = [...new Set(cutSeeds.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let at = 0;
        for (const cut of [...cuts, bytes.length]) {
          // Copies, as a socket hands each read in its own buffer.
          chunks.push(Buffer.from(bytes.subarray(at, cut)));
          at = cut;
        }
        const events = read(chunks);
        assert.deepEqual(
          messages(events),
          frames.map((f) => f.event),
        );
      }),
      { seed: 20261203, numRuns: 200 },
    );
  });
});

describe('FrameReader: protocol errors (1002)', () => {
  test('an unmasked frame', () => {
    assertViolation(read(text('hello', { mask: false })), 1002);
  });

  for (const rsv of [1, 2, 4]) {
    test(`RSV bits ${rsv.toString(2).padStart(3, '0')} set without an extension`, () => {
      assertViolation(read(text('hello', { rsv })), 1002);
    });
  }

  for (const opcode of [0x3, 0x7, 0xb, 0xf]) {
    test(`unknown opcode 0x${opcode.toString(16)}`, () => {
      assertViolation(read(frame({ opcode, payload: 'x' })), 1002);
    });
  }

  test('a continuation frame with no message to continue', () => {
    assertViolation(read(frame({ opcode: OP.continuation, payload: 'x' })), 1002);
  });

  test('a new text message while a fragmented one is unfinished', () => {
    assertViolation(read(Buffer.concat([text('a', { fin: false }), text('b')])), 1002);
    assertViolation(read(Buffer.concat([text('a', { fin: false }), frame({ opcode: OP.binary, payload: 'b' })])), 1002);
  });

  test('a control frame with more than 125 bytes', () => {
    assertViolation(read(frame({ opcode: OP.ping, payload: Buffer.alloc(126) })), 1002);
    assertViolation(read(frame({ opcode: OP.close, payload: closeBody(1000, 'r'.repeat(124)) })), 1002);
  });

  test('a control frame of exactly 125 bytes is fine', () => {
    const payload = Buffer.alloc(125, 7);
    assert.deepEqual(read(frame({ opcode: OP.ping, payload })), [{ kind: 'ping', payload: payload.toString('hex') }]);
  });

  test('a fragmented control frame', () => {
    assertViolation(read(frame({ opcode: OP.ping, payload: 'x', fin: false })), 1002);
    assertViolation(read(frame({ opcode: OP.close, payload: closeBody(1000), fin: false })), 1002);
  });

  test('the violation is told as soon as the header shows it, before the payload arrives', () => {
    const { reader, events } = recorder();
    reader.push(text('x'.repeat(1000), { mask: false }).subarray(0, 2));
    assertViolation(events, 1002);
  });
});

describe('FrameReader: invalid UTF-8 (1007)', () => {
  for (const [name, bytes] of [
    ['a lone continuation byte', [0x80]],
    ['0xff', [0x61, 0xff]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['a surrogate encoded in UTF-8', [0xed, 0xa0, 0x80]],
    ['a character cut at the end', [0x61, 0xe2, 0x82]],
  ] as const) {
    test(`a text message with ${name}`, () => {
      assertViolation(read(text(Buffer.from(bytes))), 1007);
    });
  }

  test('a fragmented text message whose joined bytes are not UTF-8', () => {
    const bytes = Buffer.concat([text(Buffer.from([0x61, 0xe2]), { fin: false }), frame({ opcode: OP.continuation, payload: Buffer.from([0x41]) })]);
    assertViolation(read(bytes), 1007);
  });
});

describe('FrameReader: message size limit (1009)', () => {
  const LIMIT = 1000;

  test('a message of exactly the limit is read', () => {
    assert.deepEqual(messages(read(text('m'.repeat(LIMIT)), LIMIT)), ['m'.repeat(LIMIT)]);
  });

  test('a single frame one byte over the limit', () => {
    assertViolation(read(text('m'.repeat(LIMIT + 1)), LIMIT), 1009);
  });

  test('a frame over the limit is refused from its header, before its payload arrives', () => {
    const { reader, events } = recorder(LIMIT);
    reader.push(text('m'.repeat(100_000)).subarray(0, 14));
    assertViolation(events, 1009);
  });

  test('a 64-bit length far past what JavaScript counts exactly', () => {
    const header = Buffer.from([0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]);
    assertViolation(read(header, LIMIT), 1009);
  });

  test('fragments that are each under the limit but together over it', () => {
    const bytes = Buffer.concat([
      text('m'.repeat(400), { fin: false }),
      frame({ opcode: OP.continuation, payload: 'm'.repeat(400), fin: false }),
      frame({ opcode: OP.continuation, payload: 'm'.repeat(201) }),
    ]);
    assertViolation(read(bytes, LIMIT), 1009);
  });

  test('fragments that together make exactly the limit are read', () => {
    const bytes = Buffer.concat([
      text('m'.repeat(400), { fin: false }),
      frame({ opcode: OP.continuation, payload: 'm'.repeat(400), fin: false }),
      frame({ opcode: OP.continuation, payload: 'm'.repeat(200) }),
    ]);
    assert.deepEqual(messages(read(bytes, LIMIT)), ['m'.repeat(LIMIT)]);
  });

  test('the limit counts each message on its own: two fragmented messages under it in a row are both read', () => {
    const message = Buffer.concat([text('m'.repeat(600), { fin: false }), frame({ opcode: OP.continuation, payload: 'm'.repeat(300) })]);
    assert.deepEqual(messages(read(Buffer.concat([message, message]), LIMIT)), ['m'.repeat(900), 'm'.repeat(900)]);
  });

  test('control frames are not counted against the limit of the message they interrupt', () => {
    const bytes = Buffer.concat([
      text('m'.repeat(LIMIT - 10), { fin: false }),
      frame({ opcode: OP.ping, payload: Buffer.alloc(100) }),
      frame({ opcode: OP.continuation, payload: 'm'.repeat(10) }),
    ]);
    assert.deepEqual(messages(read(bytes, LIMIT)), ['<ping>', 'm'.repeat(LIMIT)]);
  });
});

describe('FrameReader: close frames', () => {
  test('a close frame with a code and a reason', () => {
    assert.deepEqual(read(frame({ opcode: OP.close, payload: closeBody(4001, 'bye, naïve') })), [
      { kind: 'close', code: 4001, reason: 'bye, naïve' },
    ]);
  });

  test('a close frame with a code and no reason', () => {
    assert.deepEqual(read(frame({ opcode: OP.close, payload: closeBody(1000) })), [{ kind: 'close', code: 1000, reason: '' }]);
  });

  test('a close frame without a body stands for 1005', () => {
    assert.deepEqual(read(frame({ opcode: OP.close })), [{ kind: 'close', code: 1005, reason: '' }]);
  });

  test('a close frame with a one-byte body', () => {
    assertViolation(read(frame({ opcode: OP.close, payload: Buffer.from([0x03]) })), 1002);
  });

  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]) {
    test(`a close frame with code ${code}, which a client may not send`, () => {
      assertViolation(read(frame({ opcode: OP.close, payload: closeBody(code, 'x') })), 1002);
    });
  }

  for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999]) {
    test(`a close frame with code ${code} is accepted`, () => {
      assert.deepEqual(read(frame({ opcode: OP.close, payload: closeBody(code) })), [{ kind: 'close', code, reason: '' }]);
    });
  }

  test('a close reason that is not UTF-8', () => {
    assertViolation(read(frame({ opcode: OP.close, payload: closeBody(1000, Buffer.from([0x61, 0xff])) })), 1007);
  });
});

describe('FrameReader: nothing after the end', () => {
  test('nothing is delivered after a close frame, in the same chunk or later', () => {
    const { reader, events } = recorder();
    reader.push(Buffer.concat([text('before'), frame({ opcode: OP.close, payload: closeBody(1000) }), text('same chunk'), frame({ opcode: OP.ping })]));
    reader.push(text('later'));
    reader.push(frame({ opcode: OP.close, payload: closeBody(1001) }));
    assert.deepEqual(events, [
      { kind: 'message', text: 'before' },
      { kind: 'close', code: 1000, reason: '' },
    ]);
  });

  test('nothing is delivered after a violation, not even another violation', () => {
    const { reader, events } = recorder();
    reader.push(Buffer.concat([text('before'), text('bad', { mask: false }), text('same chunk')]));
    reader.push(text('later'));
    reader.push(text('x', { rsv: 1 }));
    assert.equal(events.length, 2, JSON.stringify(events));
    assert.deepEqual(events[0], { kind: 'message', text: 'before' });
    assert.equal(events[1]!.kind, 'violation');
    assert.equal((events[1] as { code: number }).code, 1002);
  });

  test('a violation found while a frame was half read: nothing after', () => {
    const { reader, events } = recorder();
    const good = text('good');
    reader.push(good.subarray(0, 3));
    reader.push(Buffer.concat([good.subarray(3), frame({ opcode: 0x3 }), text('after')]));
    assert.deepEqual(messages(events), ['good', '<violation>']);
  });

  test('stop(): nothing more is read, not even the rest of a frame begun before', () => {
    const { reader, events } = recorder();
    const bytes = text('half read');
    reader.push(bytes.subarray(0, 5));
    reader.stop();
    reader.push(bytes.subarray(5));
    reader.push(text('later'));
    reader.push(text('bad', { mask: false }));
    reader.push(frame({ opcode: OP.close }));
    assert.deepEqual(events, []);
  });

  test('stop() in the middle of a fragmented message drops it', () => {
    const { reader, events } = recorder();
    reader.push(text('part', { fin: false }));
    reader.stop();
    reader.push(frame({ opcode: OP.continuation, payload: 'rest' }));
    assert.deepEqual(events, []);
  });
});

describe('FrameReader agrees with ws', () => {
  /** What `ws`'s own server-side receiver makes of the same bytes, in the reader's terms. */
  async function readByWs(bytes: Buffer, maxMessageBytes: number): Promise<Event[]> {
    const events: Event[] = [];
    const receiver = new WsReceiver({ isServer: true, maxPayload: maxMessageBytes });
    receiver.on('message', (data) => events.push({ kind: 'message', text: data.toString() }));
    receiver.on('ping', (data) => events.push({ kind: 'ping', payload: data.toString('hex') }));
    receiver.on('conclude', (code, reason) => events.push({ kind: 'close', code, reason: reason.toString() }));
    receiver.on('error', (err) => {
      const status = Object.getOwnPropertySymbols(err).find((symbol) => symbol.description === 'status-code');
      events.push({ kind: 'violation', code: status === undefined ? -1 : ((err as unknown as Record<symbol, number>)[status] ?? -1), reason: '' });
    });
    receiver.write(bytes);
    // ws reports errors on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    return events;
  }

  const closeCode = fc.constantFrom(1000, 1001, 1003, 1004, 1005, 1006, 1011, 1014, 1015, 2999, 3000, 4001, 4999, 5000, 999);
  const payload = fc.oneof(
    { weight: 8, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }).map((t) => Buffer.from(t)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: fc.integer({ min: 50, max: 140 }).map((n) => Buffer.alloc(n, 0x61)) },
    { weight: 2, arbitrary: fc.tuple(closeCode, fc.string({ maxLength: 10 })).map(([code, reason]) => closeBody(code, reason)) },
    { weight: 1, arbitrary: fc.constant(Buffer.from([0x03])) },
  );
  const anyFrame = fc.record({
    opcode: fc.oneof(
      { weight: 8, arbitrary: fc.constant(OP.text) },
      { weight: 3, arbitrary: fc.constantFrom(OP.binary, OP.continuation, OP.ping, OP.pong) },
      { weight: 2, arbitrary: fc.constant(OP.close) },
      { weight: 1, arbitrary: fc.constantFrom(0x3, 0xb) },
    ),
    fin: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    rsv: fc.oneof({ weight: 30, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 2, 4) }),
    mask: fc.oneof({ weight: 30, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    payload,
  });

  test('property: for any stream of frames, right or wrong, the same messages, pings, close and close code as ws', async () => {
    const MAX = 100;
    await fc.assert(
      fc.asyncProperty(fc.array(anyFrame, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), async (shapes, cutSeeds) => {
        const bytes = Buffer.concat(shapes.map((shape) => frame(shape)));
        const expected = await readByWs(Buffer.from(bytes), MAX);
        const cuts = [...new Set(cutSeeds.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let at = 0;
        for (const cut of [...cuts, bytes.length]) {
          chunks.push(bytes.subarray(at, cut));
          at = cut;
        }
        const got = read(chunks, MAX).map((e) => (e.kind === 'violation' ? { ...e, reason: '' } : e));
        assert.deepEqual(got, expected);
      }),
      { seed: 20261203, numRuns: 1000 },
    );
  });
});
