import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { test, type TestContext } from 'node:test';
import { CLIENT_GONE_AFTER_MS, HttpSession, type HttpSessionLimits, type SessionEnd } from './http-session.js';
import type { HttpTransportKind } from './http-session-protocol.js';

const LIMITS: HttpSessionLimits = {
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 25_000,
  maxStreamAgeMs: 5 * 60_000,
  maxBufferedBytes: 1024 * 1024,
};

/** The parts of a ServerResponse a session uses; `clientCloses` is the client dropping the request. */
class FakeResponse extends EventEmitter {
  text = '';
  writableEnded = false;
  writableNeedDrain = false;

  write(text: string): boolean {
    this.text += text;
    return true;
  }

  end(text?: string): this {
    if (text) this.text += text;
    this.writableEnded = true;
    this.emit('close');
    return this;
  }

  clientCloses(): void {
    this.emit('close');
  }
}

const asResponse = (res: FakeResponse) => res as unknown as ServerResponse;

interface Harness {
  session: HttpSession;
  ended: Array<{ why: SessionEnd; lastWords: string }>;
  received: string[];
  /** Moves the clock and runs the sweep, as the transport server does. */
  after(ms: number): void;
}

function sessionOn(t: TestContext, kind: HttpTransportKind, limits: Partial<HttpSessionLimits> = {}, openedBy: number | null = 1): Harness {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const ended: Harness['ended'] = [];
  const received: string[] = [];
  const session = new HttpSession(
    kind,
    '127.0.0.1',
    undefined,
    { ...LIMITS, ...limits },
    { received: (_s, frames) => received.push(...frames), ended: (_s, why, lastWords) => ended.push({ why, lastWords }) },
    openedBy,
  );
  return {
    session,
    ended,
    received,
    after(ms) {
      t.mock.timers.tick(ms);
      session.tick(Date.now());
    },
  };
}

