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