test('a stream its client closes ends the session soon after, not at the session timeout', (t) => {
  const { session, ended, after } = sessionOn(t, 'xhr_streaming');
  const stream = new FakeResponse();
  session.open(asResponse(stream));
  after(5_000);
  stream.clientCloses();
  after(CLIENT_GONE_AFTER_MS - 1);
  assert.equal(ended.length, 0);
  after(1);
  assert.equal(ended.length, 1);
  assert.equal(ended[0]!.why, 'left');
  assert.match(ended[0]!.lastWords, /^c\[1001,/);
});

test('a waiting poll its client closes ends the session soon after', (t) => {
  const { session, ended, after } = sessionOn(t, 'xhr_polling');
  session.open(asResponse(new FakeResponse()));
  const poll = new FakeResponse();
  session.resume(asResponse(poll), 2);
  after(1_000);
  poll.clientCloses();
  after(CLIENT_GONE_AFTER_MS);
  assert.deepEqual(
    ended.map((e) => e.why),
    ['left'],
  );
});

test('a client that closes its stream and opens a new one at once stays', (t) => {
  const { session, ended, after } = sessionOn(t, 'xhr_streaming');
  const first = new FakeResponse();
  session.open(asResponse(first));
  first.clientCloses();
  after(10);
  session.resume(asResponse(new FakeResponse()), 2);
  after(LIMITS.sessionTimeoutMs * 2);
  assert.equal(ended.length, 0);
});

test('polls the server answers are not a client leaving: only the session timeout ends a poller that stops', (t) => {
  const { session, ended, after } = sessionOn(t, 'xhr_polling', { heartbeatIntervalMs: 500 });
  session.open(asResponse(new FakeResponse()));
  // A client that keeps polling: each poll is answered with a heartbeat, and the next one follows.
  for (let n = 2; n < 20; n++) {
    const poll = new FakeResponse();
    session.resume(asResponse(poll), n);
    after(500);
    assert.equal(poll.text, 'h\n');
    assert.equal(poll.writableEnded, true);
  }
  assert.equal(ended.length, 0);
  // Then it stops: the last poll was answered, so nothing says it left until the session expires.
  after(CLIENT_GONE_AFTER_MS);
  assert.equal(ended.length, 0);
  after(LIMITS.sessionTimeoutMs);
  assert.deepEqual(
    ended.map((e) => e.why),
    ['expired'],
  );
});

test('a stream the server hands over is not a client leaving, even when the client aborts it afterwards', (t) => {
  const { session, ended, after } = sessionOn(t, 'xhr_streaming', { maxStreamAgeMs: 1_000 });
  const old = new FakeResponse();
  session.open(asResponse(old));
  after(1_000);
  assert.equal(old.writableEnded, true, 'the server ended the old stream');
  // pusher-js aborts the request it has finished reading, then opens the next.
  old.clientCloses();
  after(CLIENT_GONE_AFTER_MS * 2);
  assert.equal(ended.length, 0);
  session.resume(asResponse(new FakeResponse()), 3);
  after(LIMITS.sessionTimeoutMs);
  assert.equal(ended.length, 0);
});

test('a slow client whose stream is backed up but open is not taken for gone', (t) => {
  const { session, ended, after } = sessionOn(t, 'xhr_streaming');
  const stream = new FakeResponse();
  session.open(asResponse(stream));
  stream.writableNeedDrain = true;
  session.send('{"event":"e"}');
  after(LIMITS.sessionTimeoutMs * 2);
  assert.equal(ended.length, 0);
});

test('a session that never gets a receive request after opening still expires at the session timeout', (t) => {
  const { session, ended, after } = sessionOn(t, 'xhr_polling');
  session.open(asResponse(new FakeResponse()));
  after(LIMITS.sessionTimeoutMs - 1);
  assert.equal(ended.length, 0);
  after(1);
  assert.deepEqual(
    ended.map((e) => e.why),
    ['expired'],
  );
});

test('posts reach the owner in the order the client numbered them, polls counted', (t) => {
  const { session, received } = sessionOn(t, 'xhr_polling', {}, 1);
  session.open(asResponse(new FakeResponse()));
  const second = session.post(4);
  const first = session.post(3);
  second.read(['second']);
  first.read(['first']);
  assert.deepEqual(received, [], 'number 2 (the poll) has not arrived');
  session.resume(asResponse(new FakeResponse()), 2);
  assert.deepEqual(received, ['first', 'second']);
});

test('posts held back are dropped with the session that ends', (t) => {
  const { session, received } = sessionOn(t, 'xhr_streaming');
  session.open(asResponse(new FakeResponse()));
  session.post(3).read(['held']);
  session.close(4200, 'bye');
  t.mock.timers.tick(10_000);
  assert.deepEqual(received, []);
});

/** Lets queued microtasks run: frames sent in one turn are written together at its end. */
const endOfTurn = () => Promise.resolve();

test('frames sent in one turn reach an open stream as one messages line, in order', async (t) => {
  const { session } = sessionOn(t, 'xhr_streaming');
  const stream = new FakeResponse();
  session.open(asResponse(stream));
  session.send('{"event":"one"}');
  session.send('{"event":"two"}');
  assert.equal(stream.text, 'o\n', 'not before the turn ends');
  await endOfTurn();
  assert.equal(stream.text, 'o\na["{\\"event\\":\\"one\\"}","{\\"event\\":\\"two\\"}"]\n');
  assert.equal(stream.writableEnded, false, 'a stream stays open');
});

test('a poll carries the waiting frames and is ended; frames sent meanwhile wait for the next poll', async (t) => {
  const { session } = sessionOn(t, 'xhr_polling');
  const opening = new FakeResponse();
  session.open(asResponse(opening));
  assert.equal(opening.text, 'o\n');
  assert.equal(opening.writableEnded, true, 'a poll carries the open frame alone');
  session.send('{"event":"early"}');
  const poll = new FakeResponse();
  session.resume(asResponse(poll), 2);
  assert.equal(poll.text, 'a["{\\"event\\":\\"early\\"}"]\n');
  assert.equal(poll.writableEnded, true);
  session.send('{"event":"later"}');
  await endOfTurn();
  assert.equal(poll.text, 'a["{\\"event\\":\\"early\\"}"]\n', 'an answered poll carries nothing more');
  const next = new FakeResponse();
  session.resume(asResponse(next), 3);
  assert.equal(next.text, 'a["{\\"event\\":\\"later\\"}"]\n');
});

test('an idle stream gets a heartbeat after the interval, a backed-up one does not', (t) => {
  const { session, after } = sessionOn(t, 'xhr_streaming', { heartbeatIntervalMs: 1_000 });
  const stream = new FakeResponse();
  session.open(asResponse(stream));
  after(999);
  assert.equal(stream.text, 'o\n');
  after(1);
  assert.equal(stream.text, 'o\nh\n');
  stream.writableNeedDrain = true;
  after(5_000);
  assert.equal(stream.text, 'o\nh\n');
});

test('a client not collecting its frames is cut at the buffer limit with 4100, and the frames are dropped', (t) => {
  const { session, ended } = sessionOn(t, 'xhr_polling', { maxBufferedBytes: 120 });
  session.open(asResponse(new FakeResponse()));
  const frame = `{"event":"e","data":"${'x'.repeat(30)}"}`;
  session.send(frame);
  session.send(frame);
  assert.equal(ended.length, 0, 'within the limit');
  session.send(frame);
  assert.deepEqual(
    ended.map((e) => e.why),
    ['over-capacity'],
  );
  assert.equal(ended[0]!.lastWords, 'c[4100,"Over capacity: the client is not collecting its messages"]\n');
  assert.equal(session.bytesWhenCut, Buffer.byteLength(frame) * 3);
  session.send(frame);
  assert.equal(ended.length, 1, 'an ended session takes nothing more');
});

test('a session closed with a few frames unsent leaves them, then the close, for its returning client', (t) => {
  const { session, ended } = sessionOn(t, 'xhr_polling');
  session.open(asResponse(new FakeResponse()));
  session.send('{"event":"last"}');
  session.close(4009, 'terminated');
  assert.equal(ended[0]!.lastWords, 'a["{\\"event\\":\\"last\\"}"]\nc[4009,"terminated"]\n');
});

test('a session closed with many frames unsent leaves only the close', (t) => {
  const { session, ended } = sessionOn(t, 'xhr_polling');
  session.open(asResponse(new FakeResponse()));
  for (let i = 0; i < 100; i++) session.send(`{"event":"e","data":"${'x'.repeat(100)}"}`);
  session.close(4009, 'terminated');
  assert.equal(ended[0]!.lastWords, 'c[4009,"terminated"]\n');
});

test('a stream open when the session closes gets the waiting frames and the close, and is ended', (t) => {
  const { session, ended } = sessionOn(t, 'xhr_streaming');
  const stream = new FakeResponse();
  session.open(asResponse(stream));
  session.send('{"event":"bye"}');
  session.close(4200, 'restarting');
  assert.equal(stream.text, 'o\na["{\\"event\\":\\"bye\\"}"]\nc[4200,"restarting"]\n');
  assert.equal(stream.writableEnded, true);
  assert.deepEqual(
    ended.map((e) => e.why),
    ['closed'],
  );
});
